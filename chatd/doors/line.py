"""The line door: telnet, nc and TLS clients speaking wire protocol v1 over a byte stream.

It only translates: bytes to ``str`` lines for the session, hub events to CRLF-terminated UTF-8
lines for the transport.  Framing is bounded: a line longer than the limit is refused and
discarded up to its newline, so the door never holds more than one line's worth of input.
"""

from __future__ import annotations

from twisted.internet import defer
from twisted.internet.address import IPv6Address
from twisted.internet.interfaces import IAddress, IDelayedCall, IHandshakeListener, ISSLTransport
from twisted.internet.protocol import ServerFactory, connectionDone
from twisted.logger import Logger
from twisted.protocols.basic import LineReceiver
from twisted.python.failure import Failure
from zope.interface import implementer

from chatd.core import events
from chatd.core.errors import ChatError
from chatd.core.hub import Hub
from chatd.core.policy import TokenBucket
from chatd.core.session import Session
from chatd.doors.fanout import Fanout
from chatd.doors.outbox import CLOSE_LINGER_SECONDS, Outbox
from chatd.doors.render import encode, encode_notice
from chatd.doors.telnet import Action, Reply, TelnetParser, carries_commands


def origin(address: IAddress) -> str | None:
    """The host a connection came from, for per-address limits; IPv4-mapped IPv6 as IPv4."""
    host = getattr(address, "host", None)
    if isinstance(host, str) and host.startswith("::ffff:") and "." in host:
        return host[len("::ffff:") :]
    return host


def describe(address: IAddress) -> str:
    """A short, log-friendly form of a peer address."""
    host, port = getattr(address, "host", None), getattr(address, "port", None)
    if host is None or port is None:
        return str(address)
    if isinstance(address, IPv6Address):
        return f"[{host}]:{port}"
    return f"{host}:{port}"


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

    def __init__(self, hub: Hub) -> None:
        # Every attribute a connection will have, Twisted's included, set here in one order: then
        # all connections share one table of attribute names (PEP 412) instead of each growing a
        # dictionary of its own when LineReceiver first sets its buffer, about 800 bytes each.
        self.factory: LineDoorFactory | None = None
        self.transport = None
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
        self._bucket = (
            TokenBucket(limits.rate, limits.burst, self.clock.seconds()) if limits.rate else None
        )
        self._resume: IDelayedCall | None = None
        self._discarding = False
        self._after_long_line = b""
        #: Whether a TLS handshake is still to finish: such a connection is aborted, not closed.
        self._handshaking = False

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
        self.log.info("connection from {peer}", peer=self.peer)
        try:
            self.session = self.hub.connect(
                self, origin(self.transport.getPeer()), self.factory.fanout
            )
        except ChatError as refusal:
            self.deliver(events.Refused(str(refusal)))
            self.close()

    def handshakeCompleted(self) -> None:
        self._handshaking = False

    def dataReceived(self, data: bytes) -> None:
        if self._telnet is None:
            # Also b"", with which LineReceiver.resumeProducing asks for the lines it buffered.
            if not carries_commands(data):
                self._frame(data)
                return
            self._telnet = TelnetParser()
        elif not data:
            self._frame(data)
            return
        for piece in self._telnet.feed(data):
            if type(piece) is bytes:
                self._frame(piece)
            elif isinstance(piece, Reply):
                self.outbox.write(piece.data)
            elif piece is Action.DISCARD_LINE:
                self._discard_partial_line()
            elif piece is Action.SHOW_ALIVE:
                self.outbox.write(encode_notice("yes, chatd is here"))

    def _frame(self, data: bytes) -> None:
        if self._discarding:
            newline = data.find(self.delimiter)
            if newline < 0:
                return
            self._discarding = False
            data = data[newline + 1 :]
        super().dataReceived(data)
        while self._after_long_line:
            data, self._after_long_line = self._after_long_line, b""
            super().dataReceived(data)

    def lineReceived(self, line: bytes) -> None:
        if line.endswith(b"\r"):
            line = line[:-1]
        if len(line) > self.max_line_length:
            self._refuse_long_line()
        elif self.session is not None:
            self.session.receive(line.decode("utf-8", "replace"))
        if self._bucket is not None:
            self._pace()

    def lineLengthExceeded(self, data: bytes) -> None:
        # ``data`` is the too-long line and whatever followed it in the buffer.
        self._refuse_long_line()
        newline = data.find(self.delimiter)
        if newline < 0:
            self._discarding = True
        else:
            self._after_long_line = data[newline + 1 :]
        if self._bucket is not None:
            self._pace()

    def _pace(self) -> None:
        """Count a line against the token bucket; stop reading while the budget is spent."""
        wait = self._bucket.spend(self.clock.seconds())
        if wait and not self.transport.disconnecting:
            # Lines over the budget stay unread (in the kernel, and at most one packet in
            # LineReceiver's buffer) until the bucket allows the next one.
            self.pauseProducing()
            self._resume = self.clock.callLater(wait, self._end_pause)

    def _end_pause(self) -> None:
        self._resume = None
        if not self.transport.disconnecting:
            self.resumeProducing()

    def _discard_partial_line(self) -> None:
        """Forget what follows the last complete line received: the person abandoned it."""
        self._discarding = False
        self._after_long_line = b""
        buffered = self.clearLineBuffer()
        complete = buffered[: buffered.rfind(self.delimiter) + 1]
        if complete:  # lines held back by flood control are kept, in order
            super().dataReceived(complete)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.log.info(
            "connection from {peer} closed: {why}", peer=self.peer, why=reason.getErrorMessage()
        )
        if self._resume is not None:
            self._resume.cancel()
            self._resume = None
        if self.outbox is not None:
            self.outbox.stopProducing()
        if self.session is not None:
            self.session.lost()
        self.factory.forget(self)

    # The hub's side

    def deliver(self, event: events.Event) -> None:
        self.factory.fanout.catch_up(self)  # broadcasts made before this event come first
        self.outbox.write(encode(event))

    def close(self) -> None:
        # A TLS connection closes cleanly only once its handshake is done, and a peer that never
        # sends its hello would hold the connection for ever: nothing was said to it yet anyway.
        self.outbox.close(linger=0 if self._handshaking else CLOSE_LINGER_SECONDS)

    def _refuse_long_line(self) -> None:
        self.log.info("line too long from {peer}", peer=self.peer)
        self.deliver(events.Refused(f"line too long (limit {self.max_line_length} bytes)"))

    def too_slow(self, held: int) -> None:
        self.log.warn(
            "dropping {peer}: {held} bytes of output waiting, over the limit of {limit}",
            peer=self.peer,
            held=held,
            limit=self.hub.limits.max_send_buffer,
        )
        self.transport.abortConnection()


class LineDoorFactory(ServerFactory):
    """Builds a :class:`LineDoor` per connection and knows which are still open."""

    noisy = False  # connections are logged by the doors themselves

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        #: How broadcasts reach this door's named users.
        self.fanout = Fanout(hub.clock)
        self._open: set[LineDoor] = set()
        self._all_closed: list[defer.Deferred[None]] = []

    def buildProtocol(self, addr: IAddress) -> LineDoor:
        door = LineDoor(self.hub)
        door.factory = self
        self._open.add(door)
        return door

    def forget(self, door: LineDoor) -> None:
        self._open.discard(door)
        if not self._open:
            waiting, self._all_closed = self._all_closed, []
            for d in waiting:
                d.callback(None)

    def all_closed(self) -> defer.Deferred[None]:
        """Fires once no connection of this door is open."""
        if not self._open:
            return defer.succeed(None)
        d: defer.Deferred[None] = defer.Deferred()
        self._all_closed.append(d)
        return d

    def abort_all(self) -> None:
        """Drop every connection still open, without waiting for unsent output."""
        for door in list(self._open):
            door.transport.abortConnection()
