"""What the doors learn about the other end: counted addresses, read sizes, hang-ups."""

from __future__ import annotations

import socket
import time

import pytest
from twisted.internet.address import IPv4Address, IPv6Address

from chatd.doors.peer import describe, hung_up, limit_reads, origin


@pytest.mark.parametrize(
    "host, counted",
    [
        ("203.0.113.7", "203.0.113.7"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("fe80::1%eth0", "fe80::/64"),
    ],
)
def test_addresses_are_counted_by_host_and_ipv6_by_its_64(host, counted):
    """One IPv6 subscriber has a whole /64, so the per-address limits count the /64."""
    family = IPv6Address if ":" in host else IPv4Address
    assert origin(family("TCP", host, 4000)) == counted


def test_ipv6_peers_are_described_with_brackets():
    """A log line shows [host]:port for IPv6, so the port cannot be read as part of the host."""
    assert describe(IPv6Address("TCP", "::1", 4000)) == "[::1]:4000"


class Transport:
    """A transport over a real socket, as Twisted's TCP transport is."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.bufferSize = 65536

    def getHandle(self) -> socket.socket:
        return self.sock


class TLS:
    """A TLS layer: a wrapper whose ``transport`` is the TCP transport."""

    wrappedProtocol = object()

    def __init__(self, transport: Transport) -> None:
        self.transport = transport


@pytest.fixture
def tcp_pair():
    """Both ends of an established loopback TCP connection."""
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname())
    server, _ = listener.accept()
    listener.close()
    yield server, client
    server.close()
    client.close()


@pytest.mark.parametrize("wrap", [lambda t: t, TLS], ids=["tcp", "tls"])
def test_a_hang_up_is_seen_though_data_before_it_is_unread(tcp_pair, wrap):
    """Lines queued before the peer's FIN do not hide the FIN from the door."""
    server, client = tcp_pair
    transport = wrap(Transport(server))
    client.sendall(b"a line nobody has read\n" * 1000)
    assert not hung_up(transport)
    client.close()
    assert _eventually(lambda: hung_up(transport))


def test_a_transport_without_a_socket_never_looks_hung_up():
    """Test transports and other doors without a TCP socket are simply never judged gone."""
    assert not hung_up(object())


def test_reads_are_limited_on_the_tcp_transport_under_tls(tcp_pair):
    """The read size is set where the socket is read: under the TLS layer."""
    tcp = Transport(tcp_pair[0])
    limit_reads(TLS(tcp), 4098)
    assert tcp.bufferSize == 4098


def _eventually(condition, timeout: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
