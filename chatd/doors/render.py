"""Wire protocol v2: how each hub event looks as text lines (see the README's protocol section).

Line kinds are told apart by their first characters: ``NAME: TEXT`` chat, ``* `` notice, ``! ``
error, ``[private...]`` private, ``[HH:MM] `` history, ``+ `` receipt, and ``#room `` before a
line of a room that is not the reader's current room.  Names cannot contain ``:``, ``*``, ``!``,
``[``, ``+``, ``#`` or spaces, so a chat line can never pass for another kind.  A client that never
uses a room command receives exactly the lines of protocol v1.
"""

from __future__ import annotations

import functools
import time

from chatd.core import events
from chatd.core.store import Ban

USERNAME_PROMPT = "Please enter a username:"
#: What follows the name in the request for a registered name's password; clients recognise it.
PASSWORD_PROMPT = "is registered: please enter its password"


def _spoken(event: events.Spoken) -> str:
    if isinstance(event, events.Said):
        return f"{event.name}: {event.text}"
    return f"* {event.name} {event.text}"


def _replayed(line: events.Replayed) -> str:
    stamp = "%Y-%m-%d %H:%M" if line.dated else "%H:%M"
    return f"[{time.strftime(stamp, time.localtime(line.original.at))}] {_spoken(line.original)}"


def utc_timestamp(at: float) -> str:
    """``at`` as UTC ISO 8601 with milliseconds: ``2026-12-02T14:02:07.123Z``."""
    whole = int(at)
    millis = round((at - whole) * 1000)
    if millis == 1000:
        whole, millis = whole + 1, 0
    return f"{_utc_second(whole)}.{millis:03d}Z"


@functools.lru_cache(maxsize=4)
def _utc_second(whole: int) -> str:
    # Every receipt of a busy second shares its formatting (strftime was 10% of a busy server).
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))


def _names(names: tuple[str, ...]) -> str:
    return ", ".join(names)


def utc_minute(at: float) -> str:
    """``at`` to the minute, in UTC: ``2026-12-03 14:02 UTC`` (bans and mutes, for everyone)."""
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(at))


def span(seconds: float) -> str:
    """A duration as people say it: ``42s``, ``5m``, ``3h 20m``, ``2d 4h``."""
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m"
    if whole < 86400:
        return f"{whole // 3600}h {whole % 3600 // 60}m"
    return f"{whole // 86400}d {whole % 86400 // 3600}h"


def _until(expires: float | None, forever: str) -> str:
    return forever if expires is None else f"until {utc_minute(expires)}"


def _reason(reason: str | None) -> str:
    return f" ({reason})" if reason else ""


def _ban_line(ban: Ban) -> str:
    shown = ban.address.removesuffix("/32").removesuffix("/128") if ban.address else None
    address = f" (address {shown})" if shown else ""
    expires = "never" if ban.expires is None else utc_minute(ban.expires)
    return (
        f"* {ban.shown}{address}: banned by {ban.set_by} on {utc_minute(ban.set_at)},"
        f" expires {expires}{_reason(ban.reason)}"
    )


def _whois(event: events.WhoIs) -> str:
    parts = [
        f"connected since {utc_minute(event.since)}",
        f"idle {span(event.idle)}",
        f"rooms {' '.join(event.rooms) or 'none'}",
        f"door {event.door}",
    ]
    if event.registered:
        parts.append("registered")
    if event.operator:
        parts.append("operator")
    if event.address is not None:
        parts.append(f"address {event.address}")
    return f"* {event.name}: {', '.join(parts)}"


def _accounts_and_moderation(event: events.Event) -> list[str] | None:
    """The lines of the events of accounts and moderation (issue 18), None for any other."""
    match event:
        case events.AskPassword(name):
            return [f"* {name} {PASSWORD_PROMPT}"]
        case events.Registered(name):
            return [f"* {name} is now registered"]
        case events.PasswordChanged(name):
            return [f"* The password of {name} is changed"]
        case events.Unregistered(name):
            return [f"* {name} is no longer registered"]
        case events.Kicked(name, by, reason):
            return [f"* {name} was kicked by {by}{_reason(reason)}"]
        case events.Announcement(text):
            return [f"* Announcement: {text}"]
        case events.BanSet(shown, expires, address):
            also = f" and the address {address}" if address else ""
            return [f"* Banned {shown}{also} {_until(expires, 'for good')}"]
        case events.BanLifted(shown):
            return [f"* Lifted the ban of {shown}"]
        case events.BanList(bans):
            return [f"* Bans ({len(bans)}):", *(_ban_line(ban) for ban in bans)]
        case events.MuteSet(name, expires):
            return [f"* {name} is muted {_until(expires, 'until /unmute')}"]
        case events.MuteLifted(name):
            return [f"* {name} is no longer muted"]
        case events.YouAreMuted(by, expires):
            return [f"* You were muted by {by} {_until(expires, 'until an operator lifts it')}"]
        case events.YouAreUnmuted():
            return ["* You are no longer muted"]
        case events.WhoIs():
            return [_whois(event)]
    return None


def render(event: events.Event) -> list[str]:
    """The protocol lines for ``event``, without line endings."""
    match event:
        case events.Said() | events.Acted():
            return [_spoken(event)]
        case events.Replayed():
            return [_replayed(event)]
        case events.Motd(text):
            return [f"* {text}"]
        case events.AskName():
            return [f"* {USERNAME_PROMPT}"]
        case events.Welcome(name):
            return [f"* Welcome {name}! If you ever want to quit, type <quit> to exit."]
        case events.Online(names):
            return [f"* Online ({len(names)}): {', '.join(names)}"]
        case events.Joined(name):
            return [f"* {name} has joined the chat"]
        case events.RoomJoined(name, room):
            return [f"* {name} has joined {room}"]
        case events.Parted(name, room, None):
            return [f"* {name} has left {room}"]
        case events.Parted(name, room, reason):
            return [f"* {name} has left {room} ({reason})"]
        case events.TopicSet(name, room, text):
            return [f"* {name} set the topic of {room}: {text}"]
        case events.LinesLost(room):  # "Announcement" is a word no name may take
            return [f"* Announcement: some lines of {room} could not be recovered"]
        case events.NowTalking(room, names):
            return [f"* Now talking in {room} ({len(names)} here: {_names(names)})"]
        case events.TopicIs(room, None):
            return [f"* {room} has no topic"]
        case events.TopicIs(room, text):
            return [f"* Topic of {room}: {text}"]
        case events.YouLeft(room):
            return [f"* You left {room}"]
        case events.RoomList(rooms):
            listed = ", ".join(f"{room} ({count})" for room, count in rooms)
            return [f"* Rooms ({len(rooms)}): {listed}"]
        case events.InRoom(room, names):
            return [f"* In {room} ({len(names)}): {_names(names)}"]
        case events.History(room, lines):
            return [
                f"* History of {room} ({len(lines)} lines):",
                *(_replayed(line) for line in lines),
                f"* End of history of {room}",
            ]
        case events.ReceiptsSet(on):
            return [f"* Receipts are {'on' if on else 'off'}"]
        case events.Receipt(room, seq, at):
            return [f"+ {seq} {room} {utc_timestamp(at)}"]
        case events.Left(name, None):
            return [f"* {name} has left the chat"]
        case events.Left(name, reason):
            return [f"* {name} has left the chat ({reason})"]
        case events.Renamed(old, new):
            return [f"* {old} is now known as {new}"]
        case events.NameChanged(name):
            return [f"* You are now known as {name}"]
        case events.Whispered(sender, text):
            return [f"[private] {sender}: {text}"]
        case events.WhisperSent(recipient, text):
            return [f"[private to {recipient}] {text}"]
        case events.Help(lines):
            return [f"* {line}" for line in lines]
        case events.Goodbye(None):
            return ["* Goodbye!"]
        case events.Goodbye(name):
            return [f"* Goodbye {name}!"]
        case events.ShuttingDown():
            return ["* server is shutting down"]
        case events.Refused(reason):
            return [f"! {reason}"]
    moderation = _accounts_and_moderation(event)
    if moderation is not None:
        return moderation
    raise TypeError(f"no rendering for {event!r}")


def encode(event: events.Event, current_room: str | None = None) -> bytes:
    """The bytes a line client receives for ``event``: UTF-8, every line ending in CRLF.

    An event of a room other than ``current_room`` (the reader's) is marked with that room.
    """
    if type(event) is events.Said and (current_room is None or event.room == current_room):
        # The line nearly every broadcast is, encoded once for all its readers: the short way.
        return f"{_spoken(event)}\r\n".encode("utf-8", "replace")
    if type(event) is events.Receipt:  # one per line said, with receipts on: the short way
        return f"+ {event.seq} {event.room} {utc_timestamp(event.at)}\r\n".encode()
    if current_room is not None and isinstance(event, events.ROOM_EVENTS):
        if event.room != current_room:
            return encode_marked(event)
    return "".join(line + "\r\n" for line in render(event)).encode("utf-8", "replace")


def encode_marked(event: events.Event) -> bytes:
    """``event`` as a reader sees it whose current room is not the event's."""
    room = event.room  # type: ignore[union-attr]
    return "".join(f"{room} {line}\r\n" for line in render(event)).encode("utf-8", "replace")


def encode_notice(text: str) -> bytes:
    """A notice from the door itself rather than the hub (the answer to telnet's AYT)."""
    return f"* {text}\r\n".encode()
