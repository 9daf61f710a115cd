"""How a server line looks on a terminal: printable text, and ANSI colours by line kind.

A line of a room that is not the current one keeps its ``#room`` mark, drawn in a colour of
that room's own: the same room always gets the same colour, in every run.

Pure functions, so the look is tested without a terminal.  Colours follow https://no-color.org:
they are used only when standard output is a terminal, ``NO_COLOR`` is unset or empty, and
``TERM`` is not ``dumb``.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping

from chatd.client.lines import LineKind, ServerLine, find_mentions, name_key

__all__ = ["ROOM_COLOURS", "for_terminal", "room_colour", "styled", "use_colour"]

RESET = "\x1b[0m"
DIM = "\x1b[2m"
RED = "\x1b[31m"
PRIVATE = "\x1b[1;35m"  # bold magenta
MENTION = "\x1b[1;33m"  # bold yellow, for your own name in others' words

#: The colours a room's mark may get: none of them is the errors' red or the private magenta.
ROOM_COLOURS = (
    "\x1b[36m",  # cyan
    "\x1b[32m",  # green
    "\x1b[33m",  # yellow
    "\x1b[34m",  # blue
    "\x1b[96m",  # bright cyan
    "\x1b[92m",  # bright green
    "\x1b[93m",  # bright yellow
    "\x1b[94m",  # bright blue
)

_STYLES = {
    LineKind.ERROR: RED,
    LineKind.PRIVATE: PRIVATE,
    LineKind.PRIVATE_SENT: PRIVATE,
}

# C0 and C1 controls and DEL: a server (or its message of the day) must not drive our terminal.
_CONTROLS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def use_colour(stdout_is_terminal: bool, environ: Mapping[str, str]) -> bool:
    """Whether to colour output: only on a terminal, and not when the user asked for none."""
    return stdout_is_terminal and not environ.get("NO_COLOR") and environ.get("TERM") != "dumb"


def for_terminal(text: str) -> str:
    """``text`` without control characters (TAB becomes a space), safe to show on a terminal."""
    return _CONTROLS.sub("", text.replace("\t", " "))


def styled(line: ServerLine, colour: bool, my_name: str | None = None) -> str:
    """``line`` as shown on a terminal: controls removed and, with ``colour``, its kind's colour.

    Notices are dim, errors red, private messages bold magenta; in somebody else's words that
    mention you (``my_name``), your name stands out.  A room's mark has the room's colour.
    """
    text = for_terminal(line.text)
    if not colour:
        return text
    if line.room is not None:
        mark = for_terminal(line.room)
        rest = _styled_kind(line, text[len(mark) + 1 :], my_name)
        return f"{room_colour(line.room)}{mark}{RESET} {rest}"
    return _styled_kind(line, text, my_name)


def room_colour(room: str) -> str:
    """The colour of ``room``'s mark: chosen by the room's name key, so stable across runs."""
    return ROOM_COLOURS[zlib.crc32(name_key(room).encode()) % len(ROOM_COLOURS)]


def _styled_kind(line: ServerLine, text: str, my_name: str | None) -> str:
    if line.kind.is_notice:
        return f"{DIM}{text}{RESET}"
    if line.kind in _STYLES:
        return f"{_STYLES[line.kind]}{text}{RESET}"
    if line.mentions_me and text.endswith(for_terminal(line.body)):
        return _highlight(text, len(text) - len(for_terminal(line.body)), my_name)
    return text


def _highlight(text: str, words_start: int, my_name: str | None) -> str:
    """``text`` with each mention of ``my_name`` after ``words_start`` (not the sender's name)."""
    pieces = [text[:words_start]]
    position = words_start
    for begin, end in find_mentions(text[words_start:], my_name):
        begin, end = begin + words_start, end + words_start
        pieces += [text[position:begin], MENTION, text[begin:end], RESET]
        position = end
    pieces.append(text[position:])
    return "".join(pieces)
