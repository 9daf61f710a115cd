"""The web door's JSON protocol, version 1: hub events out as data, requests in.

Every message is one JSON object in one text frame, and every object has a ``"type"``.  The
server sends the hub's events as they are, not rendered as text: a room event names its room, and
a line of a room carries its ``seq`` and its ``time`` (ISO 8601, UTC, milliseconds).  A bot needs
no text parsing.  ``docs/web-protocol.md`` is the reference; the tests pin each shape.

Incoming messages are parsed here into a type and its fields; :class:`BadRequest` says what is
wrong with one, with a code, as the hub's own refusals do.
"""

from __future__ import annotations

import json
from typing import Any

from chatd.core import events
from chatd.core.errors import ChatError
from chatd.core.store import Ban
from chatd.doors.render import utc_timestamp
from chatd.doors.web.frames import text_frame

#: The version of this protocol, sent in the first frame of every connection.
PROTOCOL_VERSION = 1

JSONObject = dict[str, Any]


class BadRequest(ChatError):
    """A message that is not a request this protocol knows: its code says which way."""

    code = "bad_request"


def _spoken(event: events.Spoken) -> JSONObject:
    return {
        "type": "said" if type(event) is events.Said else "acted",
        "room": event.room,
        "name": event.name,
        "text": event.text,
        "seq": event.seq,
        "time": utc_timestamp(event.at),
    }


def _replayed(line: events.Replayed) -> JSONObject:
    data = _spoken(line.original)
    data["replayed"] = True
    return data


def as_json(event: events.Event) -> JSONObject:
    """The JSON object for ``event``."""
    match event:
        case events.Said() | events.Acted():
            return _spoken(event)
        case events.Replayed():
            return _replayed(event)
        case events.Motd(text):
            return {"type": "motd", "text": text}
        case events.AskName():
            return {"type": "ask_name"}
        case events.Welcome(name):
            return {"type": "welcome", "name": name}
        case events.Online(names):
            return {"type": "online", "names": list(names)}
        case events.Joined(name, room):
            return {"type": "joined", "name": name, "room": room}
        case events.RoomJoined(name, room):
            return {"type": "room_joined", "name": name, "room": room}
        case events.Parted(name, room, reason):
            return {"type": "parted", "name": name, "room": room, "reason": reason}
        case events.TopicSet(name, room, text):
            return {"type": "topic_set", "name": name, "room": room, "text": text}
        case events.LinesLost(room, through):
            return {"type": "lines_lost", "room": room, "through": through}
        case events.NowTalking(room, names):
            return {"type": "now_talking", "room": room, "names": list(names)}
        case events.TopicIs(room, text):
            return {"type": "topic", "room": room, "text": text}
        case events.YouLeft(room):
            return {"type": "you_left", "room": room}
        case events.RoomList(rooms):
            listed = [{"room": room, "members": count} for room, count in rooms]
            return {"type": "rooms", "rooms": listed}
        case events.InRoom(room, names):
            return {"type": "members", "room": room, "names": list(names)}
        case events.History(room, lines):
            return {"type": "history", "room": room, "lines": [_replayed(li) for li in lines]}
        case events.ReceiptsSet(on):
            return {"type": "receipts", "on": on}
        case events.Receipt(room, seq, at):
            return {"type": "receipt", "room": room, "seq": seq, "time": utc_timestamp(at)}
        case events.Left(name, reason):
            return {"type": "left", "name": name, "reason": reason}
        case events.Renamed(old, new):
            return {"type": "renamed", "old": old, "new": new}
        case events.NameChanged(name):
            return {"type": "name_changed", "name": name}
        case events.Whispered(sender, text):
            return {"type": "private", "from": sender, "text": text}
        case events.WhisperSent(recipient, text):
            return {"type": "private_sent", "to": recipient, "text": text}
        case events.Help(lines):
            return {"type": "help", "lines": list(lines)}
        case events.Goodbye(name):
            return {"type": "goodbye", "name": name}
        case events.ShuttingDown():
            return {"type": "shutting_down"}
        case events.Refused(reason, code):
            return error(code, reason)
    found = _accounts_json(event)
    if found is None:
        raise TypeError(f"no JSON for {event!r}")
    return found


def _accounts_json(event: events.Event) -> JSONObject | None:
    """The JSON of the events of accounts and moderation."""
    match event:
        case events.AskPassword(name):
            return {"type": "ask_password", "name": name}
        case events.Registered(name):
            return {"type": "registered", "name": name}
        case events.PasswordChanged(name):
            return {"type": "password_changed", "name": name}
        case events.Unregistered(name):
            return {"type": "unregistered", "name": name}
        case events.Kicked(name, by, reason):
            return {"type": "kicked", "name": name, "by": by, "reason": reason}
        case events.Announcement(text):
            return {"type": "announcement", "text": text}
        case events.BanSet(shown, expires, address):
            return {"type": "ban_set", "target": shown, "expires": _maybe_time(expires),
                    "address": address}  # fmt: skip
        case events.BanLifted(shown):
            return {"type": "ban_lifted", "target": shown}
        case events.BanList(bans):
            return {"type": "bans", "bans": [_ban(ban) for ban in bans]}
        case events.MuteSet(name, expires):
            return {"type": "mute_set", "name": name, "expires": _maybe_time(expires)}
        case events.MuteLifted(name):
            return {"type": "mute_lifted", "name": name}
        case events.YouAreMuted(by, expires):
            return {"type": "you_are_muted", "by": by, "expires": _maybe_time(expires)}
        case events.YouAreUnmuted():
            return {"type": "you_are_unmuted"}
        case events.WhoIs():
            whois: JSONObject = {
                "type": "whois",
                "name": event.name,
                "since": utc_timestamp(event.since),
                "idle": round(event.idle),
                "rooms": list(event.rooms),
                "door": event.door,
                "registered": event.registered,
                "operator": event.operator,
            }
            if event.address is not None:  # only an operator is ever sent one
                whois["address"] = event.address
            return whois
    return None


def _maybe_time(at: float | None) -> str | None:
    return None if at is None else utc_timestamp(at)


def _ban(ban: Ban) -> JSONObject:
    return {
        "target": ban.shown,
        "set_by": ban.set_by,
        "set_at": utc_timestamp(ban.set_at),
        "expires": _maybe_time(ban.expires),
        "reason": ban.reason,
        "address": ban.address,
    }


def error(code: str, text: str) -> JSONObject:
    """An error: ``code`` for programs, ``text`` for people."""
    return {"type": "error", "code": code, "text": text}


def hello(server_version: str) -> JSONObject:
    """The first message of every connection: which protocol this is."""
    return {"type": "hello", "protocol": PROTOCOL_VERSION, "server": f"chatd {server_version}"}


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def frame(data: JSONObject) -> bytes:
    """``data`` as the bytes of one text frame."""
    return text_frame(_dumps(data).encode("utf-8"))


def encode(event: events.Event) -> bytes:
    """``event`` as one text frame: what the fan-out writes, once, for every web reader."""
    return frame(as_json(event))


def parse(message: str) -> tuple[str, JSONObject]:
    """The type and the object of a request, or :class:`BadRequest`."""
    try:
        data = json.loads(message)
    except ValueError:  # JSONDecodeError; also a number too long to convert
        raise BadRequest("not valid JSON", "bad_json") from None
    except RecursionError:
        raise BadRequest("not valid JSON: nested too deeply", "bad_json") from None
    if not isinstance(data, dict):
        raise BadRequest("a request is a JSON object with a type", "bad_request")
    kind = data.get("type")
    if not isinstance(kind, str):
        raise BadRequest('a request needs a "type" string', "bad_request")
    return kind, data
