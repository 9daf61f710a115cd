"""How a server line looks on a terminal: printable text, and ANSI colours by line kind.

Pure functions, so the look is tested without a terminal.  Colours follow https://no-color.org:
they are used only when standard output is a terminal, ``NO_COLOR`` is unset or empty, and
``TERM`` is not ``dumb``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from chatd.client.lines import LineKind, ServerLine, find_mentions

__all__ = ["for_terminal", "styled", "use_colour"]

RESET = "\x1b[0m"
DIM = "\x1b[2m"
RED = "\x1b[31m"
PRIVATE = "\x1b[1;35m"  # bold magenta
MENTION = "\x1b[1;33m"  # bold yellow, for your own name in others' words

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
    mention you (``my_name``), your name stands out.
    """
    text = for_terminal(line.text)
    if not colour:
        return text
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
