"""What a server line is: wire protocol v1's line kinds, recognised from their first characters.

Every face (terminal, pipe and GUI) shows lines by kind, so the protocol's text forms are known
here and nowhere else in the client.  Usernames cannot contain ``:``, ``*``, ``!``, ``[`` or
spaces, which is what makes the kinds unambiguous; the one ambiguity the protocol leaves is that a
``/me`` action (``* NAME ACTION``) looks like any other notice.

Notices that say who is here (joins, leaves, renames, the ``* Online`` list) also carry a
:class:`Presence`, so that a face can keep a list of users.  The ambiguity above reaches them
too: ``/me has left the chat`` reads exactly like a leave, so such a list is a good guess that
the next ``/who`` corrects, never proof.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

__all__ = ["LineKind", "Presence", "PresenceKind", "ServerLine", "classify", "find_mentions"]

PROMPT_TEXT = "* Please enter a username:"

_WELCOME = re.compile(r"\* Welcome (\S+)! If you ever want to quit, type <quit> to exit\.")
_NEW_NAME = re.compile(r"\* You are now known as (\S+)")
_GOODBYE = re.compile(r"\* Goodbye(?: (\S+))?!")
_PRIVATE = re.compile(r"\[private\] ([^\s:]+): (.*)")
_PRIVATE_SENT = re.compile(r"\[private to ([^\s\]]+)\] (.*)")
_HISTORY = re.compile(r"\[(\d\d:\d\d)\] (.*)")
_CHAT = re.compile(r"([^\s:*!\[]+): (.*)")
_ACTION = re.compile(r"\* ([^\s:*!\[]+) (.*)")
_NAME = r"([^\s:*!\[,]+)"
_JOINED = re.compile(rf"\* {_NAME} has joined the chat")
_LEFT = re.compile(rf"\* {_NAME} has left the chat(?: \(.*\))?")
_RENAMED = re.compile(rf"\* {_NAME} is now known as {_NAME}")
_ONLINE = re.compile(r"\* Online \((\d+)\): (.*)")


class LineKind(enum.Enum):
    """The kinds of line a v1 server sends."""

    CHAT = "chat"  # NAME: TEXT
    NOTICE = "notice"  # * TEXT (joins, leaves, /who, /help, /me actions, the message of the day)
    ERROR = "error"  # ! TEXT
    PRIVATE = "private"  # [private] NAME: TEXT, a private message to you
    PRIVATE_SENT = "private sent"  # [private to NAME] TEXT, the copy of one you sent
    HISTORY = "history"  # [HH:MM] followed by a chat or action line
    PROMPT = "prompt"  # * Please enter a username:
    WELCOME = "welcome"  # * Welcome NAME! ..., the end of the handshake
    NEW_NAME = "new name"  # * You are now known as NAME, after your /nick
    GOODBYE = "goodbye"  # * Goodbye NAME!, the server's answer to <quit>
    OTHER = "other"  # anything protocol v1 does not describe

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


def find_mentions(text: str, name: str | None) -> list[tuple[int, int]]:
    """The (start, end) spans where ``name`` appears in ``text`` as a whole word, ignoring case."""
    if not name:
        return []
    pattern = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE)
    return [match.span() for match in pattern.finditer(text)]


def classify(text: str, my_name: str | None = None) -> ServerLine:
    """Tell what kind of line ``text`` is; ``my_name`` (None before the welcome) finds mentions."""
    if text.startswith("! ") or text == "!":
        return ServerLine(text, LineKind.ERROR, body=text[2:])
    if text.startswith("* "):
        return _classify_notice(text)
    if match := _PRIVATE.fullmatch(text):
        return _spoken(text, LineKind.PRIVATE, match[1], match[2], my_name)
    if match := _PRIVATE_SENT.fullmatch(text):
        return ServerLine(text, LineKind.PRIVATE_SENT, name=match[1], body=match[2])
    if match := _HISTORY.fullmatch(text):
        said = _CHAT.fullmatch(match[2]) or _ACTION.fullmatch(match[2])
        if said:
            return _spoken(text, LineKind.HISTORY, said[1], said[2], my_name)
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
    return ServerLine(text, LineKind.NOTICE, body=body, presence=_presence(text))


def _presence(text: str) -> Presence | None:
    if match := _JOINED.fullmatch(text):
        return Presence(PresenceKind.JOINED, (match[1],))
    if match := _LEFT.fullmatch(text):
        return Presence(PresenceKind.LEFT, (match[1],))
    if match := _RENAMED.fullmatch(text):
        return Presence(PresenceKind.RENAMED, (match[1], match[2]))
    if match := _ONLINE.fullmatch(text):
        names = tuple(match[2].split(", "))
        if len(names) == int(match[1]) and all(re.fullmatch(_NAME, name) for name in names):
            return Presence(PresenceKind.ONLINE, names)
    return None


def _spoken(text: str, kind: LineKind, name: str, said: str, my_name: str | None) -> ServerLine:
    mine = my_name is not None and name.casefold() == my_name.casefold()
    mentioned = not mine and bool(find_mentions(said, my_name))
    return ServerLine(text, kind, name=name, body=said, mentions_me=mentioned)
