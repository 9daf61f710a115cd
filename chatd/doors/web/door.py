"""One WebSocket connection to the hub, built on Twisted's own ``twisted.web.websocket``.

The door only translates: JSON requests to hub calls (:mod:`~chatd.doors.web.operations`), hub
events to JSON frames (:mod:`~chatd.doors.web.wire`).  The limits are the line door's parts,
reused: flood control (:class:`~chatd.doors.flood.FloodGate`) pauses reading, the output bound
(:class:`~chatd.doors.outbox.Outbox`) drops a reader that does not read, and the fan-out
(:class:`~chatd.doors.fanout.Fanout`) frames each broadcast once for every web reader.

What Twisted's WebSocket support leaves to its user, and this door does:

- **A bound on incoming messages.**  wsproto holds a whole message in memory, of any size; the
  door counts the bytes received since the last whole message and closes the connection (1009)
  once they pass :func:`max_message_size`.
- **Output through the outbox, all of it.**  Once the connection is upgraded the HTTP channel
  has nothing more to say, so it steps aside as the connection's producer and the door's
  outbox takes its place, as on the line door: on plain TCP it sends each pass's frames
  straight to the socket (a Twisted transport would cost a reactor wake-up and two
  ``epoll_ctl`` calls per reader per pass, which halved the web door's fan-out).  Twisted's
  WebSocket writes its own frames (pongs, the closing handshake) to the transport it was given;
  it is given one that writes through the outbox too, so no frame can overtake or cut into
  another, and the bound on unsent output counts every byte, pongs to a reader that does not
  read included.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from twisted.internet.interfaces import IAddress, ISSLTransport, ITCPTransport
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.server import Request
from zope.interface import alsoProvides

from chatd import __version__
from chatd.core import events
from chatd.core.errors import ChatError
from chatd.core.session import Session
from chatd.doors.flood import FloodGate
from chatd.doors.outbox import CLOSE_LINGER_SECONDS, Outbox
from chatd.doors.peer import Departed, Transport, describe, host, hung_up, limit_reads
from chatd.doors.web import operations, wire
from chatd.doors.web.frames import close_frame
from chatd.doors.web.wire import BadRequest

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from twisted.internet.interfaces import IProducer
    from twisted.web.websocket import WebSocketTransport

    from chatd.doors.web.site import WebDoorFactory
    from chatd.limits import Limits

#: Close codes (RFC 6455, section 7.4.1).
NORMAL_CLOSURE, MESSAGE_TOO_BIG = 1000, 1009


def max_message_size(limits: Limits) -> int:
    """The largest message a client may send, in bytes: a line's worth of text, with room for
    JSON's quoting (which can double it) and the other fields."""
    return 2 * limits.max_line_length + 1024


class WebDoor:
    """One WebSocket connection: a Twisted ``WebSocketProtocol``, and a client of the hub."""

    log = Logger()

    def __init__(
        self, factory: WebDoorFactory, request: Request, client: IAddress | None = None
    ) -> None:
        self.factory = factory
        self.hub = factory.hub
        self.clock = self.hub.clock
        self._request = request
        limits = self.hub.limits
        self.max_text = limits.max_line_length
        self.max_message = max_message_size(limits)
        #: The connection under the WebSocket: TCP's, or TLS over it.
        #: The WebSocket parser's input, which the door feeds (see negotiationStarted).
        self._parse: Callable[[bytes], None] = _unused
        self.transport: Transport = request.channel.transport  # type: ignore[assignment]
        #: The client's address as a trusted reverse proxy forwarded it; None: the TCP peer is.
        self.client = client
        self.session: Session | None = None
        self.outbox: Outbox | None = None
        self._flood = (
            FloodGate(limits.rate, limits.burst, self.clock, self) if limits.rate else None
        )
        #: Messages that arrived while flood control held reading, in order.
        self._waiting: deque[str | bytes] = deque()
        #: Bytes received since the last whole message: what wsproto may be holding.
        self._unfinished = 0
        self._closing = False
        self.close_code = NORMAL_CLOSURE

    @property
    def peer(self) -> str:
        if self.client is not None:
            return f"web {host(self.client)} via {describe(self.transport.getPeer())}"
        return f"web {describe(self.transport.getPeer())}"

    # Twisted's side

    def negotiationStarted(self, transport: WebSocketTransport) -> None:
        # Twisted's WebSocket writes its own frames to its ``transport`` (a public attribute):
        # they go through the outbox with everything else.
        transport.transport = _ThroughOutbox(self)  # type: ignore[attr-defined]
        # The upgrade made the HTTP channel hand every byte to the WebSocket's parser; the
        # door counts them on the way, to bound what the parser holds.
        channel = self._request.channel
        self._parse = channel.dataReceived
        channel.dataReceived = self._bytes_received  # type: ignore[method-assign]

    def negotiationFinished(self) -> None:
        # The HTTP channel is the connection's producer; it has nothing more to produce.
        self.transport.unregisterProducer()
        self.outbox = Outbox(_Upgraded(self), self.hub.limits.max_send_buffer, self, self.clock)
        no_delay = getattr(self.transport, "setTcpNoDelay", None)
        if no_delay is not None:
            no_delay(True)
        if self._flood is not None:
            limit_reads(self.transport, self.max_message + 16)
        self._send(wire.frame(wire.hello(__version__)))
        self.session = self.factory.admit(self, "web", self.client)

    def _bytes_received(self, data: bytes) -> None:
        if self._closing:
            return
        self._unfinished += len(data)
        if self._unfinished > self.max_message:
            self.log.info("message too large from {peer}", peer=self.peer)
            self.deliver(
                events.Refused(
                    f"message too large (limit {self.max_message} bytes)", "message_too_large"
                )
            )
            self.close_code = MESSAGE_TOO_BIG
            self.close()
            return
        self._parse(data)

    def textMessageReceived(self, message: str) -> None:
        self._message(message)

    def bytesMessageReceived(self, data: bytes | bytearray) -> None:
        self._message(bytes(data))

    def pongReceived(self, payload: bytes) -> None:
        pass  # chatd sends no pings of its own; a pong nobody asked for is ignored

    def connectionLost(self, reason: Failure) -> None:
        if self._flood is not None:
            self._flood.stop()
        if self.outbox is not None:
            self.outbox.stopProducing()
        self._waiting.clear()
        if self.session is not None:
            self.log.info(
                "connection from {peer} closed: {why}", peer=self.peer, why=reason.getErrorMessage()
            )
            self.session.lost()
        self.factory.forget(self)
        self.transport = Departed(self.transport.getPeer())

    # Messages in

    def _message(self, message: str | bytes) -> None:
        self._unfinished = 0
        if self._waiting or (self._flood is not None and self._flood.paused):
            self._waiting.append(message)
        else:
            self._take(message)

    def _take(self, message: str | bytes) -> None:
        self.factory.lines_received += 1
        session = self.session
        if session is None or self._closing:
            return
        try:
            if isinstance(message, bytes):
                raise BadRequest("binary frames are not accepted: send JSON text", "binary_frame")
            kind, data = wire.parse(message)
            if session.name is not None and kind != "command":  # a command line counts itself
                self.hub.heard_from(session)
            operations.perform(session, kind, data, self.max_text)
        except ChatError as refusal:
            if not self._closing:
                session.refuse_for(refusal)
        except Exception:
            # A bug must cost this one request, not the connection (wsproto would drop it).
            self.log.failure("request from {peer} failed", peer=self.peer)
            if not self._closing:
                session.refuse("the server could not do that", "internal_error")
        if self._flood is not None:
            self._flood.charge()

    # Flood control's side

    def pause_reading(self) -> None:
        self.factory.flood_delays += 1
        self.transport.pauseProducing()  # type: ignore[attr-defined]  # TCP's and TLS's

    def resume_reading(self) -> None:
        flood = self._flood
        while self._waiting and not self._closing and not (flood is not None and flood.paused):
            self._take(self._waiting.popleft())
        if not self.transport.disconnecting and not (flood is not None and flood.paused):
            self.transport.resumeProducing()  # type: ignore[attr-defined]

    def peer_hung_up(self) -> bool:
        return hung_up(self.transport)

    def gone_while_paused(self) -> None:
        self.log.info("{peer} hung up while flood control held its lines", peer=self.peer)
        self._waiting.clear()
        self.transport.abortConnection()

    # The outbox's side

    def too_slow(self, held: int) -> None:
        self.factory.drop_slow_reader(self, held)

    # The hub's side

    def deliver(self, event: events.Event) -> None:
        self.factory.deliveries += 1
        session = self.session
        if session is not None and session.rooms:
            self.factory.fanout.catch_up(session)  # broadcasts made before this event first
        self._send(wire.encode(event))

    def close(self) -> None:
        """Send a close frame after what is queued, then close (the hub asked, or the door)."""
        if self._closing:
            return
        self._closing = True
        self._waiting.clear()
        if self.outbox is not None:
            self.outbox.write(close_frame(self.close_code))
            self.outbox.close(CLOSE_LINGER_SECONDS)

    def peer_closed(self) -> None:
        """The peer's close frame came, and Twisted's WebSocket has answered it: close."""
        self._closing = True
        self._waiting.clear()
        if self.outbox is not None:
            self.outbox.close(CLOSE_LINGER_SECONDS)

    def end_of_output(self) -> None:
        """The outbox has sent everything: end the connection.

        After an oversized message only the sending half closes: closing a socket with unread
        input makes the kernel answer with a reset, which may overtake the close frame.  The
        rest of the message is read and dropped (wsproto never sees it, so nothing holds it)
        until the peer closes too, or the outbox's linger runs out.  TLS cannot half-close.
        """
        half_close = getattr(self.transport, "loseWriteConnection", None)
        if self.close_code == MESSAGE_TOO_BIG and half_close is not None:
            half_close()
        else:
            self.transport.loseConnection()

    def _send(self, data: bytes) -> None:
        self.factory.bytes_sent += len(data)
        assert self.outbox is not None  # made once the upgrade is done, before any event
        self.outbox.write(data)


def _unused(data: bytes) -> None:
    raise RuntimeError("bytes arrived before the WebSocket upgrade")


class _Upgraded:
    """The connection under a WebSocket, as the outbox sees it.

    On plain TCP it shows the outbox the socket (the outbox then sends to it directly and
    registers as a pull producer); its ending is the door's (a half-close after an oversized
    message).  Everything else is the connection's own.
    """

    def __init__(self, door: WebDoor) -> None:
        self._door = door
        lower = door.transport
        if ITCPTransport.providedBy(lower) and not ISSLTransport.providedBy(lower):
            alsoProvides(self, ITCPTransport)

    @property
    def disconnecting(self) -> bool:
        return self._door.transport.disconnecting

    @disconnecting.setter
    def disconnecting(self, value: bool) -> None:
        raise AttributeError("the connection says whether it is disconnecting")

    def getPeer(self) -> IAddress:
        return self._door.transport.getPeer()

    def getHandle(self) -> object:
        return self._door.transport.getHandle()  # type: ignore[attr-defined]  # TCP's

    def write(self, data: bytes) -> None:
        self._door.transport.write(data)

    def writeSequence(self, data: Iterable[bytes]) -> None:
        self._door.transport.writeSequence(data)

    def loseConnection(self) -> None:
        self._door.end_of_output()

    def abortConnection(self) -> None:
        self._door.transport.abortConnection()

    def registerProducer(self, producer: IProducer, streaming: bool) -> None:
        self._door.transport.registerProducer(producer, streaming)
        if not streaming:
            # A pull producer is resumed at once, and then whenever the transport has sent
            # all it holds.  It holds the upgrade's answer (Twisted never sends a write at
            # once), which the outbox's first frame, sent straight to the socket, would
            # overtake: so it waits to be resumed once that has gone.
            producer.pauseProducing()  # type: ignore[attr-defined]  # the outbox is both kinds

    def unregisterProducer(self) -> None:
        self._door.transport.unregisterProducer()


class _ThroughOutbox:
    """The transport Twisted's WebSocket writes its own frames to: the door's outbox."""

    def __init__(self, door: WebDoor) -> None:
        self._door = door

    def write(self, data: bytes) -> None:
        outbox = self._door.outbox
        if outbox is not None:
            outbox.write(data)

    def writeSequence(self, data: Iterable[bytes]) -> None:
        for each in data:
            self.write(each)

    def loseConnection(self) -> None:
        self._door.peer_closed()

    def abortConnection(self) -> None:
        self._door.transport.abortConnection()

    def getPeer(self) -> IAddress:
        return self._door.transport.getPeer()

    def getHost(self) -> IAddress:
        return self._door.transport.getHost()  # type: ignore[attr-defined]
