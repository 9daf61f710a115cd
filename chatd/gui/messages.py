"""One message view: the lines of one room (or of the whole chat, on a server without rooms).

Only Tk here.  A :class:`MessageView` is a Text widget with its scrollbar.  It keeps following
new lines unless the person has scrolled up to read; a view that gets shorter or narrower (a
smaller window, the banner taking room above it) keeps its top line where it was, which pushes
the newest lines out of sight and would end the following, so when the view changes size it
goes back to the bottom if it was there.

Older lines can be put above the first one (:meth:`MessageView.prepend`) without moving what
the person is looking at, and scrolling to the very top calls ``on_top()``, which is how a face
asks for them.  Each line remembers what was said in it (``NAME: TEXT`` or ``* NAME TEXT``),
which a face compares with the server's history to tell old lines from those already shown.
A line may carry a receipt mark, a short piece at its end that :meth:`MessageView.mark` changes
later (pending, delivered, not confirmed).
"""

from __future__ import annotations

import itertools
import tkinter
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from tkinter import font as tkfont
from tkinter import ttk
from typing import Any

from chatd.gui.styling import RECEIPT, TAG_LOOKS, Segment

__all__ = ["SCROLLBACK", "MessageView"]

#: Lines a view keeps; older ones are dropped, so a long session stays light.
SCROLLBACK = 5000
PAD = 8

_marks = itertools.count(1)


class MessageView:
    """A scrolling, read-only view of lines in ``parent``; ``on_top()`` at the very top."""

    def __init__(
        self,
        parent: tkinter.Misc,
        fonts: dict[str, tkfont.Font],
        on_key: Callable[[tkinter.Event], str | None],
        on_top: Callable[[], None] = lambda: None,
    ) -> None:
        #: Called when the person scrolls to the very top (a face asks for older lines).
        self.on_top = on_top
        #: What was said on each line, oldest first (None for lines that are not somebody's).
        self._said: deque[str | None] = deque()
        #: Whether the view showed the last line when it was last drawn (before any resize).
        self._drawn_at_bottom = True
        self.frame = ttk.Frame(parent)
        self.frame.columnconfigure(0, weight=1)
        self.frame.rowconfigure(0, weight=1)
        self.text = tkinter.Text(
            self.frame,
            wrap="word",
            state="disabled",
            width=60,
            height=20,
            padx=PAD,
            pady=PAD // 2,
            spacing1=1,
            spacing3=1,
            borderwidth=1,
            relief="solid",
            highlightthickness=0,
            takefocus=0,
            cursor="arrow",
            font=fonts["normal"],
        )
        self.text.grid(row=0, column=0, sticky="nsew")
        self._scrollbar = ttk.Scrollbar(self.frame, orient="vertical", command=self._scrolled)
        self._scrollbar.grid(row=0, column=1, sticky="ns")
        self.text.configure(yscrollcommand=self._view_drawn)
        self.text.bind("<Configure>", self._view_resized, add="+")
        for tag, look in TAG_LOOKS.items():
            options: dict[str, Any] = dict(look)  # Tk options: a font object among strings
            if "font" in options:
                options["font"] = fonts[options["font"]]
            self.text.tag_configure(tag, **options)
        self.text.tag_configure("sel", background="#c5dcf5")
        self.text.bind("<Key>", on_key)
        for wheel_up in ("<Button-4>", "<MouseWheel>"):
            self.text.bind(wheel_up, self._wheel, add="+")

    @property
    def lines(self) -> int:
        return len(self._said)

    def said(self) -> list[str]:
        """What was said on the lines that are somebody's, oldest first."""
        return [said for said in self._said if said is not None]

    def texts(self) -> list[str]:
        """The lines as shown, without their receipt marks."""
        pieces, position = [], "1.0"
        ranges = self.text.tag_ranges(RECEIPT)
        for start, end in zip(ranges[0::2], ranges[1::2], strict=True):
            pieces.append(self.text.get(position, start))
            position = str(end)
        pieces.append(self.text.get(position, "end-1c"))
        return "".join(pieces).split("\n")

    def show(self, segments: Iterable[Segment], said: str | None = None) -> None:
        """Add one line at the bottom; follow it only if the view was already at the bottom."""
        following = self.at_bottom()
        self.text.configure(state="normal")
        if self._said:
            self.text.insert("end", "\n")
        for piece, tags in segments:
            self.text.insert("end", piece, tags)
        self._said.append(said)
        if len(self._said) > SCROLLBACK:
            self.text.delete("1.0", "2.0")
            self._said.popleft()
        self.text.configure(state="disabled")
        if following:
            self.text.see("end")

    def show_marked(self, segments: Iterable[Segment], said: str | None, mark: Segment) -> str:
        """Add a line ending in ``mark``; the name to change the mark with :meth:`mark` later."""
        name = f"receipt{next(_marks)}"
        piece, tags = mark
        self.show([*segments, (piece, (*tags, name))], said)
        return name

    def mark(self, name: str, mark: Segment, remove_tag: str | None = None) -> None:
        """Replace the mark called ``name`` if its line is still here; drop ``remove_tag`` there."""
        ranges = self.text.tag_ranges(name)
        if not ranges:
            return
        piece, tags = mark
        self.text.configure(state="normal")
        start = self.text.index(ranges[0])
        self.text.delete(ranges[0], ranges[1])
        self.text.insert(start, piece, (*tags, name))
        if remove_tag is not None:
            self.text.tag_remove(remove_tag, f"{start} linestart", f"{start} lineend")
        self.text.configure(state="disabled")

    def prepend(self, lines: Sequence[tuple[list[Segment], str | None]]) -> None:
        """Put ``lines`` above the first line, keeping the lines in view where they are."""
        if not lines:
            return
        top = int(self.text.index("@0,0").split(".")[0])
        was_empty = not self._said
        self.text.configure(state="normal")
        for segments, _said in reversed(lines):
            self.text.insert("1.0", "\n")
            for piece, tags in reversed(segments):
                self.text.insert("1.0", piece, tags)
        if was_empty:
            self.text.delete("end-2c", "end-1c")  # the newline after what was the last line
        self._said.extendleft(said for _segments, said in reversed(lines))
        self.text.configure(state="disabled")
        if was_empty:
            self.text.see("end")
        else:
            self.text.yview(f"{top + len(lines)}.0")

    def at_bottom(self) -> bool:
        """Whether the last line is in view, so that new lines should be followed."""
        return self.text.yview()[1] >= 1.0

    def at_top(self) -> bool:
        return self.text.yview()[0] <= 0.0

    def scroll(self, pages: int) -> None:
        self.text.yview_scroll(pages, "pages")
        if pages < 0 and self.at_top():
            self.on_top()

    # Inside

    def _scrolled(self, *args: str) -> None:
        """The scrollbar moved the view: at the top, older lines are wanted."""
        self.text.yview(*args)
        if self.at_top() and not self.at_bottom():
            self.on_top()

    def _wheel(self, event: tkinter.Event) -> None:
        """The wheel turned up (Button-4 on X11, a positive delta elsewhere) at the top."""
        up = event.num == 4 or (isinstance(event.delta, int) and event.delta > 0)
        if up and self.at_top():
            self.on_top()

    def _view_drawn(self, first: str | float, last: str | float) -> None:
        """The text's yscrollcommand, called after each redraw: move the scrollbar, note the end."""
        self._scrollbar.set(first, last)
        self._drawn_at_bottom = float(last) >= 1.0

    def _view_resized(self, event: tkinter.Event) -> None:
        """The view changed size: if it was showing the last line, it goes on showing it.

        Tk delivers the new size before it redraws, so :attr:`_drawn_at_bottom` still says
        where the view was at the old size.
        """
        if self._drawn_at_bottom:
            self.text.see("end")
