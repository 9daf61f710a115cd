"""The GUI face: the chat window on the client core, from connecting to leaving.

Like chatd-client's faces it is a :class:`~chatd.client.protocol.LineView` for one
:class:`~chatd.client.protocol.ChatClientProtocol` at a time, and hands it what the person types
through an :class:`~chatd.client.outgoing.Outgoing`.  It adds what a window needs: the user
list, our own lines shown as the others see them, a banner with a Reconnect button when the
connection is lost or cannot be made, and leaving when the window closes.

Leaving (Quit, closing the window, or typing ``<quit>`` or ``/quit``) sends ``<quit>`` after
everything typed, waits for the server's goodbye (the core bounds the wait), and then fires
:attr:`GuiFace.closed`.  Asking to leave a second time does not wait any more.
"""

from __future__ import annotations

from twisted.internet import defer
from twisted.python.failure import Failure

from chatd.client.connection import ServerAddress, cannot_connect, client_endpoint, is_tls_failure
from chatd.client.lines import LineKind, ServerLine
from chatd.client.outgoing import Outgoing
from chatd.client.protocol import (
    SILENCE_SECONDS,
    ChatClientProtocol,
    ServerClosed,
    is_quit_command,
)
from chatd.client.roster import Roster
from chatd.gui.styling import own_line, server_line, status_line
from chatd.gui.window import ChatWindow

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
        self.window = ChatWindow(root, self.send, self.leave, self.reconnect)
        self.roster = Roster()
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
            if is_quit_command(line):
                self._start_leaving()
            mine = own_line(line, self.client.name if self.client else None)
            if mine:
                self.window.show(mine)
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

    # The core's side

    def show_line(self, line: ServerLine) -> None:
        my_name = self.client.name if self.client else None
        if self.roster.apply(line) or line.kind is LineKind.WELCOME:
            self.window.set_users(self.roster.names(), self.roster.me)
        self.window.show(server_line(line, my_name, self.roster))
        if line.kind in (LineKind.WELCOME, LineKind.NEW_NAME) and line.name:
            self.name = line.name
            self._title()
        elif line.kind is LineKind.ERROR and my_name is None:
            # Before the welcome, an error refuses the name we sent; the next line is a name.
            self.window.show(status_line("Type another name and press Enter."))

    # Inside

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
