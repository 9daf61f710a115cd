"""What a door can learn about the other end of a connection, beyond the bytes it sends.

Its address, in the form the hub counts per-address limits by and the form logs show; the socket
under the transport; and whether the peer has hung up while chatd was not reading from it.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Protocol

from twisted.internet.address import IPv6Address
from twisted.internet.interfaces import IAddress, IProducer

#: Linux's TCP states that mean the peer has gone: its FIN arrived (CLOSE_WAIT), or its RST did
#: (CLOSE).  ``tcpi_state`` is the first byte of ``struct tcp_info``.
_PEER_GONE_STATES = frozenset({7, 8})


class Transport(Protocol):
    """What the doors use of a connection's transport: TCP's, or the TLS layer over it.

    No one Twisted interface has it all (``disconnecting`` is in none), so it is spelled out.
    """

    disconnecting: bool

    def getPeer(self) -> IAddress: ...

    def write(self, data: bytes) -> None: ...

    def writeSequence(self, data: Iterable[bytes]) -> None: ...

    def loseConnection(self) -> None: ...

    def abortConnection(self) -> None: ...

    def registerProducer(self, producer: IProducer, streaming: bool) -> None: ...

    def unregisterProducer(self) -> None: ...


class Departed:
    """The transport of a connection that is gone: it remembers the peer, and writes nothing.

    Doors and outboxes put it in place of the real transport once the connection is lost.  They
    and their session refer to each other, so they live on until a garbage collection finds the
    cycle; the real transport, and whatever output it still held for a reader that had stopped
    reading (up to ``--max-send-buffer`` and more), is then freed at once instead of with them.
    """

    disconnecting = True

    def __init__(self, peer: IAddress) -> None:
        self._peer = peer

    def getPeer(self) -> IAddress:
        return self._peer

    def write(self, data: bytes) -> None:
        pass

    def writeSequence(self, data: Iterable[bytes]) -> None:
        pass

    def loseConnection(self) -> None:
        pass

    def abortConnection(self) -> None:
        pass

    def registerProducer(self, producer: IProducer, streaming: bool) -> None:
        pass

    def unregisterProducer(self) -> None:
        pass


def origin(address: IAddress) -> str | None:
    """The host a connection came from, as per-address limits count it.

    IPv4-mapped IPv6 addresses count as the IPv4 address.  Other IPv6 addresses count by their
    /64: one subscriber is routinely given a whole /64, so counting single addresses would let
    one person hold every slot.
    """
    host = getattr(address, "host", None)
    if not isinstance(host, str):
        return None
    if ":" not in host:
        return host
    try:
        ip = ipaddress.IPv6Address(host.partition("%")[0])
    except ValueError:
        return host
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.IPv6Network((ip, 64), strict=False))


def host(address: IAddress) -> str | None:
    """The peer's own address, for bans and operators' ``/whois`` (not counted by /64);
    an IPv4-mapped IPv6 address as the IPv4 address."""
    found = getattr(address, "host", None)
    if not isinstance(found, str):
        return None
    try:
        ip = ipaddress.ip_address(found.partition("%")[0])
    except ValueError:
        return found
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


def describe(address: IAddress) -> str:
    """A short, log-friendly form of a peer address."""
    host, port = getattr(address, "host", None), getattr(address, "port", None)
    if host is None or port is None:
        return str(address)
    if isinstance(address, IPv6Address):
        return f"[{host}]:{port}"
    return f"{host}:{port}"


def lowest_transport(transport: Transport) -> Transport:
    """The transport that reads the socket: under TLS, the TCP transport the TLS layer wraps."""
    while getattr(transport, "wrappedProtocol", None) is not None:
        transport = transport.transport  # type: ignore[attr-defined]  # what TLS wraps
    return transport


def limit_reads(transport: Transport, size: int) -> None:
    """Read at most ``size`` bytes from the socket at a time.

    Twisted reads 64 KiB at a time; while flood control pauses a connection, what was read but
    not yet handled waits in memory, so the read size is what a paused connection parks.
    """
    lower = lowest_transport(transport)
    if hasattr(lower, "bufferSize"):
        lower.bufferSize = size


def hung_up(transport: Transport) -> bool:
    """Whether the peer has closed the connection, even if chatd has not read up to its FIN.

    A connection that chatd stops reading from (flood control) would otherwise only learn of a
    hang-up once it reads again, after everything the peer sent before it.
    """
    lower = lowest_transport(transport)
    handle = getattr(lower, "getHandle", lambda: None)()
    if not isinstance(handle, socket.socket) or not hasattr(socket, "TCP_INFO"):
        return False
    try:
        info = handle.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)
    except OSError:
        return False
    return info[0] in _PEER_GONE_STATES
