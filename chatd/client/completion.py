"""Tab completion for the line being typed: command words, room names and usernames.

Pure functions over an :class:`~chatd.client.editor.InputLine`-like pair (text, cursor), so
the terminal face only decides what to do with the result.  The word before the cursor is
completed: a first word starting with ``/`` against the server's command words, a word starting
with ``#`` against room names, any other word against the names online.  Matching ignores case
(names compare that way on the server); a completed word takes the spelling of its match.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from chatd.client.lines import name_key

__all__ = ["COMMAND_WORDS", "ROOM_COMMAND_WORDS", "Completion", "complete"]

#: The commands of protocol v1, as ``/help`` lists them with their aliases.
COMMAND_WORDS = ("/help", "/who", "/users", "/names", "/nick", "/me", "/msg", "/w", "/quit")
#: The commands protocol v2 adds: offered only when the server has rooms.
ROOM_COMMAND_WORDS = ("/join", "/part", "/rooms", "/topic", "/to", "/history", "/receipts")


@dataclass(frozen=True)
class Completion:
    """What Tab does: the new text and cursor, and the choices when there is more than one."""

    text: str
    cursor: int
    #: Every match when the word could not be completed to one of them; empty otherwise.
    choices: tuple[str, ...] = ()


def complete(
    text: str, cursor: int, names: Iterable[str], rooms: Iterable[str], has_rooms: bool
) -> Completion:
    """Complete the word before ``cursor`` in ``text``.

    One match replaces the word and adds a space.  Several matches extend the word as far as
    they agree and, if that adds nothing, are all returned as :attr:`Completion.choices`.
    """
    start = text.rfind(" ", 0, cursor) + 1
    word = text[start:cursor]
    if not word:
        return Completion(text, cursor)
    if word.startswith("/") and start == 0:
        candidates: Iterable[str] = COMMAND_WORDS + (ROOM_COMMAND_WORDS if has_rooms else ())
    elif word.startswith("#"):
        candidates = rooms
    else:
        candidates = names
    key = name_key(word)
    matches = sorted({c for c in candidates if name_key(c).startswith(key)}, key=name_key)
    if not matches:
        return Completion(text, cursor)
    if len(matches) == 1:
        replacement, rest = matches[0] + " ", text[cursor:]
        if rest.startswith(" "):
            rest = rest[1:]  # the space after the word is there already: keep one
        new = text[:start] + replacement + rest
        return Completion(new, start + len(replacement))
    shared = _shared_start(matches)
    if len(shared) > len(word):
        new = text[:start] + shared + text[cursor:]
        return Completion(new, start + len(shared))
    return Completion(text, cursor, tuple(matches))


def _shared_start(matches: list[str]) -> str:
    """The longest start of the first match that every match shares, ignoring case."""
    first, keys = matches[0], [name_key(match) for match in matches]
    for length in range(len(first), 0, -1):
        start = name_key(first[:length])
        if all(key.startswith(start) for key in keys):
            return first[:length]
    return ""
