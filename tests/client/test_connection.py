"""Endpoints for a server address, and connection failures told in one line."""

from __future__ import annotations

import pytest
import pytest_twisted
from OpenSSL import SSL
from service_identity import CertificateError, VerificationError
from tls_files import make_tls_files
from twisted.internet import defer, error, ssl
from twisted.internet.endpoints import HostnameEndpoint, connectProtocol
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.testing import MemoryReactorClock
from twisted.python.failure import Failure

from chatd.client.connection import (
    ServerAddress,
    cannot_connect,
    client_endpoint,
    describe_failure,
    is_tls_failure,
)


def failure(exception: Exception) -> Failure:
    return Failure(exception)


def test_address_text():
    """An address reads host:port, with brackets around an IPv6 host."""
    assert str(ServerAddress("127.0.0.1", 33000)) == "127.0.0.1:33000"
    assert str(ServerAddress("::1", 4000)) == "[::1]:4000"


@pytest.mark.parametrize("host", ["[::1]", "::1"])
def test_a_bracketed_ipv6_host_is_the_address_inside(host):
    """``[::1]``, as people write it next to a port, is the host ::1, not double-bracketed."""
    address = ServerAddress(host, 4000)
    assert address.host == "::1"
    assert str(address) == "[::1]:4000"


def test_brackets_around_anything_but_an_ipv6_address_stay():
    """Only an IPv6 literal loses its brackets; anything else is left for the lookup to refuse."""
    assert ServerAddress("[example.org]", 4000).host == "[example.org]"


def test_plain_tcp_uses_a_hostname_endpoint():
    """Without TLS the endpoint is a HostnameEndpoint, which handles names, IPv4 and IPv6."""
    endpoint = client_endpoint(MemoryReactorClock(), ServerAddress("localhost", 4000))
    assert isinstance(endpoint, HostnameEndpoint)


@pytest.mark.parametrize(
    "address",
    [
        ServerAddress("localhost", 4000, tls=True),
        ServerAddress("localhost", 4000, tls=True, insecure=True),
    ],
    ids=["verified", "insecure"],
)
def test_tls_wraps_the_tcp_endpoint(address):
    """With TLS the HostnameEndpoint is wrapped, not replaced."""
    endpoint = client_endpoint(MemoryReactorClock(), address)
    assert not isinstance(endpoint, HostnameEndpoint)
    assert isinstance(endpoint._wrappedEndpoint, HostnameEndpoint)


class Greeted(Protocol):
    """A client that records the first bytes the server sends, or why the connection ended."""

    def __init__(self) -> None:
        self.done: defer.Deferred[bytes] = defer.Deferred()

    def dataReceived(self, data: bytes) -> None:
        if not self.done.called:
            self.done.callback(data)
            self.transport.loseConnection()

    def connectionLost(self, reason: Failure) -> None:
        if not self.done.called:
            self.done.errback(reason)


class Greeter(Protocol):
    def connectionMade(self) -> None:
        self.transport.write(b"hello\r\n")


@pytest_twisted.ensureDeferred
async def test_tls_with_a_ca_file_trusts_that_certificate_and_no_other(tls_files, tmp_path):
    """--ca makes the endpoint trust the given certificate, and only it: another is refused."""
    from twisted.internet import reactor

    server_tls = ssl.DefaultOpenSSLContextFactory(str(tls_files.key), str(tls_files.cert))
    port = reactor.listenSSL(0, Factory.forProtocol(Greeter), server_tls, interface="127.0.0.1")
    try:
        number = port.getHost().port
        trusted = ServerAddress("localhost", number, tls=True, ca_pem=tls_files.cert.read_bytes())
        greeted = Greeted()
        await connectProtocol(client_endpoint(reactor, trusted), greeted)
        assert await greeted.done.addTimeout(5, reactor) == b"hello\r\n"

        stranger = make_tls_files(tmp_path).cert.read_bytes()
        untrusted = ServerAddress("localhost", number, tls=True, ca_pem=stranger)
        refused = Greeted()
        await connectProtocol(client_endpoint(reactor, untrusted), refused)
        with pytest.raises(SSL.Error):
            await refused.done.addTimeout(5, reactor)
    finally:
        await port.stopListening()


ADDRESS = ServerAddress("127.0.0.1", 33000)


@pytest.mark.parametrize(
    ("problem", "reason"),
    [
        (error.ConnectionRefusedError(), "connection refused"),
        (error.DNSLookupError("no results"), "unknown host 127.0.0.1"),
        (error.TimeoutError(), "timed out"),
        (
            SSL.Error([("SSL routines", "", "certificate verify failed")]),
            "TLS handshake failed: certificate verify failed",
        ),
        (
            SSL.Error([("SSL routines", "", "wrong version number")]),
            "TLS handshake failed: wrong version number",
        ),
        (
            VerificationError(errors=["mismatch"]),
            "TLS handshake failed: the server's certificate is not valid for 127.0.0.1",
        ),
        (
            CertificateError("Certificate does not contain any `subjectAltName`s."),
            "TLS handshake failed: the server's certificate names no host (no subjectAltName)",
        ),
    ],
)
def test_failures_in_one_line(problem, reason):
    """Each way of failing to connect is one line naming the server and the real reason."""
    assert describe_failure(ADDRESS, failure(problem)) == (
        f"chatd-client: cannot connect to 127.0.0.1:33000: {reason}"
    )


def test_unknown_failures_still_make_one_line():
    """A failure nobody foresaw is still one line, with its own message."""
    text = describe_failure(ADDRESS, failure(error.NoRouteError()))
    assert text.startswith("chatd-client: cannot connect to 127.0.0.1:33000: ")
    assert "\n" not in text


def test_cannot_connect_is_the_same_words_without_the_program_name():
    """A face other than chatd-client (the GUI) gets the same reason without the prefix."""
    problem = failure(error.ConnectionRefusedError())
    words = "cannot connect to 127.0.0.1:33000: connection refused"
    assert cannot_connect(ADDRESS, problem) == words
    assert describe_failure(ADDRESS, problem) == f"chatd-client: {cannot_connect(ADDRESS, problem)}"


def test_is_tls_failure():
    """TLS handshake and certificate name failures count as TLS; a dropped connection does not."""
    assert is_tls_failure(failure(SSL.Error([])))
    assert is_tls_failure(failure(VerificationError(errors=[])))
    assert is_tls_failure(failure(CertificateError()))
    assert not is_tls_failure(failure(error.ConnectionLost()))
