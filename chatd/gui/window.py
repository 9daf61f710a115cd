"""The chat window's widgets: message view, user list, entry line, buttons and the banner.

Only Tk here; what to show comes from :mod:`chatd.gui.styling` and :mod:`chatd.client.roster`, and
what the buttons do from the callbacks the face passes in.  The message view keeps following
new lines unless the person has scrolled up to read; the entry field keeps the keyboard focus.

A view that gets shorter or narrower (a smaller window, the banner taking room above it) keeps
its top line where it was, which pushes the newest lines out of sight and would end the
following; so when the view changes size, it goes back to the bottom if it was there.
"""

from __future__ import annotations

import tkinter
from collections.abc import Callable, Iterable
from tkinter import font as tkfont
from tkinter import ttk
from typing import Any

from chatd.client.editor import InputLine
from chatd.gui.styling import TAG_LOOKS, Segment

__all__ = ["ChatWindow"]

#: Lines the message view keeps; older ones are dropped, so a long session stays light.
SCROLLBACK = 5000
PAD = 8
BANNER_BACKGROUND = "#fdecea"
BANNER_FOREGROUND = "#8a1c14"


class ChatWindow:
    """The widgets of one chat, in ``root``.

    ``on_send(text)`` is called with what the person typed when they press Enter or Send, and
    returns whether it was taken (the entry is then cleared and the line remembered for Up and
    Down); ``on_quit()`` for the Quit button and for closing the window; ``on_reconnect()`` for
    the banner's Reconnect button.
    """

    def __init__(
        self,
        root: tkinter.Tk,
        on_send: Callable[[str], bool],
        on_quit: Callable[[], None],
        on_reconnect: Callable[[], None],
    ) -> None:
        self.root = root
        self._on_send = on_send
        self._lines = 0
        #: Whether the view showed the last line when it was last drawn (before any resize).
        self._drawn_at_bottom = True
        self._typed = InputLine()
        root.title("chatd")
        root.minsize(420, 260)
        root.protocol("WM_DELETE_WINDOW", on_quit)
        root.columnconfigure(0, weight=1)
        root.rowconfigure(1, weight=1)
        self._fonts = _tag_fonts(root)

        style = ttk.Style(root)
        style.configure("Banner.TFrame", background=BANNER_BACKGROUND)
        style.configure("Banner.TLabel", background=BANNER_BACKGROUND, foreground=BANNER_FOREGROUND)

        self.frame = ttk.Frame(root, padding=PAD)
        self.frame.grid(row=0, column=0, rowspan=3, sticky="nsew")
        self.frame.columnconfigure(0, weight=1)
        self.frame.rowconfigure(1, weight=1)

        # The banner: hidden until the connection is lost (grid_remove keeps its place).
        self.banner = ttk.Frame(self.frame, style="Banner.TFrame", padding=(PAD, PAD // 2))
        self.banner.columnconfigure(0, weight=1)
        self.banner_label = ttk.Label(self.banner, style="Banner.TLabel", wraplength=560)
        self.banner_label.grid(row=0, column=0, sticky="w")
        self.reconnect_button = ttk.Button(
            self.banner, text="Reconnect", command=self._refocus(on_reconnect)
        )
        self.reconnect_button.grid(row=0, column=1, padx=(PAD, 0))
        self.banner.grid(row=0, column=0, sticky="ew", pady=(0, PAD))
        self.banner.grid_remove()

        panes = ttk.PanedWindow(self.frame, orient="horizontal")
        panes.grid(row=1, column=0, sticky="nsew")

        messages = ttk.Frame(panes)
        messages.columnconfigure(0, weight=1)
        messages.rowconfigure(0, weight=1)
        self.text = tkinter.Text(
            messages,
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
            font=self._fonts["normal"],
        )
        self.text.grid(row=0, column=0, sticky="nsew")
        self._scrollbar = ttk.Scrollbar(messages, orient="vertical", command=self.text.yview)
        self._scrollbar.grid(row=0, column=1, sticky="ns")
        self.text.configure(yscrollcommand=self._view_drawn)
        self.text.bind("<Configure>", self._view_resized, add="+")
        for tag, look in TAG_LOOKS.items():
            options: dict[str, Any] = dict(look)  # Tk options: a font object among strings
            if "font" in options:
                options["font"] = self._fonts[options["font"]]
            self.text.tag_configure(tag, **options)
        self.text.tag_configure("sel", background="#c5dcf5")
        self.text.bind("<Key>", self._type_into_entry)
        panes.add(messages, weight=1)

        users = ttk.Frame(panes, padding=(PAD, 0, 0, 0))
        users.rowconfigure(1, weight=1)
        users.columnconfigure(0, weight=1)
        self.users_label = ttk.Label(users, text="Online")
        self.users_label.grid(row=0, column=0, sticky="w", pady=(0, PAD // 2))
        self.user_list = tkinter.Listbox(
            users,
            width=16,
            activestyle="none",
            exportselection=False,
            takefocus=0,
            borderwidth=1,
            relief="solid",
            highlightthickness=0,
            font=self._fonts["normal"],
        )
        self.user_list.grid(row=1, column=0, sticky="nsew")
        self.user_list.bind("<Double-Button-1>", self._message_user)
        panes.add(users, weight=0)

        bottom = ttk.Frame(self.frame, padding=(0, PAD, 0, 0))
        bottom.grid(row=2, column=0, sticky="ew")
        bottom.columnconfigure(0, weight=1)
        self.entry = ttk.Entry(bottom, font=self._fonts["normal"])
        self.entry.grid(row=0, column=0, sticky="ew", ipady=2)
        self.send_button = ttk.Button(bottom, text="Send", command=self._refocus(self.send))
        self.send_button.grid(row=0, column=1, padx=(PAD, 0))
        self.quit_button = ttk.Button(bottom, text="Quit", command=on_quit)
        self.quit_button.grid(row=0, column=2, padx=(PAD // 2, 0))
        for key in ("<Return>", "<KP_Enter>"):
            self.entry.bind(key, lambda event: self._break(self.send))
        self.entry.bind("<Up>", lambda event: self._break(self.recall_previous))
        self.entry.bind("<Down>", lambda event: self._break(self.recall_next))
        self.entry.bind("<Prior>", lambda event: self._break(self._scroll, -1))
        self.entry.bind("<Next>", lambda event: self._break(self._scroll, 1))
        self.entry.focus_set()

    # What the face calls

    def show(self, segments: Iterable[Segment]) -> None:
        """Add one line at the bottom; follow it only if the view was already at the bottom."""
        following = self.at_bottom()
        self.text.configure(state="normal")
        if self._lines:
            self.text.insert("end", "\n")
        for piece, tags in segments:
            self.text.insert("end", piece, tags)
        self._lines += 1
        if self._lines > SCROLLBACK:
            self.text.delete("1.0", "2.0")
            self._lines -= 1
        self.text.configure(state="disabled")
        if following:
            self.text.see("end")

    def at_bottom(self) -> bool:
        """Whether the last line is in view, so that new lines should be followed."""
        return self.text.yview()[1] >= 1.0

    def set_users(self, names: list[str], me: str | None = None) -> None:
        """Show ``names`` in the user list, ``me`` marked, with their count above."""
        self.user_list.delete(0, "end")
        for name in names:
            self.user_list.insert("end", name)
            if name == me:
                self.user_list.itemconfigure("end", foreground=TAG_LOOKS["own"]["foreground"])
        self.users_label.configure(text=f"Online ({len(names)})" if names else "Online")

    def users(self) -> list[str]:
        return list(self.user_list.get(0, "end"))

    def show_banner(self, text: str, reconnect: bool = True) -> None:
        """Show ``text`` above the messages, with the Reconnect button when ``reconnect``."""
        self.banner_label.configure(text=text)
        if reconnect:
            self.reconnect_button.grid()
        else:
            self.reconnect_button.grid_remove()
        self.banner.grid()

    def hide_banner(self) -> None:
        self.banner.grid_remove()

    @property
    def banner_shown(self) -> bool:
        return bool(self.banner.winfo_manager())

    def banner_text(self) -> str:
        return str(self.banner_label.cget("text"))

    def send(self) -> None:
        """Enter or Send: hand what was typed to the face; clear it if it was taken."""
        typed = self.entry.get()
        if not typed.strip():
            return
        if self._on_send(typed):
            self._typed.text = typed
            self._typed.submit()
            self.entry.delete(0, "end")
        else:
            self.root.bell()

    def recall_previous(self) -> None:
        """Up: the line sent before the one shown (what was being typed is kept for Down)."""
        self._recall(self._typed.previous)

    def recall_next(self) -> None:
        """Down: forward again, back to what was being typed."""
        self._recall(self._typed.next)

    def set_title(self, title: str) -> None:
        self.root.title(title)

    # Inside

    def _recall(self, move: Callable[[], None]) -> None:
        self._typed.text = self.entry.get()
        move()
        self.entry.delete(0, "end")
        self.entry.insert(0, self._typed.text)
        self.entry.icursor("end")

    def _scroll(self, pages: int) -> None:
        self.text.yview_scroll(pages, "pages")

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

    def _message_user(self, event: tkinter.Event) -> str:
        """Double-clicking a name starts a private message to it in the entry."""
        chosen = self.user_list.curselection()
        if chosen:
            self.entry.delete(0, "end")
            self.entry.insert(0, f"/msg {self.user_list.get(chosen[0])} ")
        self.entry.focus_set()
        self.entry.icursor("end")
        return "break"

    def _type_into_entry(self, event: tkinter.Event) -> str | None:
        """A key typed while the message view has the focus goes to the entry instead."""
        control = isinstance(event.state, int) and event.state & 0x4
        if event.char and event.char.isprintable() and not control:
            self.entry.focus_set()
            self.entry.insert("insert", event.char)
            return "break"
        return None

    def _refocus(self, action: Callable[[], None]) -> Callable[[], None]:
        def pressed() -> None:
            action()
            self.entry.focus_set()

        return pressed

    @staticmethod
    def _break(action: Callable[..., None], *args: object) -> str:
        action(*args)
        return "break"


def _tag_fonts(root: tkinter.Misc) -> dict[str, tkfont.Font]:
    """The message view's font and its bold and italic variants, for the tags."""
    base = tkfont.nametofont("TkTextFont", root=root).actual()
    base["size"] = max(int(base["size"]), 11) if int(base["size"]) > 0 else base["size"]
    return {
        "normal": tkfont.Font(root, **base),
        "bold": tkfont.Font(root, **(base | {"weight": "bold"})),
        "italic": tkfont.Font(root, **(base | {"slant": "italic"})),
    }
