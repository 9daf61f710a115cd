"""The PROXY protocol in front of a listener: who came, as the TCP balancer says before any byte.

``--listen haproxy:tcp:33000`` (Twisted's endpoint syntax) listens for a balancer such as HAProxy
(``send-proxy`` or ``send-proxy-v2``) or a cloud load balancer: each connection starts with a
header, text (v1) or binary (v2), that names the address the balancer was connected from.

Twisted's own ``haproxy:`` wrapper connects the protocol it wraps at once and reads the header
afterwards, so the door would admit every user as the balancer's address (limits and bans see the
balancer) while later log lines named the user.  This wrapper reads the header first and only
then connects the door, whose peer is the header's source from the start.  A connection that
sends no valid header within :data:`HEADER_SECONDS` never reaches the door: it is closed, and
logged at most once per address per window.  The balancer's health checks (v1 ``UNKNOWN``, v2
``LOCAL``) connect as the balancer itself.

Every connection on such a listener is believed, so it must be reachable from the balancer only;
TLS, if any, is ended by the balancer, as the header comes before it.
"""

from __future__ import annotations

import ipaddress
import struct
from typing import Any

from twisted.internet import endpoints
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import (
    IAddress,
    IListeningPort,
    IProtocolFactory,
    IStreamServerEndpoint,
    ITransport,
)
from twisted.internet.protocol import Protocol, connectionDone
from twisted.logger import Logger
from twisted.protocols.policies import ProtocolWrapper, WrappingFactory
from twisted.python.failure import Failure
from zope.interface import directlyProvides, implementer, providedBy

from chatd.core.clock import Clock, Timer
from chatd.core.logquota import LogQuota
from chatd.doors.peer import host

#: Seconds a connection has to send its whole header before it is closed.
HEADER_SECONDS = 5.0
#: The v1 header's most bytes, its CRLF included (the protocol's own limit).
V1_MOST = 107
V1_START = b"PROXY "
V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


class BadHeader(ValueError):
    """What a connection sent is no PROXY protocol header."""


def read_header(data: bytes) -> tuple[IAddress | None, int] | None:
    """The source a complete header at the start of ``data`` names (None: the balancer's own
    connection), and the header's length; None while the header is incomplete.  Raise
    :class:`BadHeader` if ``data`` does not start with one."""
    if data.startswith(V2_SIGNATURE):
        return _v2(data)
    if data.startswith(V1_START):
        return _v1(data)
    if V2_SIGNATURE.startswith(data[:12]) or V1_START.startswith(data[:6]):
        return None
    raise BadHeader("no PROXY protocol header")


def _v1(data: bytes) -> tuple[IAddress | None, int] | None:
    end = data.find(b"\r\n", 0, V1_MOST)
    if end < 0:
        if len(data) >= V1_MOST:
            raise BadHeader(f"a v1 header has no CRLF within {V1_MOST} bytes")
        return None
    fields = data[:end].decode("ascii", "replace").split(" ")
    if len(fields) >= 2 and fields[1] == "UNKNOWN":
        return None, end + 2
    if len(fields) != 6 or fields[1] not in ("TCP4", "TCP6"):
        raise BadHeader("a v1 header is PROXY TCP4|TCP6 SOURCE DESTINATION SPORT DPORT")
    source = _address(fields[2], fields[4], 4 if fields[1] == "TCP4" else 6)
    _address(fields[3], fields[5], 4 if fields[1] == "TCP4" else 6)
    return source, end + 2


def _address(text: str, port_text: str, version: int) -> IAddress:
    try:
        ip = ipaddress.ip_address(text)
        port = int(port_text, 10)
    except ValueError:
        raise BadHeader(f"a v1 header's address {text[:45]!r} or port is not one") from None
    if ip.version != version or not 0 <= port <= 65535 or port_text != str(port):
        raise BadHeader(f"a v1 header's address {text[:45]!r} or port is not one")
    return (IPv4Address if version == 4 else IPv6Address)("TCP", str(ip), port)


def _v2(data: bytes) -> tuple[IAddress | None, int] | None:
    if len(data) < 16:
        return None
    command, family, length = data[12], data[13], struct.unpack("!H", data[14:16])[0]
    if command >> 4 != 2 or command & 0x0F not in (0, 1):
        raise BadHeader("a v2 header's version is not 2 or its command is unknown")
    size = 16 + length
    if len(data) < size:
        return None
    if command & 0x0F == 0:  # LOCAL: the balancer's own connection (a health check)
        return None, size
    layout = {0x11: ("!4s4sHH", 4), 0x21: ("!16s16sHH", 6)}.get(family)
    if layout is None:  # UNSPEC, UNIX or a datagram: nothing a TCP address can say
        return None, size
    shape, version = layout
    if length < struct.calcsize(shape):
        raise BadHeader("a v2 header is too short for its addresses")
    source, _destination, port, _port = struct.unpack_from(shape, data, 16)
    ip = ipaddress.ip_address(source)
    return (IPv4Address if version == 4 else IPv6Address)("TCP", str(ip), port), size


class HeaderFirst(ProtocolWrapper):
    """A connection on a PROXY listener: the header first, then the door, with its source.

    The door's protocol is built only then (``wrappedProtocol`` is None until): a door counts
    its connections from when they are built, and one that never connects would never go.
    """

    factory: HeaderFirstFactory

    def __init__(self, factory: HeaderFirstFactory) -> None:
        super().__init__(factory, None)  # type: ignore[arg-type]  # the door comes with the header
        self._received = b""
        self._source: IAddress | None = None
        self._door_connected = False
        self._deadline: Timer | None = None

    def makeConnection(self, transport: ITransport) -> None:
        # Not ProtocolWrapper's, which connects the door at once: that waits for the header.
        directlyProvides(self, providedBy(transport))
        Protocol.makeConnection(self, transport)
        self.factory.registerProtocol(self)
        self._deadline = self.factory.clock.callLater(HEADER_SECONDS, self._no_header)

    def dataReceived(self, data: bytes) -> None:
        if self._door_connected:
            self.wrappedProtocol.dataReceived(data)
            return
        self._received += data
        try:
            header = read_header(self._received)
        except BadHeader as refusal:
            self._refuse(str(refusal))
            return
        if header is None:
            return
        self._source, size = header
        rest, self._received = self._received[size:], b""
        self._stop_waiting()
        door = self.factory.wrappedFactory.buildProtocol(self.getPeer())
        if door is None:  # the door's factory takes no more connections
            self.transport.abortConnection()  # type: ignore[union-attr]  # TCP's
            return
        self.wrappedProtocol, self._door_connected = door, True
        # This wrapper is the door's transport, as ProtocolWrapper is its protocol's.
        self.wrappedProtocol.makeConnection(self)  # type: ignore[arg-type]
        if rest:
            self.wrappedProtocol.dataReceived(rest)

    def logPrefix(self) -> str:
        if self._door_connected:
            return str(super().logPrefix())
        return "PROXY header"

    def getPeer(self) -> IAddress:
        if self._source is not None:
            return self._source
        assert self.transport is not None
        return self.transport.getPeer()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self._stop_waiting()
        self.factory.unregisterProtocol(self)
        if self._door_connected:
            self.wrappedProtocol.connectionLost(reason)

    def _no_header(self) -> None:
        self._deadline = None
        self._refuse(f"no whole PROXY protocol header within {HEADER_SECONDS:g} s")

    def _refuse(self, why: str) -> None:
        self._stop_waiting()
        self.factory.refused(self.transport.getPeer() if self.transport else None, why)
        if self.transport is not None:
            self.transport.abortConnection()  # type: ignore[attr-defined]  # TCP's

    def _stop_waiting(self) -> None:
        if self._deadline is not None and self._deadline.active():
            self._deadline.cancel()
        self._deadline = None


class HeaderFirstFactory(WrappingFactory[HeaderFirst]):
    """Wraps a door's factory: each connection reads its PROXY header before the door sees it."""

    log = Logger()

    def __init__(self, wrappedFactory: IProtocolFactory, clock: Clock) -> None:
        super().__init__(wrappedFactory)
        self.clock = clock
        self._refusals_logged = LogQuota(clock, "connections without a PROXY header")

    def logPrefix(self) -> str:
        return f"{self.wrappedFactory.__class__.__name__} (PROXY)"

    def buildProtocol(self, addr: IAddress | None) -> HeaderFirst:
        return HeaderFirst(self)  # the door is built once the header is read

    def stopFactory(self) -> None:
        self._refusals_logged.stop()  # say now what was held back, rather than never

    def refused(self, peer: IAddress | None, why: str) -> None:
        """A connection sent no valid header: say so, at most once per address per window."""
        address = host(peer) if peer is not None else None
        if self._refusals_logged.allow(address):
            self.log.warn("closed {peer} before the chat: {why}", peer=address, why=why)


@implementer(IStreamServerEndpoint)
class HeaderFirstEndpoint:
    """A server endpoint whose connections start with a PROXY header (``haproxy:...``)."""

    def __init__(self, wrapped: IStreamServerEndpoint, clock: Clock) -> None:
        self._wrapped = wrapped
        self._clock = clock

    def listen(self, protocolFactory: IProtocolFactory) -> Deferred[IListeningPort]:
        """Listen with ``protocolFactory``'s connections behind their headers."""
        return self._wrapped.listen(HeaderFirstFactory(protocolFactory, self._clock))


def server_endpoint(reactor: Any, description: str) -> IStreamServerEndpoint:
    """The endpoint ``description`` names, a ``haproxy:`` one as a :class:`HeaderFirstEndpoint`
    (Twisted's would connect the door before the header is read)."""
    kind, _, wrapped = description.partition(":")
    if kind.strip().lower() == "haproxy":
        return HeaderFirstEndpoint(endpoints.serverFromString(reactor, wrapped), reactor)
    return endpoints.serverFromString(reactor, description)
