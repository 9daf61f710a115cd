"""What a server line is: wire protocol v2's line kinds, recognised from their first characters.

Every face (terminal, pipe and GUI) shows lines by kind, so the protocol's text forms are known
here and nowhere else in the client.  Usernames cannot contain ``:``, ``*``, ``!``, ``[``,
``+``, ``#`` or spaces, which is what makes the kinds unambiguous; the one ambiguity the protocol
leaves is that a ``/me`` action (``* NAME ACTION``) looks like any other notice.

A line of a room that is not the reader's current room arrives as ``#room `` and a line of any
other kind: it is classified as that kind, with :attr:`ServerLine.room` saying whose it is.
Notices about rooms (``* Now talking in ...``, topics, joins and parts of a room, the
``/history`` block) carry a :class:`RoomNotice`, and receipts a :class:`Receipt`.  A v1 server
sends none of these, so the same classifier serves both versions.

Notices that say who is here (joins, leaves, renames, the ``* Online`` list) also carry a
:class:`Presence`, so that a face can keep a list of users.  The ambiguity above reaches them
too: ``/me has left the chat`` reads exactly like a leave, so such a list is a good guess that
the next ``/who`` corrects, never proof.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "LineKind",
    "Presence",
    "PresenceKind",
    "Receipt",
    "RoomNotice",
    "RoomNoticeKind",
    "ServerLine",
    "classify",
    "find_mentions",
    "name_key",
    "too_long_limit",
]

PROMPT_TEXT = "* Please enter a username:"

_WELCOME = re.compile(r"\* Welcome (\S+)! If you ever want to quit, type <quit> to exit\.")
_NEW_NAME = re.compile(r"\* You are now known as (\S+)")
_GOODBYE = re.compile(r"\* Goodbye(?: (\S+))?!")
_PRIVATE = re.compile(r"\[private\] ([^\s:]+): (.*)")
_PRIVATE_SENT = re.compile(r"\[private to ([^\s\]]+)\] (.*)")
_HISTORY = re.compile(r"(\[(?:\d{4}-\d\d-\d\d )?\d\d:\d\d\] )(.*)")
_CHAT = re.compile(r"([^\s:*!\[+#]+): (.*)")
_ACTION = re.compile(r"\* ([^\s:*!\[+#]+) (.*)")
_NAME = r"([^\s:*!\[,+#]+)"
_ROOM = r"(#[^\s,]+)"
_JOINED = re.compile(rf"\* {_NAME} has joined the chat")
_LEFT = re.compile(rf"\* {_NAME} has left the chat(?: \(.*\))?")
_RENAMED = re.compile(rf"\* {_NAME} is now known as {_NAME}")
_ONLINE = re.compile(r"\* Online \((\d+)\): (.*)")
_MARKED = re.compile(rf"{_ROOM} (.*)")
_RECEIPT = re.compile(rf"\+ (\d+) {_ROOM} (\S+)")
_ROOM_LISTED = re.compile(rf"{_ROOM} \(\d+\)")
_TOO_LONG = re.compile(r"line too long \(limit (\d+) bytes\)")


class LineKind(enum.Enum):
    """The kinds of line a server sends."""

    CHAT = "chat"  # NAME: TEXT
    NOTICE = "notice"  # * TEXT (joins, leaves, /who, /help, /me actions, the message of the day)
    ERROR = "error"  # ! TEXT
    PRIVATE = "private"  # [private] NAME: TEXT, a private message to you
    PRIVATE_SENT = "private sent"  # [private to NAME] TEXT, the copy of one you sent
    HISTORY = "history"  # [HH:MM] or [YYYY-MM-DD HH:MM] followed by a chat or action line
    PROMPT = "prompt"  # * Please enter a username:
    WELCOME = "welcome"  # * Welcome NAME! ..., the end of the handshake
    NEW_NAME = "new name"  # * You are now known as NAME, after your /nick
    GOODBYE = "goodbye"  # * Goodbye NAME!, the server's answer to <quit>
    RECEIPT = "receipt"  # + SEQ #room TIME, a line of ours is stored (v2)
    OTHER = "other"  # anything the protocol does not describe

    @property
    def is_notice(self) -> bool:
        """Whether the line is a ``* `` line, shown as a notice whatever it means to the client."""
        return self in _NOTICE_KINDS


_NOTICE_KINDS = frozenset(
    {LineKind.NOTICE, LineKind.PROMPT, LineKind.WELCOME, LineKind.NEW_NAME, LineKind.GOODBYE}
)


class PresenceKind(enum.Enum):
    """What a notice says about who is here."""

    JOINED = "joined"  # * NAME has joined the chat
    LEFT = "left"  # * NAME has left the chat, with or without (REASON)
    RENAMED = "renamed"  # * OLD is now known as NEW
    ONLINE = "online"  # * Online (K): a, b, c, after the welcome and for /who


@dataclass(frozen=True)
class Presence:
    """Who a notice says joined, left, was renamed, or is online."""

    kind: PresenceKind
    #: (NAME,) for a join or leave, (OLD, NEW) for a rename, everyone online for the list.
    names: tuple[str, ...]


class RoomNoticeKind(enum.Enum):
    """What a notice says about a room (protocol v2)."""

    NOW_TALKING = "now talking"  # * Now talking in #room (K here: a, b): our current room
    TOPIC = "topic"  # * Topic of #room: TEXT, or * #room has no topic (text None)
    TOPIC_SET = "topic set"  # * NAME set the topic of #room: TEXT
    MEMBER_JOINED = "member joined"  # * NAME has joined #room
    MEMBER_LEFT = "member left"  # * NAME has left #room, with or without (REASON)
    YOU_LEFT = "you left"  # * You left #room
    MEMBERS = "members"  # * In #room (K): a, b, the answer to /who #room
    ROOMS = "rooms"  # * Rooms (N): #a (3), #b (1), the answer to /rooms
    HISTORY_BEGIN = "history begin"  # * History of #room (M lines):
    HISTORY_END = "history end"  # * End of history of #room
    RECEIPTS = "receipts"  # * Receipts are on|off (text "on" or "off")


@dataclass(frozen=True)
class RoomNotice:
    """What a room notice says; fields a kind does not have are None or empty."""

    kind: RoomNoticeKind
    #: The room the notice is about (None only for the receipts switch and the room list).
    room: str | None = None
    #: Who is there (now talking, members), who did it (topic set, member joined or left), or
    #: the rooms listed (rooms).
    names: tuple[str, ...] = ()
    #: The topic (topic, topic set), "on"/"off" (receipts); None when there is none.
    text: str | None = None
    #: How many lines a history block announces.
    count: int | None = None


@dataclass(frozen=True)
class Receipt:
    """``+ SEQ #room TIME``: the line of ours numbered SEQ in ``room`` is stored."""

    seq: int
    room: str
    time: str


@dataclass(frozen=True)
class ServerLine:
    """One line from the server, decoded, without its line ending, and what it is."""

    #: The whole line, exactly as the server sent it.
    text: str
    kind: LineKind
    #: Who said it (chat, private, history), whom it went to (private sent), or your own name
    #: (welcome, new name, goodbye); None for the other kinds.
    name: str | None = None
    #: What was said (chat, private, history), or the line after its marker (``* ``, ``! ``).
    body: str = ""
    #: Whether somebody else's words contain your name, as a whole word, ignoring case.
    mentions_me: bool = False
    #: For a notice about who is here, what it says; None for every other line.
    presence: Presence | None = None
    #: The room of a line marked ``#room `` (a room that is not the reader's current room).
    room: str | None = None
    #: For a notice about a room, what it says; None for every other line.
    room_notice: RoomNotice | None = None
    #: For a receipt, what it confirms.
    receipt: Receipt | None = None
    #: The ``[HH:MM] `` (or dated) stamp of a history line, with its space; "" otherwise.
    stamp: str = ""

    @property
    def unmarked(self) -> str:
        """The line without its ``#room `` mark: what a reader in that room would see."""
        return self.text[len(self.room) + 1 :] if self.room is not None else self.text


def name_key(name: str) -> str:
    """How the server compares names and rooms: NFKC, then case folded."""
    return unicodedata.normalize("NFKC", name).casefold()


def too_long_limit(line: ServerLine) -> int | None:
    """For ``! line too long (limit N bytes)``, the limit N: the line we sent was not taken."""
    if line.kind is LineKind.ERROR and (match := _TOO_LONG.fullmatch(line.body)):
        return int(match[1])
    return None


def find_mentions(text: str, name: str | None) -> list[tuple[int, int]]:
    """The (start, end) spans where ``name`` appears in ``text`` as a whole word, ignoring case."""
    if not name:
        return []
    pattern = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE)
    return [match.span() for match in pattern.finditer(text)]


def classify(text: str, my_name: str | None = None) -> ServerLine:
    """Tell what kind of line ``text`` is; ``my_name`` (None before the welcome) finds mentions."""
    if text.startswith("#") and (marked := _MARKED.fullmatch(text)):
        inner = _classify_unmarked(marked[2], my_name)
        if inner.kind is not LineKind.OTHER:
            return dataclasses.replace(inner, text=text, room=marked[1])
    return _classify_unmarked(text, my_name)


def _classify_unmarked(text: str, my_name: str | None) -> ServerLine:
    if text.startswith("! ") or text == "!":
        return ServerLine(text, LineKind.ERROR, body=text[2:])
    if text.startswith("* "):
        return _classify_notice(text)
    if text.startswith("+ ") and (match := _RECEIPT.fullmatch(text)):
        receipt = Receipt(int(match[1]), match[2], match[3])
        return ServerLine(text, LineKind.RECEIPT, body=text[2:], receipt=receipt)
    if match := _PRIVATE.fullmatch(text):
        return _spoken(text, LineKind.PRIVATE, match[1], match[2], my_name)
    if match := _PRIVATE_SENT.fullmatch(text):
        return ServerLine(text, LineKind.PRIVATE_SENT, name=match[1], body=match[2])
    if match := _HISTORY.fullmatch(text):
        said = _CHAT.fullmatch(match[2]) or _ACTION.fullmatch(match[2])
        if said:
            line = _spoken(text, LineKind.HISTORY, said[1], said[2], my_name)
            return dataclasses.replace(line, stamp=match[1])
        return ServerLine(text, LineKind.OTHER)
    if match := _CHAT.fullmatch(text):
        return _spoken(text, LineKind.CHAT, match[1], match[2], my_name)
    return ServerLine(text, LineKind.OTHER)


def _classify_notice(text: str) -> ServerLine:
    body = text[2:]
    if text == PROMPT_TEXT:
        return ServerLine(text, LineKind.PROMPT, body=body)
    for kind, pattern in (
        (LineKind.WELCOME, _WELCOME),
        (LineKind.NEW_NAME, _NEW_NAME),
        (LineKind.GOODBYE, _GOODBYE),
    ):
        if match := pattern.fullmatch(text):
            return ServerLine(text, kind, name=match[1], body=body)
    return ServerLine(
        text, LineKind.NOTICE, body=body, presence=_presence(text), room_notice=_room_notice(body)
    )


def _presence(text: str) -> Presence | None:
    if match := _JOINED.fullmatch(text):
        return Presence(PresenceKind.JOINED, (match[1],))
    if match := _LEFT.fullmatch(text):
        return Presence(PresenceKind.LEFT, (match[1],))
    if match := _RENAMED.fullmatch(text):
        return Presence(PresenceKind.RENAMED, (match[1], match[2]))
    if match := _ONLINE.fullmatch(text):
        names = _name_list(match[2], int(match[1]))
        if names is not None:
            return Presence(PresenceKind.ONLINE, names)
    return None


def _name_list(listed: str, count: int) -> tuple[str, ...] | None:
    """The names of ``a, b, c`` if there are ``count`` of them and each is a name."""
    names = tuple(listed.split(", ")) if listed else ()
    if len(names) == count and all(re.fullmatch(_NAME, name) for name in names):
        return names
    return None


_ROOM_NOTICES: list[tuple[RoomNoticeKind, re.Pattern[str]]] = [
    (RoomNoticeKind.NOW_TALKING, re.compile(rf"Now talking in {_ROOM} \((\d+) here: (.*)\)")),
    (RoomNoticeKind.TOPIC, re.compile(rf"Topic of {_ROOM}: (.*)")),
    (RoomNoticeKind.TOPIC, re.compile(rf"{_ROOM} has no topic()")),
    (RoomNoticeKind.TOPIC_SET, re.compile(rf"{_NAME} set the topic of {_ROOM}: (.*)")),
    (RoomNoticeKind.MEMBER_JOINED, re.compile(rf"{_NAME} has joined {_ROOM}")),
    (RoomNoticeKind.MEMBER_LEFT, re.compile(rf"{_NAME} has left {_ROOM}(?: \(.*\))?")),
    (RoomNoticeKind.YOU_LEFT, re.compile(rf"You left {_ROOM}")),
    (RoomNoticeKind.MEMBERS, re.compile(rf"In {_ROOM} \((\d+)\): (.*)")),
    (RoomNoticeKind.ROOMS, re.compile(r"Rooms \((\d+)\): (.*)")),
    (RoomNoticeKind.HISTORY_BEGIN, re.compile(rf"History of {_ROOM} \((\d+) lines?\):")),
    (RoomNoticeKind.HISTORY_END, re.compile(rf"End of history of {_ROOM}")),
    (RoomNoticeKind.RECEIPTS, re.compile(r"Receipts are (on|off)")),
]


def _room_notice(body: str) -> RoomNotice | None:
    for kind, pattern in _ROOM_NOTICES:
        match = pattern.fullmatch(body)
        if match is None:
            continue
        if kind is RoomNoticeKind.NOW_TALKING or kind is RoomNoticeKind.MEMBERS:
            names = _name_list(match[3], int(match[2]))
            return None if names is None else RoomNotice(kind, match[1], names)
        if kind is RoomNoticeKind.TOPIC:
            return RoomNotice(kind, match[1], text=match[2] or None)
        if kind is RoomNoticeKind.TOPIC_SET:
            return RoomNotice(kind, match[2], (match[1],), match[3])
        if kind in (RoomNoticeKind.MEMBER_JOINED, RoomNoticeKind.MEMBER_LEFT):
            return RoomNotice(kind, match[2], (match[1],))
        if kind is RoomNoticeKind.ROOMS:
            rooms = (
                tuple(_ROOM_LISTED.fullmatch(r) for r in match[2].split(", ")) if match[2] else ()
            )
            if len(rooms) != int(match[1]) or not all(rooms):
                return None
            return RoomNotice(kind, names=tuple(room[1] for room in rooms if room))
        if kind is RoomNoticeKind.HISTORY_BEGIN:
            return RoomNotice(kind, match[1], count=int(match[2]))
        if kind is RoomNoticeKind.RECEIPTS:
            return RoomNotice(kind, text=match[1])
        return RoomNotice(kind, match[1])
    return None


def _spoken(text: str, kind: LineKind, name: str, said: str, my_name: str | None) -> ServerLine:
    mine = my_name is not None and name_key(name) == name_key(my_name)
    mentioned = not mine and bool(find_mentions(said, my_name))
    return ServerLine(text, kind, name=name, body=said, mentions_me=mentioned)
