"""The web protocol's requests, each one a call to the hub: one table, as the slash commands are.

A request's fields are checked here (a missing or mistyped one is a ``bad_field`` error), its
text is cleaned as a typed line is (:func:`chatd.core.text.clean`), and then it goes to the
same hub method the matching slash command calls, so the rules, limits and refusals are the
hub's, whatever the door.  ``command`` runs a raw line exactly as the line door would.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chatd.core import events
from chatd.core.errors import ChatError, NameRefused
from chatd.core.rooms import HISTORY_DEFAULT, HISTORY_MOST
from chatd.core.text import clean
from chatd.doors.web.wire import BadRequest, JSONObject

if TYPE_CHECKING:
    from chatd.core.session import Session


_SURROGATE = re.compile("[\ud800-\udfff]")


class TooLong(ChatError):
    """A text field longer than a line may be."""

    code = "text_too_long"


@dataclass(frozen=True)
class Fields:
    """A request's fields, read with their types checked."""

    data: JSONObject
    #: The longest text a field may carry, in UTF-8 bytes: the line door's line limit.
    max_text: int

    def text(self, key: str) -> str:
        """Field ``key``: a non-empty string once cleaned."""
        value = self.optional_text(key)
        if value is None:
            raise BadRequest(f'"{key}" is required and must be a string', "bad_field")
        if not value.strip():
            raise BadRequest(f'"{key}" must not be empty', "bad_field")
        return value

    def optional_text(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise BadRequest(f'"{key}" must be a string', "bad_field")
        if not value.isascii():
            # json.loads lets a lone surrogate through ("\ud800"), which cannot be encoded.
            value = _SURROGATE.sub("\ufffd", value)
        if len(value.encode()) > self.max_text:
            raise TooLong(f'"{key}" is too long (limit {self.max_text} bytes)')
        return clean(value).rstrip()  # chat keeps its leading spaces, as on the line door

    def secret(self, key: str) -> str:
        """Field ``key``: a password, exactly as given (never cleaned, never logged)."""
        value = self.data.get(key)
        if not isinstance(value, str) or not value:
            raise BadRequest(f'"{key}" is required and must be a string', "bad_field")
        if len(value.encode("utf-8", "surrogatepass")) > self.max_text:
            raise TooLong(f'"{key}" is too long (limit {self.max_text} bytes)')
        return value

    def optional_secret(self, key: str) -> str | None:
        return self.secret(key) if self.data.get(key) is not None else None

    def word(self, key: str) -> str:
        """Field ``key``: one word (a name or a room), surrounding spaces ignored."""
        value = self.text(key).strip()
        if " " in value:
            raise BadRequest(f'"{key}" must be a single word', "bad_field")
        return value

    def optional_word(self, key: str) -> str | None:
        return self.word(key) if self.data.get(key) is not None else None

    def optional_seq(self, key: str) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if type(value) is not int or value < 0:
            raise BadRequest(f'"{key}" must be a whole number, 0 or more', "bad_field")
        return value

    def flag(self, key: str) -> bool:
        value = self.data.get(key)
        if type(value) is not bool:
            raise BadRequest(f'"{key}" is required and must be true or false', "bad_field")
        return value


def _stripped(text: str | None) -> str | None:
    """``text`` without surrounding spaces, or None if that leaves nothing."""
    return (text or "").strip() or None


def _name(session: Session, fields: Fields) -> None:
    session.hub.join(session, fields.word("name"), fields.optional_secret("password"))


def _login(session: Session, fields: Fields) -> None:
    session.hub.join(session, fields.word("name"), fields.secret("password"))


def _password(session: Session, fields: Fields) -> None:
    session.hub.give_password(session, fields.secret("password"))


def _nick(session: Session, fields: Fields) -> None:
    session.hub.rename(session, fields.word("name"), fields.optional_secret("password"))


def _say(session: Session, fields: Fields) -> None:
    session.hub.say(session, fields.text("text"), fields.optional_word("room"))


def _act(session: Session, fields: Fields) -> None:
    session.hub.act(session, fields.text("text"), fields.optional_word("room"))


def _msg(session: Session, fields: Fields) -> None:
    session.hub.whisper(session, fields.word("to"), fields.text("text").strip())


def _join(session: Session, fields: Fields) -> None:
    session.hub.rooms.join(session, fields.word("room"))


def _part(session: Session, fields: Fields) -> None:
    room = fields.optional_word("room")
    session.hub.rooms.part(session, room, _stripped(fields.optional_text("reason")))


def _topic(session: Session, fields: Fields) -> None:
    hub = session.hub
    text = _stripped(fields.optional_text("text"))
    hub.rooms.topic(session, text, hub.clock.seconds(), fields.optional_word("room"))


def _history(session: Session, fields: Fields) -> None:
    before, after = fields.optional_seq("before"), fields.optional_seq("after")
    if before is not None and after is not None:
        raise BadRequest('give "before" or "after", not both', "bad_field")
    limit = fields.optional_seq("limit")
    count = HISTORY_DEFAULT if limit is None else min(limit, HISTORY_MOST)
    session.hub.rooms.history(
        session, fields.optional_word("room"), count, before=before, after=after
    )


def _receipts(session: Session, fields: Fields) -> None:
    session.hub.set_receipts(session, fields.flag("on"))


def _who(session: Session, fields: Fields) -> None:
    room = fields.optional_word("room")
    if room is None:
        session.tell(events.Online(session.hub.online()))
    else:
        session.hub.rooms.who(session, room)


def _rooms(session: Session, fields: Fields) -> None:
    session.tell(events.RoomList(session.hub.rooms.listing()))


def _command(session: Session, fields: Fields) -> None:
    line = fields.data.get("line")
    if not isinstance(line, str):
        raise BadRequest('"line" is required and must be a string', "bad_field")
    fields.optional_text("line")  # the same length check; the session cleans the line itself
    session.receive(line)


def _quit(session: Session, fields: Fields) -> None:
    session.quit(_stripped(fields.optional_text("reason")))


@dataclass(frozen=True)
class Operation:
    run: Callable[[Session, Fields], None]
    #: Whether the connection must have chosen a name first.
    named: bool = True


OPERATIONS: dict[str, Operation] = {
    "name": Operation(_name, named=False),
    "login": Operation(_login, named=False),
    "password": Operation(_password, named=False),
    "command": Operation(_command, named=False),
    "quit": Operation(_quit, named=False),
    "nick": Operation(_nick),
    "say": Operation(_say),
    "act": Operation(_act),
    "msg": Operation(_msg),
    "join": Operation(_join),
    "part": Operation(_part),
    "topic": Operation(_topic),
    "history": Operation(_history),
    "receipts": Operation(_receipts),
    "who": Operation(_who),
    "rooms": Operation(_rooms),
}


def perform(session: Session, kind: str, data: JSONObject, max_text: int) -> None:
    """Do request ``kind`` for ``session``; a refusal is raised as a :class:`ChatError`."""
    operation = OPERATIONS.get(kind)
    if operation is None:
        raise BadRequest(f"unknown request type: {kind[:40]}", "unknown_type")
    if operation.named and session.name is None:
        raise NameRefused("choose a username first", "name_required")
    operation.run(session, Fields(data, max_text))
