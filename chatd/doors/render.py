"""Wire protocol v1: how each hub event looks as text lines (see the README's protocol section).

Line kinds are told apart by their first characters: ``NAME: TEXT`` chat, ``* `` notice, ``! ``
error, ``[private...]`` private, ``[HH:MM] `` history.  Names cannot contain ``:``, ``*``, ``!``,
``[`` or spaces, so a chat line can never pass for another kind.
"""

from __future__ import annotations

import time

from chatd.core import events

USERNAME_PROMPT = "Please enter a username:"


def _spoken(event: events.Spoken) -> str:
    if isinstance(event, events.Said):
        return f"{event.name}: {event.text}"
    return f"* {event.name} {event.text}"


def render(event: events.Event) -> list[str]:
    """The protocol lines for ``event``, without line endings."""
    match event:
        case events.Said() | events.Acted():
            return [_spoken(event)]
        case events.Replayed(original):
            return [f"[{time.strftime('%H:%M', time.localtime(original.at))}] {_spoken(original)}"]
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
    raise TypeError(f"no rendering for {event!r}")


def encode(event: events.Event) -> bytes:
    """The bytes a line client receives for ``event``: UTF-8, every line ending in CRLF."""
    return "".join(line + "\r\n" for line in render(event)).encode("utf-8", "replace")


def encode_notice(text: str) -> bytes:
    """A notice from the door itself rather than the hub (the answer to telnet's AYT)."""
    return f"* {text}\r\n".encode()
