"""Lines from before: paging back through a room's history, and replays that repeat lines.

The window asks for older lines when the person scrolls a room's view to the top: the server's
``/history`` takes only a count of newest lines, so :class:`Backlog` asks for more lines than
the view holds (:data:`PAGE` more, at most :data:`MOST`), catches the answer before it is
shown, and puts only the lines older than the view's first ones above them
(:func:`~chatd.gui.overlap.older_lines`).  When an answer holds fewer lines than were asked
for, the room has no older ones, and the view says so at its top.

After each welcome and each ``* Now talking in`` the server may replay recent lines that the
view already shows (after reconnecting, say): these are held for a moment, until the replay
is complete, and only the new ones are shown (:func:`~chatd.gui.overlap.new_lines`).
"""

from __future__ import annotations

from collections.abc import Callable

from chatd.client.lines import LineKind, RoomNoticeKind, ServerLine, name_key
from chatd.gui.overlap import new_lines, older_lines
from chatd.gui.styling import Segment, status_line
from chatd.gui.window import ChatWindow

__all__ = ["MOST", "PAGE", "Backlog"]

#: How many more lines each page asks for.
PAGE = 50
#: The most ``/history`` gives (wire protocol v2).
MOST = 500


class Backlog:
    """History paging and replay checks for the views of one window.

    ``send(line)`` sends a command to the server; ``draw(line)`` and ``said(line)`` are the
    face's segments for a line and what was said in it; ``later(f)`` runs ``f`` once the lines
    already received have been handled.
    """

    def __init__(
        self,
        window: ChatWindow,
        send: Callable[[str], bool],
        draw: Callable[[ServerLine], list[Segment]],
        said: Callable[[ServerLine], str | None],
        later: Callable[[Callable[[], None]], None],
    ) -> None:
        self.window = window
        self._send, self._draw, self._said, self._later = send, draw, said, later
        #: Rooms (by key) with a page asked for: how many lines were asked.
        self._asked: dict[str, int] = {}
        #: Rooms whose views go back to the start of what the server keeps.
        self._complete: set[str] = set()
        #: The history block being caught for a page: its room's key and its lines.
        self._catching: tuple[str, list[ServerLine]] | None = None
        #: Inside a ``/history`` block the person asked for: shown as it comes.
        self._asked_by_person = False
        #: A replay being held: the view it is for and its lines.
        self._replay: tuple[str, list[ServerLine]] | None = None

    def ask_older(self, room: str) -> None:
        """The person scrolled to the top of ``room``'s view: ask for older lines, once."""
        key = name_key(room)
        if key in self._asked or key in self._complete or key not in self.window.views:
            return
        known = len(self.window.views[key].said())
        if known >= MOST:
            return
        count = min(MOST, known + PAGE)
        if self._send(f"/history {room} {count}"):
            self._asked[key] = count

    def replay_starts(self, view: str) -> None:
        """Lines replayed from now on are for ``view`` (a welcome or a ``Now talking`` came)."""
        self.flush()
        self._replay = (view, [])

    def forget_room(self, room: str) -> None:
        """We left ``room``: a view made for it later starts paging afresh."""
        self._complete.discard(name_key(room))

    def forget(self) -> None:
        """The connection is gone: no answer or replay is coming any more."""
        self.flush()
        self._asked.clear()
        self._catching = None
        self._asked_by_person = False

    def take(self, line: ServerLine) -> bool:
        """Whether ``line`` is part of a page or a replay, and so is not to be shown now."""
        notice = line.room_notice
        kind = notice.kind if notice is not None else None
        if self._catching is not None:
            if kind is RoomNoticeKind.HISTORY_END:
                self._prepend(*self._catching)
                self._catching = None
            elif line.kind is LineKind.HISTORY:
                self._catching[1].append(line)
            else:
                return False
            return True
        if line.kind is LineKind.HISTORY and self._replay is not None:
            if not self._asked_by_person:
                if not self._replay[1]:
                    self._later(self.flush)
                self._replay[1].append(line)
                return True
            return False
        self.flush()
        if kind is RoomNoticeKind.HISTORY_BEGIN and notice is not None and notice.room:
            if name_key(notice.room) in self._asked:
                self._catching = (name_key(notice.room), [])
                return True
            self._asked_by_person = True
        elif kind is RoomNoticeKind.HISTORY_END:
            self._asked_by_person = False
        return False

    def flush(self) -> None:
        """Show the held replay's lines that its view does not end with already."""
        if self._replay is None:
            return
        key, lines = self._replay
        self._replay = None
        view = self.window.views.get(key)
        if view is None:
            return
        said = [self._said(line) or "" for line in lines]
        for line in lines[new_lines(said, view.said()) :]:
            view.show(self._draw(line), self._said(line))

    def _prepend(self, key: str, lines: list[ServerLine]) -> None:
        asked = self._asked.pop(key, 0)
        view = self.window.views.get(key)
        if view is None:
            return
        older = older_lines([self._said(line) or "" for line in lines], view.said())
        if older is None:
            self._complete.add(key)
            return
        shown: list[tuple[list[Segment], str | None]] = [
            (self._draw(line), self._said(line)) for line in lines[:older]
        ]
        if len(lines) < asked:
            self._complete.add(key)
            shown.insert(0, (status_line("No older lines."), None))
        view.prepend(shown)
