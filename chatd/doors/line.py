"""The line door: telnet, nc and TLS clients speaking wire protocol v1 over a byte stream.

It only translates: bytes to ``str`` lines for the session, hub events to CRLF-terminated UTF-8
lines for the transport.  Framing is bounded: a line longer than the limit is refused and
discarded up to its newline, so the door never holds more than one line's worth of input.
"""

from __future__ import annotations

from twisted.internet import defer
from twisted.internet.address import IPv6Address
from twisted.internet.interfaces import IAddress
from twisted.internet.protocol import ServerFactory, connectionDone
from twisted.logger import Logger
from twisted.protocols.basic import LineReceiver
from twisted.python.failure import Failure

from chatd.core import events
from chatd.core.errors import ServerFull
from chatd.core.hub import Hub
from chatd.core.session import Session
from chatd.doors.render import encode

DEFAULT_MAX_LINE_LENGTH = 4096


def describe(address: IAddress) -> str:
    """A short, log-friendly form of a peer address."""
    host, port = getattr(address, "host", None), getattr(address, "port", None)
    if host is None or port is None:
        return str(address)
    if isinstance(address, IPv6Address):
        return f"[{host}]:{port}"
    return f"{host}:{port}"


class LineDoor(LineReceiver):
    """One connection of a line client; a :class:`~chatd.core.session.Client` for the hub."""

    delimiter = b"\n"
    log = Logger()

    def __init__(self, hub: Hub, max_line_length: int = DEFAULT_MAX_LINE_LENGTH) -> None:
        self.hub = hub
        self.max_line_length = max_line_length
        # LineReceiver measures the line with its CR; the limit is on what the person typed.
        self.MAX_LENGTH = max_line_length + 1
        self.peer = "unconnected"
        self.session: Session | None = None
        self._discarding = False
        self._after_long_line = b""

    # Twisted's side

    def connectionMade(self) -> None:
        self.peer = describe(self.transport.getPeer())
        self.log.info("connection from {peer}", peer=self.peer)
        try:
            self.session = self.hub.connect(self)
        except ServerFull as full:
            self.deliver(events.Refused(str(full)))
            self.close()

    def dataReceived(self, data: bytes) -> None:
        while data and not self.transport.disconnecting:
            if self._discarding:
                newline = data.find(self.delimiter)
                if newline < 0:
                    return
                self._discarding = False
                data = data[newline + 1 :]
            super().dataReceived(data)
            data, self._after_long_line = self._after_long_line, b""

    def lineReceived(self, line: bytes) -> None:
        if line.endswith(b"\r"):
            line = line[:-1]
        if len(line) > self.max_line_length:
            self._refuse_long_line()
        elif self.session is not None:
            self.session.receive(line.decode("utf-8", "replace"))

    def lineLengthExceeded(self, data: bytes) -> None:
        # ``data`` is the too-long line and whatever followed it in the buffer.
        self._refuse_long_line()
        newline = data.find(self.delimiter)
        if newline < 0:
            self._discarding = True
        else:
            self._after_long_line = data[newline + 1 :]

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.log.info(
            "connection from {peer} closed: {why}", peer=self.peer, why=reason.getErrorMessage()
        )
        if self.session is not None:
            self.session.lost()
        self.factory.forget(self)

    # The hub's side

    def deliver(self, event: events.Event) -> None:
        self.transport.write(encode(event))

    def close(self) -> None:
        self.transport.loseConnection()

    def _refuse_long_line(self) -> None:
        self.log.info("line too long from {peer}", peer=self.peer)
        self.deliver(events.Refused(f"line too long (limit {self.max_line_length} bytes)"))


class LineDoorFactory(ServerFactory):
    """Builds a :class:`LineDoor` per connection and knows which are still open."""

    noisy = False  # connections are logged by the doors themselves

    def __init__(self, hub: Hub, max_line_length: int = DEFAULT_MAX_LINE_LENGTH) -> None:
        self.hub = hub
        self.max_line_length = max_line_length
        self._open: set[LineDoor] = set()
        self._all_closed: list[defer.Deferred[None]] = []

    def buildProtocol(self, addr: IAddress) -> LineDoor:
        door = LineDoor(self.hub, self.max_line_length)
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
