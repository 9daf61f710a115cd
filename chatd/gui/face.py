"""The GUI face: the chat window on the client core, from connecting to leaving.

Like chatd-client's faces it is a :class:`~chatd.client.protocol.LineView` for one
:class:`~chatd.client.protocol.ChatClientProtocol` at a time, and hands it what the person types
through an :class:`~chatd.client.outgoing.Outgoing`.  It adds what a window needs: the user
list, our own lines shown as the others see them, a banner with a Reconnect button when the
connection is lost or cannot be made, and leaving when the window closes.

On a server with rooms (the core's probe says so, turning receipts on) each room gets a view of
its own: a line marked ``#room`` goes to that room's view, without the mark, and counts as
unread there; everything else, private messages included, goes to the current room's view.
Our own lines wait for their receipt (:mod:`chatd.gui.receipts`), older lines come from
``/history`` (:mod:`chatd.gui.backlog`), and reconnecting joins the rooms we were in again,
the current one last.

Leaving (Quit, closing the window, or typing ``<quit>`` or ``/quit``) sends ``<quit>`` after
everything typed, waits for the server's goodbye (the core bounds the wait), and then fires
:attr:`GuiFace.closed`.  Asking to leave a second time does not wait any more.
"""

from __future__ import annotations

from collections.abc import Callable

from twisted.internet import defer
from twisted.python.failure import Failure

from chatd.client.connection import ServerAddress, cannot_connect, client_endpoint, is_tls_failure
from chatd.client.lines import LineKind, RoomNoticeKind, ServerLine, name_key, too_long_limit
from chatd.client.outgoing import Outgoing
from chatd.client.protocol import (
    SILENCE_SECONDS,
    ChatClientProtocol,
    ServerClosed,
    is_quit_command,
)
from chatd.client.rooms import HOME_ROOM, RoomState
from chatd.client.roster import Roster
from chatd.client.secret import password_wanted
from chatd.gui.backlog import Backlog
from chatd.gui.receipts import PendingLines, Waiting
from chatd.gui.styling import (
    PENDING,
    Segment,
    own_line,
    own_said,
    receipt_mark,
    said,
    server_line,
    status_line,
)
from chatd.gui.window import ChatWindow, RoomActions

__all__ = ["GuiFace"]

LOST = "Connection to the server lost."


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


class GuiFace:
    """One chat window, connected (and reconnected) to one server as one person."""

    #: A person is there to type another name if the server refuses one.
    interactive = True
    #: How long a plain connection may hear nothing before the window suggests TLS.
    silence_seconds = SILENCE_SECONDS

    def __init__(
        self,
        root,
        reactor,
        address: ServerAddress,
        name: str,
        quit_timeout: float,
    ) -> None:
        self.reactor = reactor
        self.address = address
        self.name = name
        self.quit_timeout = quit_timeout
        actions = RoomActions(self.switch_room, self.join_room, self.leave_room)
        self.window = ChatWindow(root, self.send, self.leave, self.reconnect, actions)
        self.roster = Roster()
        self.rooms = RoomState()
        #: Unread lines of each room we are in but not looking at, by room key.
        self.unread: dict[str, int] = {}
        self.pending = PendingLines()
        self.backlog = Backlog(self.window, self._command, self._draw, self._said, self._soon)
        #: The rooms to join again after reconnecting, and the one to end in.
        self._rejoin: tuple[list[str], str | None] = ([], None)
        #: Rooms switched to by a click: their "Now talking in" is not shown again.
        self._quiet: set[str] = set()
        #: "You left" of the current room, shown once the next current room is known.
        self._left_note: list[Segment] | None = None
        #: The views of rooms we left, to drop once they are not current.
        self._left_views: set[str] = set()
        #: Rooms left by the window itself (rejoining): their "You left" is not shown.
        self._quiet_parts: set[str] = set()
        #: Whether the answer to the window's own ``/topic`` is still to come (not shown).
        self._quiet_topic = False
        self.client: ChatClientProtocol | None = None
        self.outgoing = Outgoing()
        #: Fires None once the person has left and the window may close.
        self.closed: defer.Deferred[None] = defer.Deferred()
        self._leaving = False
        self._live = False  # a connection is open or being made
        self._title()

    # What the window calls

    def connect(self) -> None:
        """Connect (again) as :attr:`name`; lines typed meanwhile are sent once welcomed."""
        if self._live or self._leaving:
            return
        self.window.hide_banner()
        self.window.show(status_line(f"Connecting to {self.address} as {self.name} ..."))
        # The prompt is answered with our name; "Connecting ... as NAME" already says so.
        client = ChatClientProtocol(
            self,
            self.reactor,
            name=self.name,
            retry_name=True,
            quit_timeout=self.quit_timeout,
            hide_answered_prompt=True,
            on_silence=None if self.address.tls else self._server_silent,
            silence_seconds=self.silence_seconds,
            rooms_probe=True,
            on_rooms=self._server_has_rooms,
        )
        self.client, self.outgoing, self._live = client, Outgoing(), True
        self.outgoing.attach(client)
        connecting = client.connect_to(client_endpoint(self.reactor, self.address))
        connecting.addCallbacks(self._connected, self._not_connected)

    def reconnect(self) -> None:
        """The banner's Reconnect: the same server, the name we last had."""
        self.connect()

    def send(self, typed: str) -> bool:
        """Send each line of ``typed``; False (nothing sent) while there is no connection."""
        if not self._live or self._leaving:
            return False
        for line in typed.splitlines():
            if not line.strip():
                continue
            if self.window.hiding:
                # The password the server asked for: sent as typed, never shown.
                self.window.hide_typing(False)
                self.outgoing.send(line)
                continue
            if is_quit_command(line):
                self._start_leaving()
            self._show_own(line)
            self.outgoing.send(line)
            if self._leaving:
                break
        return True

    def leave(self) -> None:
        """Quit or close: say ``<quit>`` and wait for the goodbye; a second time, go at once."""
        if self._leaving or self.client is None or not self.client.is_connected:
            self._close()  # nothing to wait for: not connected yet, or not any more
            return
        self._start_leaving()
        self.outgoing.end()

    def switch_room(self, room: str) -> None:
        """A click on a room in the list: make it current (the server's answer switches)."""
        if self._command(f"/join {room}"):
            self._quiet.add(name_key(room))

    def join_room(self, room: str) -> None:
        """The join field: join ``room`` (made if new) and make it current."""
        self._command(f"/join {room}")

    def leave_room(self, room: str) -> None:
        """Leave ``room`` (the list's menu, or Leave room for the current one)."""
        self._command(f"/part {room}")

    # The core's side

    def show_line(self, line: ServerLine) -> None:
        my_name = self.client.name if self.client else None
        if line.kind is LineKind.RECEIPT and line.receipt is not None:
            self._confirmed(line.receipt.room)
            return
        limit = too_long_limit(line)
        if limit is not None:
            self._refused(limit)
        if line.kind is LineKind.WELCOME and self._rejoin[0]:
            # A new connection starts in the home room: its replay goes to the home's view.
            self.window.show_view(name_key(HOME_ROOM))
        roster_changed = self.roster.apply(line)
        rooms_changed = self.rooms.apply(line)
        if not self.backlog.take(line):
            self._route(line, my_name)
        if password_wanted(line.text):
            self.window.hide_typing(True)
        if roster_changed or rooms_changed or line.kind is LineKind.WELCOME:
            self._rooms_changed()
        if line.kind is LineKind.WELCOME:
            self.backlog.replay_starts(self.window.current_key)
        if line.kind in (LineKind.WELCOME, LineKind.NEW_NAME) and line.name:
            self.name = line.name
            self._title()
        elif line.kind is LineKind.ERROR and my_name is None:
            # Before the welcome, an error refuses the name we sent; the next line is a name.
            self.window.show(status_line("Type another name and press Enter."))

    # Inside

    def _route(self, line: ServerLine, my_name: str | None) -> None:
        """Show ``line`` in its room's view: a marked line in its room's, others in the current."""
        if not self.rooms.active:
            self.window.show(server_line(line, my_name, self.roster))
            return
        notice = line.room_notice
        kind = notice.kind if notice is not None else None
        if kind is RoomNoticeKind.NOW_TALKING and notice is not None and notice.room:
            key = name_key(notice.room)
            quiet = key in self._quiet and key in self.window.views
            self._quiet.discard(key)
            self.window.show_view(key)
            self.window.view_for(key, lambda: self.backlog.ask_older(notice.room or ""))
            self.unread.pop(key, None)
            self._left_views.discard(key)
            for left in self._left_views:
                self.window.drop_view(left)
            self._left_views.clear()
            if self._left_note is not None:
                self.window.show(self._left_note)
                self._left_note = None
            if not quiet:
                self.window.show(server_line(line, my_name, self.roster))
            self.backlog.replay_starts(key)
            return
        if kind is RoomNoticeKind.TOPIC and self._quiet_topic:
            self._quiet_topic = False  # the topic bar shows it
            return
        if kind is RoomNoticeKind.YOU_LEFT and notice is not None and notice.room:
            key = name_key(notice.room)
            self.unread.pop(key, None)
            self.backlog.forget_room(notice.room)
            if key in self._quiet_parts:
                self._quiet_parts.discard(key)
            elif key == self.window.current_key:
                self._left_note = server_line(line, my_name, self.roster)
            else:
                self.window.show(server_line(line, my_name, self.roster))
            self._left_views.add(key)
            if key != self.window.current_key:
                self.window.drop_view(key)
                self._left_views.discard(key)
            return
        if line.room is None:
            self.window.show(server_line(line, my_name, self.roster))
            return
        key = name_key(line.room)
        room = line.room
        view = self.window.view_for(key, lambda: self.backlog.ask_older(room))
        spoken = self._said(line)
        view.show(server_line(line, my_name, self.roster), spoken)
        if spoken is not None and key != self.window.current_key:
            self.unread[key] = self.unread.get(key, 0) + 1
            self._rooms_changed()

    def _rooms_changed(self) -> None:
        """Redraw what follows the rooms: the room list, the topic bar and the user list."""
        if not self.rooms.active:
            self.window.set_users(self.roster.names(), self.roster.me)
            return
        self.window.set_rooms(
            [
                (name, self.unread.get(name_key(name), 0), self.rooms.is_current(name))
                for name in self.rooms.names()
            ]
        )
        room = self.rooms.get(self.rooms.current)
        if room is None:
            return
        self.window.set_topic(f"{room.name} — {room.topic}" if room.topic else room.name)
        self.window.set_users(room.member_names(), self.roster.me, title=f"In {room.name}")

    def _server_has_rooms(self, has_rooms: bool) -> None:
        """The core's probe is answered: with rooms, set them up and join our rooms again."""
        if not has_rooms:
            self.window.show_rooms(False)
            self.window.set_topic(None)
            return
        home = name_key(HOME_ROOM)
        self.window.rename_view("", home)
        self.window.view_for(home, lambda: self.backlog.ask_older(HOME_ROOM))
        self.rooms.start()
        self.window.show_rooms(True)
        rooms, current = self._rejoin
        self._rejoin = ([], None)
        others = [room for room in rooms if name_key(room) != home]
        if not rooms or len(others) < len(rooms):
            # "Now talking in" lists who is here, "/topic" tells the topic: the home room's
            # membership is not new, so the server sends neither by itself.  The person did not
            # ask: the answers fill the people list and the topic bar, not the view.
            self._quiet.add(home)
            self._command(f"/join {HOME_ROOM}")
            self._quiet_topic = self._command("/topic")
        for room in others:
            self._command(f"/join {room}")
        if rooms and len(others) == len(rooms):
            self._quiet_parts.add(home)
            self._command(f"/part {HOME_ROOM}")
        if current and others and name_key(current) != name_key(others[-1]):
            self._quiet.add(name_key(current))
            self._command(f"/join {current}")
        self._rooms_changed()

    def _show_own(self, typed: str) -> None:
        """Show a line we send as the others see it; with receipts, as waiting for one.

        ``/to #room TEXT`` says TEXT in another room of ours: it is shown in that room's view.
        """
        my_name = self.client.name if self.client else None
        room, key, said_as = self.rooms.current, self.window.current_key, typed
        word, _, rest = typed.strip().partition(" ")
        if word.casefold() == "/to" and self.rooms.active:
            room, _, text = rest.strip().partition(" ")
            key = name_key(room)
            # The server says TEXT as it is: as an own line, a leading "/" is doubled.
            said_as = "/" + text if text.startswith("/") else text
            if self.rooms.get(room) is None or key not in self.window.views or not text:
                return
        mine = own_line(said_as, my_name)
        if not mine:
            return
        if not room or self.client is None or not self.client.has_rooms:
            self.window.show(mine)
            return
        view = self.window.views[key]
        waiting = [(piece, (*tags, PENDING)) for piece, tags in mine]
        mark = view.show_marked(waiting, own_said(said_as, my_name), receipt_mark("pending"))
        size = len(typed.encode("utf-8", "replace"))
        self.pending.sent(room, Waiting(key, mark, size))

    def _confirmed(self, room: str) -> None:
        waiting = self.pending.confirmed(room)
        view = self.window.views.get(waiting.view) if waiting else None
        if waiting is not None and view is not None:
            view.mark(waiting.mark, receipt_mark("delivered"), remove_tag=PENDING)

    def _refused(self, limit: int) -> None:
        """The server refused a line longer than ``limit`` bytes: if ours was waiting, say so."""
        waiting = self.pending.refused_as_too_long(limit)
        view = self.window.views.get(waiting.view) if waiting else None
        if waiting is not None and view is not None:
            view.mark(waiting.mark, receipt_mark("refused"))

    def _command(self, line: str) -> bool:
        """Send a command of the window's own; False when there is no connection for it."""
        if self.client is None or not self.client.is_connected or self._leaving:
            return False
        self.client.send(line)
        return True

    def _draw(self, line: ServerLine) -> list[Segment]:
        return server_line(line, self.client.name if self.client else None, self.roster)

    def _said(self, line: ServerLine) -> str | None:
        return said(line, self.client.name if self.client else None, self.roster)

    def _soon(self, call: Callable[[], None]) -> None:
        self.reactor.callLater(0, call)

    def _connected(self, client: ChatClientProtocol) -> None:
        client.finished.addBoth(self._finished)

    def _server_silent(self, seconds: float) -> None:
        """Nothing at all from the server yet: a TLS port waits for us to start TLS."""
        self.window.show(
            status_line(
                f"No answer from {self.address} after {seconds:g} s. If it is a TLS port, "
                "quit and connect with TLS (chatd-gui --tls)."
            )
        )

    def _not_connected(self, failure: Failure) -> None:
        self._live = False
        if self._leaving or failure.check(defer.CancelledError):
            self._close()
            return
        problem = _sentence(cannot_connect(self.address, failure))
        self.window.show(status_line(problem))
        self.window.show_banner(problem)

    def _finished(self, result: Failure | None) -> None:
        self._live = False
        self.backlog.forget()
        for waiting in self.pending.drop_all():
            view = self.window.views.get(waiting.view)
            if view is not None:
                view.mark(waiting.mark, receipt_mark("unconfirmed"))
        if self.rooms.active:
            self._rejoin = (self.rooms.names(), self.rooms.current)
        self.rooms.clear()
        self._quiet.clear()
        self._quiet_parts.clear()
        self._quiet_topic = False
        self.roster.clear()
        self.window.set_users([])
        if self._leaving:
            self._close()
            return
        if isinstance(result, Failure) and result.check(ServerClosed):
            reason = result.value.reason
            if is_tls_failure(reason):
                problem = _sentence(cannot_connect(self.address, reason))
            else:
                problem = LOST
        else:
            problem = LOST
        self.window.show(status_line(problem))
        self.window.show_banner(problem)

    def _start_leaving(self) -> None:
        self._leaving = True
        self.window.show_banner("Leaving ...", reconnect=False)

    def _close(self) -> None:
        self._leaving = True
        if self.client is not None and self._live:
            self.client.give_up()
        if not self.closed.called:
            self.closed.callback(None)

    def _title(self) -> None:
        self.window.set_title(f"{self.name} on {self.address} - chatd")
