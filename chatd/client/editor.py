"""The line the person is typing on a terminal, and how to draw it without mangling it.

:class:`InputLine` is the editing state (text, cursor, history of sent lines); the ``draw_*``
functions turn it into the bytes a terminal needs.  The input always fits on one terminal row: a
line wider than the terminal scrolls sideways around the cursor, so redrawing it never depends
on how the terminal wrapped it.  A server line is printed *above* the input line (clear the row,
print the message, redraw the prompt and the half-typed text), the way the classic tutorial
client did with ``\\r``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from chatd.client.render import for_terminal

__all__ = ["CLEAR_ROW", "InputLine", "draw_above", "draw_input", "text_width"]

CLEAR_ROW = "\r\x1b[K"


def _char_width(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def text_width(text: str) -> int:
    """How many terminal columns ``text`` takes (wide East Asian characters take two)."""
    return sum(_char_width(char) for char in text)


@dataclass
class InputLine:
    """What the person is typing: the text, where the cursor is, and the lines typed before."""

    text: str = ""
    cursor: int = 0
    history: list[str] = field(default_factory=list)
    #: Where Up/Down is in :attr:`history`; ``len(history)`` is the line being typed.
    _recalled: int = 0
    _draft: str = ""

    def insert(self, chars: str) -> None:
        self.text = self.text[: self.cursor] + chars + self.text[self.cursor :]
        self.cursor += len(chars)

    def backspace(self) -> None:
        if self.cursor > 0:
            self.text = self.text[: self.cursor - 1] + self.text[self.cursor :]
            self.cursor -= 1

    def delete(self) -> None:
        self.text = self.text[: self.cursor] + self.text[self.cursor + 1 :]

    def left(self) -> None:
        self.cursor = max(0, self.cursor - 1)

    def right(self) -> None:
        self.cursor = min(len(self.text), self.cursor + 1)

    def home(self) -> None:
        self.cursor = 0

    def end(self) -> None:
        self.cursor = len(self.text)

    def erase_to_start(self) -> None:
        """Ctrl-U: forget everything before the cursor."""
        self.text = self.text[self.cursor :]
        self.cursor = 0

    def erase_word(self) -> None:
        """Ctrl-W: forget the word before the cursor, and the spaces after it."""
        before = self.text[: self.cursor].rstrip(" ")
        cut = before.rfind(" ") + 1
        self.text = self.text[:cut] + self.text[self.cursor :]
        self.cursor = cut

    def previous(self) -> None:
        """Up: recall the line typed before the one shown."""
        if self._recalled == 0:
            return
        if self._recalled == len(self.history):
            self._draft = self.text
        self._recalled -= 1
        self._show(self.history[self._recalled])

    def next(self) -> None:
        """Down: go forward in the history, back to the line that was being typed."""
        if self._recalled >= len(self.history):
            return
        self._recalled += 1
        recalled = self._draft if self._recalled == len(self.history) else None
        self._show(self.history[self._recalled] if recalled is None else recalled)

    def submit(self) -> str:
        """Enter: the finished line; the input becomes empty and the line joins the history."""
        line = self.text
        if line.strip() and (not self.history or self.history[-1] != line):
            self.history.append(line)
        self.text, self.cursor, self._draft = "", 0, ""
        self._recalled = len(self.history)
        return line

    def _show(self, text: str) -> None:
        self.text, self.cursor = text, len(text)


def draw_input(prompt: str, line: InputLine, width: int) -> str:
    """Redraw the input row: ``prompt`` and as much of the text as fits, cursor in place.

    The text scrolls sideways so that the cursor stays visible; one column is left free so that
    the terminal never wraps.
    """
    prompt = for_terminal(prompt)
    room = max(1, width - 1 - text_width(prompt))
    text, cursor = line.text, line.cursor
    start = 0
    while text_width(text[start:cursor]) > room:
        start += 1
    end = cursor
    while end < len(text) and text_width(text[start : end + 1]) <= room:
        end += 1
    back = text_width(text[cursor:end])
    move_back = f"\x1b[{back}D" if back else ""
    return f"{CLEAR_ROW}{prompt}{text[start:end]}\x1b[K{move_back}"


def draw_above(message: str, prompt: str, line: InputLine, width: int) -> str:
    """Print ``message`` (already styled) above the input row, then redraw the input row."""
    return f"{CLEAR_ROW}{message}\r\n{draw_input(prompt, line, width)}"
