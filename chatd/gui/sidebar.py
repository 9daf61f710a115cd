"""The chat window's sidebar: the rooms you are in, joining and leaving, and who is here.

Only Tk here.  The room list shows every room you are in: the current one highlighted and
marked with ``▸``, each other one with its count of unread lines.  Clicking a room, joining one
by name and leaving one are callbacks the face passes in; the list itself changes only when
the face says the server has answered (:meth:`Sidebar.set_rooms`).  On a server without rooms
the room part stays hidden and the user list is the whole chat's.
"""

from __future__ import annotations

import tkinter
from collections.abc import Callable
from tkinter import font as tkfont
from tkinter import ttk

from chatd.gui.styling import TAG_LOOKS

__all__ = ["RoomRow", "Sidebar"]

PAD = 8
CURRENT_BACKGROUND = "#dbe8f7"
UNREAD_FOREGROUND = "#1a4d80"

#: One row of the room list: the room's name, its unread count, whether it is current.
RoomRow = tuple[str, int, bool]


class Sidebar:
    """Rooms above, people below, in ``parent``.

    ``on_switch(room)`` when a room is clicked, ``on_join(room)`` when a name is typed in the
    join field, ``on_leave(room)`` from Leave or the list's menu, ``on_message(name)`` when a
    person is double-clicked.
    """

    def __init__(
        self,
        parent: tkinter.Misc,
        fonts: dict[str, tkfont.Font],
        on_switch: Callable[[str], None],
        on_join: Callable[[str], None],
        on_leave: Callable[[str], None],
        on_message: Callable[[str], None],
    ) -> None:
        self._on_switch, self._on_join, self._on_leave = on_switch, on_join, on_leave
        self._on_message = on_message
        self._rows: list[RoomRow] = []
        self.frame = ttk.Frame(parent, padding=(PAD, 0, 0, 0))
        self.frame.columnconfigure(0, weight=1)
        self.frame.rowconfigure(3, weight=1)

        self.rooms_part = ttk.Frame(self.frame)
        self.rooms_part.columnconfigure(0, weight=1)
        self.rooms_part.grid(row=0, column=0, sticky="nsew", pady=(0, PAD))
        ttk.Label(self.rooms_part, text="Rooms").grid(
            row=0, column=0, columnspan=2, sticky="w", pady=(0, PAD // 2)
        )
        self.room_list = _listbox(self.rooms_part, fonts["normal"], height=6)
        self.room_list.grid(row=1, column=0, columnspan=2, sticky="nsew")
        self.room_list.bind("<ButtonRelease-1>", self._clicked)
        self.room_list.bind("<Button-3>", self._menu)
        self.join_entry = ttk.Entry(self.rooms_part, width=10, font=fonts["normal"])
        self.join_entry.insert(0, "#")
        self.join_entry.grid(row=2, column=0, sticky="ew", pady=(PAD // 2, 0))
        self.join_entry.bind("<Return>", lambda event: self._join_typed())
        self.join_entry.bind("<KP_Enter>", lambda event: self._join_typed())
        self.join_button = ttk.Button(self.rooms_part, text="Join", command=self._join_typed)
        self.join_button.grid(row=2, column=1, padx=(PAD // 2, 0), pady=(PAD // 2, 0))
        self.leave_button = ttk.Button(self.rooms_part, text="Leave room", command=self._leave)
        self.leave_button.grid(row=3, column=0, columnspan=2, sticky="ew", pady=(PAD // 2, 0))
        self.room_menu = tkinter.Menu(self.room_list, tearoff=False)
        self.rooms_part.grid_remove()

        self.users_label = ttk.Label(self.frame, text="Online")
        self.users_label.grid(row=2, column=0, sticky="w", pady=(0, PAD // 2))
        self.user_list = _listbox(self.frame, fonts["normal"])
        self.user_list.grid(row=3, column=0, sticky="nsew")
        self.user_list.bind("<Double-Button-1>", self._message_user)

    # What the window calls

    def show_rooms(self, shown: bool) -> None:
        if shown:
            self.rooms_part.grid()
        else:
            self.rooms_part.grid_remove()

    def set_rooms(self, rows: list[RoomRow]) -> None:
        """Show ``rows``: the current room highlighted, unread counts after the others."""
        self._rows = list(rows)
        self.room_list.delete(0, "end")
        self.room_list.selection_clear(0, "end")
        for index, (name, unread, current) in enumerate(rows):
            if current:
                self.room_list.insert("end", f"▸ {name}")
                self.room_list.itemconfigure(index, background=CURRENT_BACKGROUND)
                self.room_list.selection_set(index)
            elif unread:
                self.room_list.insert("end", f"  {name}  ({unread})")
                self.room_list.itemconfigure(index, foreground=UNREAD_FOREGROUND)
            else:
                self.room_list.insert("end", f"  {name}")
        # The server refuses to let anyone leave their only room: do not offer it.
        self.leave_button.state(["!disabled"] if len(rows) > 1 else ["disabled"])

    def rooms(self) -> list[RoomRow]:
        return list(self._rows)

    def set_users(self, names: list[str], me: str | None, title: str) -> None:
        """Show ``names`` in the user list, ``me`` marked, under ``title`` and their count."""
        self.user_list.delete(0, "end")
        for name in names:
            self.user_list.insert("end", name)
            if name == me:
                self.user_list.itemconfigure("end", foreground=TAG_LOOKS["own"]["foreground"])
        self.users_label.configure(text=f"{title} ({len(names)})" if names else title)

    def users(self) -> list[str]:
        return list(self.user_list.get(0, "end"))

    # Inside

    def _clicked(self, event: tkinter.Event) -> None:
        index = self.room_list.nearest(event.y)
        if 0 <= index < len(self._rows):
            name, _unread, current = self._rows[index]
            if not current:
                self._on_switch(name)
            # The highlight moves when the server says so; until then it stays where it was.
            self.set_rooms(self._rows)

    def build_menu(self, index: int) -> bool:
        """Fill the list's menu for the room at ``index``; whether there is such a room."""
        if not 0 <= index < len(self._rows):
            return False
        name = self._rows[index][0]
        self.room_menu.delete(0, "end")
        self.room_menu.add_command(label=f"Leave {name}", command=lambda: self._on_leave(name))
        return True

    def _menu(self, event: tkinter.Event) -> None:
        """A right click on a room offers to leave it."""
        if self.build_menu(self.room_list.nearest(event.y)):
            self.room_menu.tk_popup(event.x_root, event.y_root)

    def _join_typed(self) -> None:
        typed = self.join_entry.get().strip()
        if typed and typed != "#":
            self._on_join(typed if typed.startswith("#") else f"#{typed}")
            self.join_entry.delete(0, "end")
            self.join_entry.insert(0, "#")

    def _leave(self) -> None:
        chosen = [row for row in self._rows if row[2]]
        if chosen:
            self._on_leave(chosen[0][0])

    def _message_user(self, event: tkinter.Event) -> str:
        chosen = self.user_list.curselection()
        if chosen:
            self._on_message(self.user_list.get(chosen[0]))
        return "break"


def _listbox(parent: tkinter.Misc, font: tkfont.Font, height: int = 10) -> tkinter.Listbox:
    """A list of the sidebar's look: a thin frame, no highlight, left out of the Tab order
    (the keyboard reaches rooms and people through the message field's commands)."""
    return tkinter.Listbox(
        parent,
        width=18,
        height=height,
        activestyle="none",
        exportselection=False,
        takefocus=0,
        borderwidth=1,
        relief="solid",
        highlightthickness=0,
        font=font,
    )
