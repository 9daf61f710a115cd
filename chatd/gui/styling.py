"""Which tags each piece of a line gets in the message view: the GUI's look, without Tk.

A line becomes a list of :data:`Segment` ``(text, tags)`` whose texts join up to the line as
received; the window inserts each piece with its tags and :data:`TAG_LOOKS` says how each tag
is drawn.  Notices, errors, private messages and actions each have a tag of their own, and the
person's own name is marked wherever it appears as a speaker or in somebody else's words.

Protocol v1 sends a ``/me`` action as ``* NAME ACTION``, like any notice; a notice whose first
word is somebody online (see :class:`~chatd.client.roster.Roster`) is taken as an action.  The
server reserves the first words of its own notices as names, so no real notice is mistaken.
"""

from __future__ import annotations

from collections.abc import Container

from chatd.client.lines import LineKind, ServerLine, find_mentions, name_key
from chatd.client.protocol import is_quit_command

__all__ = [
    "TAG_LOOKS",
    "Segment",
    "is_action",
    "own_line",
    "own_said",
    "receipt_mark",
    "said",
    "server_line",
    "status_line",
]

#: A piece of a line and the names of the tags it is drawn with.
Segment = tuple[str, tuple[str, ...]]

NOTICE = "notice"  # * TEXT from the server
ERROR = "error"  # ! TEXT
PRIVATE = "private"  # [private] ... and [private to ...] ...
ACTION = "action"  # * NAME ACTION
SPEAKER = "speaker"  # the NAME of NAME: TEXT
ME = "me"  # the person's own name, as a speaker or mentioned by others
OWN = "own"  # a line the person sent, shown as the others see it
TIME = "time"  # the [HH:MM] of a history line
HISTORY = "history"  # a line said before we joined
STATUS = "status"  # what the client itself says: connecting, lost, ...
PENDING = "pending"  # a line of ours the server has not confirmed yet
RECEIPT = "receipt"  # the small mark after a line of ours: waiting, stored, not confirmed
UNCONFIRMED = "unconfirmed"  # the mark of a line still waiting when the connection ended

#: The receipt marks after our own lines, by state, and the tags they are drawn with.
RECEIPT_MARKS: dict[str, Segment] = {
    "pending": ("  …", (RECEIPT,)),
    "delivered": ("  ✓", (RECEIPT,)),
    "unconfirmed": ("  ✗ not confirmed", (RECEIPT, UNCONFIRMED)),
    "refused": ("  ✗ not sent", (RECEIPT, UNCONFIRMED)),
}

#: How each tag looks, as Tk text tag options; the window turns the font names into fonts.
#: Later tags win where they overlap: a private message or action of ours keeps its kind's
#: colour over OWN's, and ME comes after the kinds it appears in.
TAG_LOOKS: dict[str, dict[str, str]] = {
    HISTORY: {"foreground": "#5f6b7a"},
    TIME: {"foreground": "#8a94a3"},
    OWN: {"foreground": "#1a4d80"},
    NOTICE: {"foreground": "#5f6b7a", "font": "italic"},
    STATUS: {"foreground": "#2d6a9f", "font": "italic"},
    ACTION: {"foreground": "#2e7d32", "font": "italic"},
    PRIVATE: {"foreground": "#8e24aa"},
    ERROR: {"foreground": "#c62828", "font": "bold"},
    SPEAKER: {"font": "bold"},
    ME: {"background": "#fff1b8", "font": "bold"},
    PENDING: {"foreground": "#8aa4bf"},
    RECEIPT: {"foreground": "#9aa5b1"},
    UNCONFIRMED: {"foreground": "#c62828"},
}


def is_action(line: ServerLine, my_name: str | None, online: Container[str]) -> bool:
    """Whether a notice is somebody's ``/me``: its first word is somebody online, or us."""
    if line.kind is not LineKind.NOTICE or line.presence is not None:
        return False
    if line.room_notice is not None:
        return False
    actor = _first_word(line.body)
    return actor is not None and (actor in online or _same(actor, my_name))


def said(line: ServerLine, my_name: str | None, online: Container[str]) -> str | None:
    """What was said in a chat, action or history line, as history keeps it; None otherwise."""
    if line.kind is LineKind.HISTORY:
        return line.unmarked[len(line.stamp) :]
    if line.kind is LineKind.CHAT or is_action(line, my_name, online):
        return line.unmarked
    return None


def server_line(line: ServerLine, my_name: str | None, online: Container[str]) -> list[Segment]:
    """The pieces of a server line and their tags; ``online`` tells actions from notices.

    A line of another room is shown without its ``#room`` mark: it goes to that room's view.
    """
    text = line.unmarked
    if line.kind is LineKind.ERROR:
        return [(text, (ERROR,))]
    if is_action(line, my_name, online):
        actor = _first_word(line.body) or ""
        return _spoken("* ", actor, " ", line.body[len(actor) + 1 :], (ACTION,), my_name)
    if line.kind.is_notice:
        return [(text, (NOTICE,))]
    if line.kind is LineKind.PRIVATE and line.name is not None:
        prefix = "[private] "
        return _spoken(prefix, line.name, ": ", line.body, (PRIVATE,), my_name)
    if line.kind is LineKind.PRIVATE_SENT:
        return [(text, (PRIVATE, OWN))]
    if line.kind is LineKind.CHAT and line.name is not None:
        return _spoken("", line.name, ": ", line.body, (), my_name)
    if line.kind is LineKind.HISTORY and line.name is not None:
        stamp, words = line.stamp, text[len(line.stamp) :]
        tags: tuple[str, ...] = (HISTORY, ACTION) if words.startswith("* ") else (HISTORY,)
        lead, gap = ("* ", " ") if words.startswith("* ") else ("", ": ")
        return [(stamp, (HISTORY, TIME)), *_spoken(lead, line.name, gap, line.body, tags, my_name)]
    return [(text, ())]


def own_line(typed: str, my_name: str | None) -> list[Segment] | None:
    """What the others see of a line we sent, to show it in our own view; None for commands.

    The server does not echo our lines.  Chat (``//text`` included) and ``/me`` are shown as the
    others see them; other commands (and leaving) are answered by the server, and before the
    welcome there is no name to show (the line answers the username prompt).
    """
    if my_name is None:
        return None
    text = typed.rstrip()
    trimmed = text.lstrip()
    if not trimmed or is_quit_command(trimmed):
        return None
    if trimmed.startswith("//"):
        return _spoken("", my_name, ": ", trimmed[1:], (OWN,), my_name)
    if trimmed.startswith("/"):
        word, _, action = trimmed[1:].partition(" ")
        if word.casefold() == "me" and action.strip():
            return _spoken("* ", my_name, " ", action.strip(), (ACTION, OWN), my_name)
        return None
    return _spoken("", my_name, ": ", text, (OWN,), my_name)


def own_said(typed: str, my_name: str | None) -> str | None:
    """What the others see of a line we sent (``NAME: TEXT`` or ``* NAME ACTION``), if any."""
    segments = own_line(typed, my_name)
    return None if segments is None else "".join(piece for piece, _tags in segments)


def receipt_mark(state: str) -> Segment:
    """The mark after our own line: ``pending``, ``delivered``, ``unconfirmed`` or ``refused``."""
    return RECEIPT_MARKS[state]


def status_line(text: str) -> list[Segment]:
    """A line from the client itself (connecting, connection lost, ...)."""
    return [(text, (STATUS,))]


def _spoken(
    lead: str, name: str, gap: str, words: str, tags: tuple[str, ...], my_name: str | None
) -> list[Segment]:
    """``LEAD NAME GAP WORDS``: the speaker in bold, our own name marked in the words."""
    mine = _same(name, my_name)
    speaker = (*tags, SPEAKER, ME) if mine else (*tags, SPEAKER)
    pieces: list[Segment] = [(lead, tags)] if lead else []
    pieces += [(name, speaker), (gap, tags)]
    position = 0
    for begin, end in [] if mine else find_mentions(words, my_name):
        pieces += [(words[position:begin], tags), (words[begin:end], (*tags, ME))]
        position = end
    pieces.append((words[position:], tags))
    merged: list[Segment] = []
    for piece, piece_tags in pieces:
        if merged and merged[-1][1] == piece_tags:
            merged[-1] = (merged[-1][0] + piece, piece_tags)
        elif piece:
            merged.append((piece, piece_tags))
    return merged


def _first_word(text: str) -> str | None:
    word, space, rest = text.partition(" ")
    return word if word and space and rest else None


def _same(name: str, my_name: str | None) -> bool:
    return my_name is not None and name_key(name) == name_key(my_name)
