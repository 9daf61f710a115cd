"""The chat window: banner, topic bar, one message view per room, the sidebar and the entry.

Only Tk here; what to show comes from :mod:`chatd.gui.styling`, the views are
:class:`~chatd.gui.messages.MessageView`, the rooms and people :class:`~chatd.gui.sidebar.Sidebar`,
and what the buttons do from the callbacks the face passes in.  One view is shown at a time
(the current room's); the others keep their lines and their scroll position.  The entry field
keeps the keyboard focus.
"""

from __future__ import annotations

import tkinter
from collections.abc import Callable, Iterable
from tkinter import font as tkfont
from tkinter import ttk

from chatd.client.editor import InputLine
from chatd.gui.messages import MessageView
from chatd.gui.sidebar import RoomRow, Sidebar
from chatd.gui.styling import Segment

__all__ = ["ChatWindow", "RoomActions"]

PAD = 8
BANNER_BACKGROUND = "#fdecea"
BANNER_FOREGROUND = "#8a1c14"
TOPIC_FOREGROUND = "#3d4754"


class RoomActions:
    """What the room list's clicks do; each by default does nothing (a window without rooms)."""

    def __init__(
        self,
        switch: Callable[[str], None] = lambda room: None,
        join: Callable[[str], None] = lambda room: None,
        leave: Callable[[str], None] = lambda room: None,
    ) -> None:
        self.switch, self.join, self.leave = switch, join, leave


class ChatWindow:
    """The widgets of one chat, in ``root``.

    ``on_send(text)`` is called with what the person typed when they press Enter or Send, and
    returns whether it was taken (the entry is then cleared and the line remembered for Up and
    Down); ``on_quit()`` for the Quit button and for closing the window; ``on_reconnect()`` for
    the banner's Reconnect button; ``rooms`` says what the room list's clicks do.
    """

    def __init__(
        self,
        root: tkinter.Tk,
        on_send: Callable[[str], bool],
        on_quit: Callable[[], None],
        on_reconnect: Callable[[], None],
        rooms: RoomActions | None = None,
    ) -> None:
        self.root = root
        self._on_send = on_send
        self._typed = InputLine()
        root.title("chatd")
        root.minsize(480, 300)
        root.protocol("WM_DELETE_WINDOW", on_quit)
        root.columnconfigure(0, weight=1)
        root.rowconfigure(0, weight=1)
        self._fonts = _tag_fonts(root)
        actions = rooms or RoomActions()

        style = ttk.Style(root)
        style.configure("Banner.TFrame", background=BANNER_BACKGROUND)
        style.configure("Banner.TLabel", background=BANNER_BACKGROUND, foreground=BANNER_FOREGROUND)
        style.configure("Topic.TLabel", foreground=TOPIC_FOREGROUND)

        self.frame = ttk.Frame(root, padding=PAD)
        self.frame.grid(row=0, column=0, sticky="nsew")
        self.frame.columnconfigure(0, weight=1)
        self.frame.rowconfigure(2, weight=1)

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

        # The topic bar: the current room and its topic, on a server with rooms.
        self.topic_label = ttk.Label(
            self.frame, style="Topic.TLabel", font=self._fonts["bold"], anchor="w"
        )
        self.topic_label.grid(row=1, column=0, sticky="ew", pady=(0, PAD // 2))
        self.topic_label.grid_remove()

        panes = ttk.PanedWindow(self.frame, orient="horizontal")
        panes.grid(row=2, column=0, sticky="nsew")
        self._stack = ttk.Frame(panes)
        self._stack.columnconfigure(0, weight=1)
        self._stack.rowconfigure(0, weight=1)
        panes.add(self._stack, weight=1)
        self.views: dict[str, MessageView] = {}
        self.current_key = ""
        self.view_for("")
        self.sidebar = Sidebar(
            panes, self._fonts, actions.switch, actions.join, actions.leave, self._message_user
        )
        panes.add(self.sidebar.frame, weight=0)

        bottom = ttk.Frame(self.frame, padding=(0, PAD, 0, 0))
        bottom.grid(row=3, column=0, sticky="ew")
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
        self.entry.bind("<Prior>", lambda event: self._break(self.current.scroll, -1))
        self.entry.bind("<Next>", lambda event: self._break(self.current.scroll, 1))
        self.entry.focus_set()

    # The views

    def view_for(self, key: str, on_top: Callable[[], None] | None = None) -> MessageView:
        """The view called ``key`` (a room's name key; "" before rooms), made if new."""
        if key not in self.views:
            view = MessageView(self._stack, self._fonts, self._type_into_entry)
            view.frame.grid(row=0, column=0, sticky="nsew")
            if key != self.current_key:
                view.frame.grid_remove()
            self.views[key] = view
        if on_top is not None:
            self.views[key].on_top = on_top
        return self.views[key]

    def show_view(self, key: str) -> None:
        """Show the view called ``key`` (made if new) in place of the current one."""
        view = self.view_for(key)
        if key != self.current_key:
            self.views[self.current_key].frame.grid_remove()
            self.current_key = key
            view.frame.grid()

    def rename_view(self, old: str, new: str) -> None:
        """Call the view ``old`` ``new`` (the first view becomes the home room's, say)."""
        if old in self.views and new not in self.views:
            self.views[new] = self.views.pop(old)
            if self.current_key == old:
                self.current_key = new

    def drop_view(self, key: str) -> None:
        """Forget a room's view (the room was left); the current view cannot be dropped."""
        if key != self.current_key and key in self.views:
            self.views.pop(key).frame.destroy()

    @property
    def current(self) -> MessageView:
        return self.views[self.current_key]

    @property
    def text(self) -> tkinter.Text:
        """The current view's Text widget."""
        return self.current.text

    def show(self, segments: Iterable[Segment]) -> None:
        """Add one line at the bottom of the current view."""
        self.current.show(segments)

    def at_bottom(self) -> bool:
        return self.current.at_bottom()

    # The rest of the window

    def set_topic(self, text: str | None) -> None:
        """Show ``text`` in the topic bar; None hides the bar."""
        if text is None:
            self.topic_label.grid_remove()
        else:
            self.topic_label.configure(text=text)
            self.topic_label.grid()

    def topic(self) -> str | None:
        return str(self.topic_label.cget("text")) if self.topic_label.winfo_manager() else None

    def show_rooms(self, shown: bool) -> None:
        self.sidebar.show_rooms(shown)

    def set_rooms(self, rows: list[RoomRow]) -> None:
        self.sidebar.set_rooms(rows)

    def rooms(self) -> list[RoomRow]:
        return self.sidebar.rooms()

    def set_users(self, names: list[str], me: str | None = None, title: str = "Online") -> None:
        """Show ``names`` in the user list, ``me`` marked, with ``title`` and their count."""
        self.sidebar.set_users(names, me, title)

    def users(self) -> list[str]:
        return self.sidebar.users()

    @property
    def users_label(self) -> ttk.Label:
        return self.sidebar.users_label

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

    @property
    def hiding(self) -> bool:
        """Whether the entry shows dots for what is typed (a password)."""
        return bool(self.entry.cget("show"))

    def hide_typing(self, hide: bool) -> None:
        """Show what is typed in the entry as dots (a password), or as itself again."""
        self.entry.configure(show="\u2022" if hide else "")

    def send(self) -> None:
        """Enter or Send: hand what was typed to the face; clear it if it was taken.  A password
        is not remembered for Up and Down."""
        typed = self.entry.get()
        if not typed.strip():
            return
        secret = self.hiding
        if self._on_send(typed):
            if not secret:
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

    def _message_user(self, name: str) -> None:
        """Double-clicking a name starts a private message to it in the entry."""
        self.entry.delete(0, "end")
        self.entry.insert(0, f"/msg {name} ")
        self.entry.focus_set()
        self.entry.icursor("end")

    def _type_into_entry(self, event: tkinter.Event) -> str | None:
        """A key typed while a message view has the focus goes to the entry instead."""
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
