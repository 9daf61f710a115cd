"""The line door: telnet, nc and TLS clients speaking wire protocol v1 over a byte stream.

It only translates: bytes to ``str`` lines for the session, hub events to CRLF-terminated UTF-8
lines for the transport.  Framing is bounded: a line longer than the limit is refused and
discarded up to its newline, so the door never holds more than one line's worth of input.
"""

from __future__ import annotations

import re

from twisted.internet.interfaces import IAddress, IHandshakeListener, ISSLTransport
from twisted.internet.protocol import ServerFactory, connectionDone
from twisted.logger import Logger
from twisted.protocols.basic import LineReceiver
from twisted.python.failure import Failure
from zope.interface import implementer

from chatd.core import events
from chatd.core.hub import Hub
from chatd.core.session import Session
from chatd.doors.connections import DoorConnections
from chatd.doors.fanout import Fanout
from chatd.doors.flood import FloodGate
from chatd.doors.outbox import CLOSE_LINGER_SECONDS, Outbox
from chatd.doors.peer import Departed, Transport, describe, hung_up, limit_reads
from chatd.doors.render import encode, encode_notice
from chatd.doors.telnet import Action, Reply, TelnetParser, carries_commands

#: Seconds between two answers to telnet's "are you there?", however often it is asked.
ALIVE_ANSWER_INTERVAL = 1.0

_BLANK_LINES = re.compile(rb"(?:[ \t\r]*\n)+")


def _after_blank_lines(buffer: bytes, start: int) -> int:
    """Where the run of blank lines (if any) at ``start`` of ``buffer`` ends."""
    blank = _BLANK_LINES.match(buffer, start)
    return blank.end() if blank else start


@implementer(IHandshakeListener)
class LineDoor(LineReceiver):
    """One connection of a line client; a :class:`~chatd.core.session.Client` for the hub.

    Besides framing it applies the per-connection limits on bytes (see :class:`Limits`): it
    answers telnet's commands instead of relaying them, holds at most ``max_send_buffer`` bytes
    for a reader that fell behind, and pauses reading from a connection that sends lines faster
    than its token bucket allows.
    """

    delimiter = b"\n"
    log = Logger()

    # Twisted sets both before any method of ours runs: buildProtocol the factory, makeConnection
    # the transport (TCP's, or the TLS layer over it). Narrower than Twisted's "ITransport | None".
    factory: LineDoorFactory
    transport: Transport  # type: ignore[assignment]

    def __init__(self, hub: Hub) -> None:
        # Every attribute a connection will have, Twisted's included, set here in one order: then
        # all connections share one table of attribute names (PEP 412) instead of each growing a
        # dictionary of its own when LineReceiver first sets its buffer, about 800 bytes each.
        self.factory = None  # type: ignore[assignment]  # see the class annotations
        self.transport = None  # type: ignore[assignment]
        self.connected = 0
        self.paused = False
        self._buffer = b""
        self._busyReceiving = False
        self.hub = hub
        self.clock = hub.clock  # the reactor, or a test's task.Clock
        limits = hub.limits
        self.max_line_length = limits.max_line_length
        # LineReceiver measures the line with its CR; the limit is on what the person typed.
        self.MAX_LENGTH = limits.max_line_length + 1
        self.session: Session | None = None
        self.outbox: Outbox | None = None
        #: Made when the first telnet command arrives; most clients never send one.
        self._telnet: TelnetParser | None = None
        #: Flood control, or None when ``rate`` is 0.
        self._flood = (
            FloodGate(limits.rate, limits.burst, self.clock, self) if limits.rate else None
        )
        self._discarding = False
        #: Whether a TLS handshake is still to finish: such a connection is aborted, not closed.
        self._handshaking = False
        #: Receipts waiting for the end of the reactor turn (see :meth:`_hold_receipt`).
        self._receipts: list[bytes] | None = None

    @property
    def peer(self) -> str:
        """The other end, for log events; worked out when wanted, not kept (64 bytes each)."""
        return "unconnected" if self.transport is None else describe(self.transport.getPeer())

    # Twisted's side

    def connectionMade(self) -> None:
        self._handshaking = ISSLTransport.providedBy(self.transport)
        self.outbox = Outbox(self.transport, self.hub.limits.max_send_buffer, self, self.clock)
        # Output is already gathered into one write per pass; Nagle's algorithm would only hold
        # it back until the reader's delayed acknowledgement.
        no_delay = getattr(self.transport, "setTcpNoDelay", None)
        if no_delay is not None:
            no_delay(True)
        if self._flood is not None:
            # What flood control holds back must not be 64 KiB a connection: about a line.
            limit_reads(self.transport, self.MAX_LENGTH + 1)
        self.session = self.factory.admit(self, "TLS" if self._handshaking else "nc")

    def handshakeCompleted(self) -> None:
        self._handshaking = False

    def dataReceived(self, data: bytes) -> None:
        if self._telnet is None:
            # Also b"", with which LineReceiver.resumeProducing asks for the lines it buffered.
            if not carries_commands(data):
                self._frame(data)
                return
            self._telnet = TelnetParser()
            if self.session is not None and self.session.door == "nc":
                self.session.door = "telnet"
        elif not data:
            self._frame(data)
            return
        self._take_telnet(self._telnet, data)

    def _take_telnet(self, telnet: TelnetParser, data: bytes) -> None:
        """Frame the text in ``data`` and answer its telnet commands, in one write per packet."""
        commands_before = telnet.commands
        answers: list[bytes] = []
        for piece in telnet.feed(data):
            if type(piece) is bytes:
                self._frame(piece)
            elif isinstance(piece, Reply):
                answers.append(piece.data)
            elif piece is Action.DISCARD_LINE:
                self._discard_partial_line()
            elif piece is Action.SHOW_ALIVE:
                now = self.clock.seconds()
                if now - telnet.alive_answered_at >= ALIVE_ANSWER_INTERVAL:
                    telnet.alive_answered_at = now
                    answers.append(encode_notice("yes, chatd is here"))
        if answers and not self.transport.disconnecting:
            self._write(b"".join(answers))
        if self._flood is not None and telnet.commands > commands_before:
            # Each command costs a line: answering them is work, like relaying a line.
            self._flood.charge(telnet.commands - commands_before)

    def _frame(self, data: bytes) -> None:
        """Split what arrived into lines and hand each on, in time linear in the bytes.

        (LineReceiver's own loop copies the rest of its buffer for every line, so a packet of
        64 KiB of newlines cost quadratic time with flood control off.)  A line longer than the
        limit is refused and discarded up to its newline.
        """
        if self._discarding:
            newline = data.find(self.delimiter)
            if newline < 0:
                return
            self._discarding = False
            data = data[newline + 1 :]
        buffer = self._buffer + data if self._buffer else data
        if self._busyReceiving or self.paused:
            self._buffer = buffer
            return
        self._busyReceiving = True
        start = taken = 0
        try:
            while not self.paused and not self.transport.disconnecting:
                newline = buffer.find(self.delimiter, start)
                if newline < 0:
                    break
                line = buffer[start:newline]
                if self._flood is None and not line.strip():
                    # Blank lines are ignored, and nothing counts them: skip the whole run at
                    # C speed (64 KiB of newlines in a packet were 65,536 calls otherwise).
                    start = max(_after_blank_lines(buffer, start), newline + 1)
                    continue
                start = newline + 1
                taken += 1
                self._take_line(line)
        finally:
            self._busyReceiving = False
            self.factory.lines_received += taken
        rest = buffer[start:] if start else buffer
        if self.transport.disconnecting:
            rest = b""  # lines after <quit> are not for anyone
        elif len(rest) > self.MAX_LENGTH and not self.paused:
            rest = b""
            self._discarding = True
            self.factory.lines_received += 1  # counted now: the rest of it is never read
            self._refuse_long_line()
        self._buffer = rest

    def _take_line(self, line: bytes) -> None:
        if line.endswith(b"\r"):
            line = line[:-1]
        if self._telnet is not None and self._telnet.echoing and line.strip():
            # The password is in: telnet shows typing again, and the newline it did not show.
            self._write(self._telnet.show_typing() + b"\r\n")
        if len(line) > self.max_line_length:
            self._refuse_long_line()
        elif self.session is not None:
            self.session.receive(line.decode("utf-8", "replace"))
        if self._flood is not None:
            self._flood.charge()

    def _discard_partial_line(self) -> None:
        """Forget what follows the last complete line received: the person abandoned it."""
        self._discarding = False
        buffered = self.clearLineBuffer()
        complete = buffered[: buffered.rfind(self.delimiter) + 1]
        if complete:  # lines held back by flood control are kept, in order
            self._buffer = complete
            self._frame(b"")

    # Flood control's side

    def pause_reading(self) -> None:
        self.factory.flood_delays += 1  # a pause starts: the gate extends one without asking
        self.pauseProducing()

    def resume_reading(self) -> None:
        if not self.transport.disconnecting:
            self.resumeProducing()

    def peer_hung_up(self) -> bool:
        return hung_up(self.transport)

    def gone_while_paused(self) -> None:
        self.log.info("{peer} hung up while flood control held its lines", peer=self.peer)
        self._buffer = b""
        self.transport.abortConnection()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        if self.session is not None:  # the hub logged a refusal, and its summary, already
            self.log.info(
                "connection from {peer} closed: {why}",
                peer=self.peer,
                why=reason.getErrorMessage(),
            )
        if self._flood is not None:
            self._flood.stop()
        if self.outbox is not None:
            self.outbox.stopProducing()
        if self.session is not None:
            self.session.lost()
        self.factory.forget(self)
        # This door, its outbox and its session refer to each other and are freed together by
        # the garbage collector; the transport, and any output it still held, must not wait.
        self.transport = Departed(self.transport.getPeer())

    # The hub's side

    def deliver(self, event: events.Event) -> None:
        session = self.session
        self.factory.deliveries += 1
        if type(event) is events.AskPassword and self._telnet is not None:
            # telnet stops showing what is typed (and nc never hears of it: see telnet.py).
            if session is not None and session.rooms:
                self.factory.fanout.catch_up(session)
            self._write(self._telnet.hide_typing())
        if session is None or not session.rooms:
            self._write(encode(event))
            return
        if type(event) is events.Receipt:
            self._hold_receipt(encode(event))
            return
        self.factory.fanout.catch_up(session)  # broadcasts made before this event come first
        self._write(encode(event, session.rooms[-1].name))

    def _hold_receipt(self, data: bytes) -> None:
        """Keep a receipt for the end of the reactor turn, with the others that come in it.

        A store confirms a whole batch of lines in one turn; sending each receipt at once would
        be a catch-up and a write per line said, where one write per turn does.  Receipts keep
        their order among themselves; other answers may pass them, as they may when the disk
        is slow.
        """
        if self._receipts is None:
            self._receipts = []
            self.clock.callLater(0, self._send_receipts)
        self._receipts.append(data)

    def _send_receipts(self) -> None:
        receipts, self._receipts = self._receipts, None
        session = self.session
        if receipts and session is not None and session.rooms:
            self.factory.fanout.catch_up(session)
            self._write(b"".join(receipts))

    def _write(self, data: bytes) -> None:
        """Write ``data`` outside the fan-out, counting its bytes for the metrics."""
        self.factory.bytes_sent += len(data)
        assert self.outbox is not None  # made by connectionMade, before anything is written
        self.outbox.write(data)

    def close(self) -> None:
        # A TLS connection closes cleanly only once its handshake is done, and a peer that never
        # sends its hello would hold the connection for ever: nothing was said to it yet anyway.
        assert self.outbox is not None
        self.outbox.close(linger=0 if self._handshaking else CLOSE_LINGER_SECONDS)

    def _refuse_long_line(self) -> None:
        self.log.info("line too long from {peer}", peer=self.peer)
        self.deliver(
            events.Refused(f"line too long (limit {self.max_line_length} bytes)", "line_too_long")
        )

    def too_slow(self, held: int) -> None:
        self.factory.drop_slow_reader(self, held)


class LineDoorFactory(ServerFactory["LineDoor"], DoorConnections["LineDoor"]):
    """Builds a :class:`LineDoor` per connection and knows which are still open."""

    noisy = False  # connections are logged by the doors themselves

    def __init__(self, hub: Hub) -> None:
        DoorConnections.__init__(self, hub, Fanout(hub.clock))

    def buildProtocol(self, addr: IAddress | None) -> LineDoor:
        door = LineDoor(self.hub)
        door.factory = self
        return self.opened(door)
