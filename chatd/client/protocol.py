"""The client core: one connection to a chatd server, speaking wire protocol v1 or v2, for any face.

A face (the terminal today, a GUI later) hands the core what the person typed with
:meth:`ChatClientProtocol.send`, :meth:`~ChatClientProtocol.quit` and
:meth:`~ChatClientProtocol.give_up`, and is shown every server line, already classified, through
:meth:`LineView.show_line`.  The core reports the three moments a face cares about: *connected* is
the Deferred :meth:`~ChatClientProtocol.connect_to` returns, each *line* is a ``show_line`` call,
and *lost* is :attr:`ChatClientProtocol.finished`, which fires with None when the server closed
the connection after our ``<quit>``, and fails with one of the :class:`ClientStopped` exceptions
otherwise.

A face that shows rooms asks the core to find out whether the server has them (``rooms_probe``):
right after the welcome the core sends ``/receipts on`` (or ``off``).  A v2 server answers
``* Receipts are on``, a v1 server ``! unknown command: /receipts ...``; either answer is hidden
(the person did not ask) and reported through ``on_rooms(has_rooms)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from twisted.internet import defer
from twisted.internet.endpoints import connectProtocol
from twisted.internet.interfaces import (
    IDelayedCall,
    IReactorTime,
    IStreamClientEndpoint,
    ITCPTransport,
)
from twisted.internet.protocol import connectionDone
from twisted.protocols.basic import LineReceiver
from twisted.python.failure import Failure

from chatd.client.lines import LineKind, RoomNoticeKind, ServerLine, classify
from chatd.client.secret import password_wanted

__all__ = [
    "ChatClientProtocol",
    "ClientStopped",
    "GaveUp",
    "LineView",
    "NameRefused",
    "QuitTimedOut",
    "ServerClosed",
    "is_quit_command",
]

QUIT_WORD = "<quit>"
#: The longest server line accepted; far above the server's own limit on what people send.
MAX_SERVER_LINE = 1 << 20
#: Default bound on the wait for the server to close after our ``<quit>``.  The server reads a
#: connection's lines in order and may throttle a fast sender, so a long pipe takes a while.
DEFAULT_QUIT_TIMEOUT = 30.0
#: How long a server may stay silent after the connection opens before a face may say so.  A
#: chatd server prompts at once (a message of the day first at most); a TLS port waits for the
#: ClientHello a plain client never sends, so the person would sit at a blank prompt.  Five
#: seconds is well past any real server's first line, even across the world, and short enough
#: that the person has not given up yet.
SILENCE_SECONDS = 5.0


class LineView(Protocol):
    """What the core needs from a face: somewhere to show each server line as it arrives."""

    def show_line(self, line: ServerLine) -> None:
        """Show ``line`` to the person."""


class ClientStopped(Exception):
    """The connection ended without the clean goodbye that follows our ``<quit>``."""


class ServerClosed(ClientStopped):
    """The server closed the connection, or it broke, while we were not leaving."""

    def __init__(self, reason: Failure) -> None:
        super().__init__(reason.getErrorMessage())
        #: Why the transport says it closed (for TLS, the handshake's error).
        self.reason = reason


class NameRefused(ClientStopped):
    """The server refused the ``--name`` we were given and nobody is there to type another."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


class GaveUp(ClientStopped):
    """The person stopped the client without waiting for the server's goodbye."""

    def __init__(self) -> None:
        super().__init__("stopped without waiting for the server")


class QuitTimedOut(ClientStopped):
    """We sent ``<quit>`` but the server did not close the connection in time."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no goodbye from the server within {seconds:g} s")
        self.seconds = seconds


def is_quit_command(line: str) -> bool:
    """Whether the server will take ``line`` as leaving: ``<quit>``, or ``/quit`` with a reason."""
    words = line.split(maxsplit=1)
    if not words:
        return False
    return words == [QUIT_WORD] or words[0].lower() == "/quit"


class ChatClientProtocol(LineReceiver):
    """Our end of one chat connection: framing, the username handshake, and leaving cleanly.

    Lines the person types before they can be sent are held, in order: all of them until the
    connection is made, and, when a ``name`` was given, the rest until the server welcomes us
    (the name answers the prompt first).  Once a quit is asked for, nothing more is sent after
    the quit line, and the wait for the server to close is bounded by ``quit_timeout``.

    With ``hide_answered_prompt``, the username prompt that ``name`` answers is not shown (a
    person did not ask that question); the default shows it, so a script's output is the
    server's lines, unchanged.  ``on_name_refused(name, reason)`` is called when the server
    refuses ``name`` and the person may type another.  ``on_silence(seconds)`` is called once if
    the server sends nothing at all for ``silence_seconds`` after the connection opens; the
    connection stays open.  With ``rooms_probe`` set to True or False, receipts are switched on
    or off right after the welcome, and ``on_rooms(has_rooms)`` says how the server answered
    (see the module's docstring); lines typed meanwhile are held until it has said so.
    """

    delimiter = b"\n"
    #: Set when connected, before any line is read or written: TCP's, or TLS over it (which
    #: provides the interfaces of the TCP transport it wraps).
    transport: ITCPTransport
    MAX_LENGTH = MAX_SERVER_LINE

    def __init__(
        self,
        view: LineView,
        clock: IReactorTime,
        name: str | None = None,
        retry_name: bool = True,
        quit_timeout: float = DEFAULT_QUIT_TIMEOUT,
        hide_answered_prompt: bool = False,
        on_name_refused: Callable[[str, str], None] | None = None,
        on_silence: Callable[[float], None] | None = None,
        silence_seconds: float = SILENCE_SECONDS,
        rooms_probe: bool | None = None,
        on_rooms: Callable[[bool], None] | None = None,
    ) -> None:
        self.view = view
        self.clock = clock
        #: Our username once the server has welcomed us (and after each accepted /nick).
        self.name: str | None = None
        self._asked_name = name
        self._retry_name = retry_name
        self.quit_timeout = quit_timeout
        self._hide_answered_prompt = hide_answered_prompt
        self._on_name_refused = on_name_refused
        self._on_silence = on_silence
        self._silence_seconds = silence_seconds
        self._silence: IDelayedCall | None = None
        self._rooms_probe = rooms_probe
        self._on_rooms = on_rooms
        self._probing = False
        #: Whether the server has rooms (protocol v2): None until the probe is answered.
        self.has_rooms: bool | None = None
        #: Fires None after a clean goodbye; fails with a :class:`ClientStopped` otherwise.
        self.finished: defer.Deferred[None] = defer.Deferred()
        self._connected = False
        self._welcomed = False
        self._hold_until_welcome = name is not None
        self._name_answered = False
        self._held: list[str] = []
        #: Whether the server asked for a password, which the next line typed answers at once.
        self._password_wanted = False
        self._quitting = False
        self._quit_sent = False
        self._said_goodbye = False
        self._quit_deadline: IDelayedCall | None = None
        self._connecting: defer.Deferred[ChatClientProtocol] | None = None

    # What a face calls

    def connect_to(self, endpoint: IStreamClientEndpoint) -> defer.Deferred[ChatClientProtocol]:
        """Connect through ``endpoint``; fires with this protocol, or fails with why not."""
        self._connecting = connectProtocol(endpoint, self)
        return self._connecting

    def send(self, line: str) -> None:
        """Send one typed line, or hold it until it can be sent; a quit command starts leaving."""
        if self._quitting:
            return
        if is_quit_command(line):
            self._quitting = True
        if self._password_wanted and self._connected:
            self._password_wanted = False
            self._write(line)
        elif self._holding():
            self._held.append(line)
        else:
            self._write(line)
        if self._quitting:
            self._start_quit_deadline()

    def quit(self) -> None:
        """Leave: send ``<quit>`` after everything typed so far, then wait for the server."""
        self.send(QUIT_WORD)

    def give_up(self) -> None:
        """Stop now, without waiting for the server: a person pressing Ctrl-C again, say.

        While connecting, the attempt is cancelled (the Deferred from :meth:`connect_to` fails
        with ``CancelledError``); once connected, :attr:`finished` fails with :class:`GaveUp`.
        """
        if self._connected:
            if not self.finished.called:
                self.finished.errback(GaveUp())
            self.transport.abortConnection()
        elif self._connecting is not None and not self._connecting.called:
            self._connecting.cancel()

    @property
    def quitting(self) -> bool:
        """Whether a quit was asked for; further typed lines are ignored."""
        return self._quitting

    @property
    def is_connected(self) -> bool:
        """Whether the connection is open now (Twisted's own ``connected`` never goes back)."""
        return self._connected

    # Twisted's side

    def connectionMade(self) -> None:
        self._connected = True
        if self._on_silence is not None:
            self._silence = self.clock.callLater(self._silence_seconds, self._server_silent)
        if not self._hold_until_welcome:
            self._send_held()
        if self._quitting:
            self._start_quit_deadline()

    def dataReceived(self, data: bytes) -> None:
        self._stop_silence_timer()
        super().dataReceived(data)

    def lineReceived(self, data: bytes) -> None:
        if data.endswith(b"\r"):
            data = data[:-1]
        line = classify(data.decode("utf-8", "replace"), self.name)
        first_welcome = line.kind is LineKind.WELCOME and not self._welcomed
        if first_welcome:
            self._welcomed = True
            self._hold_until_welcome = False
            self.name = line.name
        elif line.kind is LineKind.NEW_NAME and self._welcomed:
            self.name = line.name
        elif line.kind is LineKind.GOODBYE and self._quit_sent:
            self._said_goodbye = True
        # The name to answer the prompt with, if this line is the prompt it is for.
        answer = (
            self._asked_name if line.kind is LineKind.PROMPT and not self._name_answered else None
        )
        probe_answer = self._probing and self._answers_probe(line)
        if not (answer and self._hide_answered_prompt) and not probe_answer:
            self.view.show_line(line)
        if answer:
            self._name_answered = True
            self._write(answer)
        elif probe_answer:
            self._probing = False
            self.has_rooms = line.kind is not LineKind.ERROR
            if self._on_rooms is not None:
                self._on_rooms(self.has_rooms)  # which may send the face's own commands first
            if self._held:
                self._send_held()
        elif first_welcome:
            if self._rooms_probe is not None and not self._quit_sent:
                self._probing = True
                self._write(f"/receipts {'on' if self._rooms_probe else 'off'}")
            elif self._held:
                self._send_held()
        elif line.kind is LineKind.ERROR and self._name_answered and not self._welcomed:
            self._name_refused(line.body)
        elif password_wanted(line.text):
            # The next line typed answers, even while the others wait for the welcome; one
            # typed (or piped) already is that answer.
            if self._hold_until_welcome and self._held:
                self._write(self._held.pop(0))
            else:
                self._password_wanted = True

    def lineLengthExceeded(self, line: bytes) -> None:
        self.transport.loseConnection()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self._connected = False
        self._stop_silence_timer()
        if self._quit_deadline is not None and self._quit_deadline.active():
            self._quit_deadline.cancel()
        if self.finished.called:
            return
        if self._said_goodbye:
            self.finished.callback(None)
        else:
            self.finished.errback(ServerClosed(reason))

    # Inside

    def _holding(self) -> bool:
        # While the probe is out, what is typed waits for the face's own commands (rejoining
        # rooms, say) that its answer brings: sent first, one of them could otherwise be read
        # as the answer to a password request the typed line causes.
        return not self._connected or self._hold_until_welcome or self._probing

    def _write(self, line: str) -> None:
        self.transport.write(line.encode("utf-8", "replace") + b"\n")
        if is_quit_command(line):
            self._quit_sent = True

    def _send_held(self) -> None:
        held, self._held = self._held, []
        for line in held:
            self._write(line)

    @staticmethod
    def _answers_probe(line: ServerLine) -> bool:
        """Whether ``line`` is a v2 server's or a v1 server's answer to ``/receipts``."""
        notice = line.room_notice
        if line.room is None and notice is not None and notice.kind is RoomNoticeKind.RECEIPTS:
            return True
        return line.kind is LineKind.ERROR and line.body.startswith("unknown command: /receipts")

    def _name_refused(self, reason: str) -> None:
        """The server said ``! REASON`` to the name we answered the prompt with."""
        name, self._asked_name = self._asked_name or "", None
        self._name_answered = False
        if not self._retry_name:
            self.finished.errback(NameRefused(name, reason))
            self.transport.loseConnection()
        elif self._quitting:
            # Leave at once; the server takes <quit> before a name is chosen.
            self._held = []
            self._hold_until_welcome = False
            self._write(QUIT_WORD)
        else:
            # The person types names from now on; what they typed before waits for the welcome.
            self._hold_until_welcome = False
            if self._on_name_refused is not None:
                self._on_name_refused(name, reason)

    def _server_silent(self) -> None:
        self._silence = None
        if self._on_silence is not None:
            self._on_silence(self._silence_seconds)

    def _stop_silence_timer(self) -> None:
        if self._silence is not None and self._silence.active():
            self._silence.cancel()
        self._silence = None

    def _start_quit_deadline(self) -> None:
        if self._connected and self._quit_deadline is None:
            self._quit_deadline = self.clock.callLater(self.quit_timeout, self._quit_timed_out)

    def _quit_timed_out(self) -> None:
        if not self.finished.called:
            self.finished.errback(QuitTimedOut(self.quit_timeout))
        self.transport.abortConnection()
