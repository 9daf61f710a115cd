"""Where the client connects and how: the endpoint for a server address, and what went wrong.

TCP goes through :class:`~twisted.internet.endpoints.HostnameEndpoint` (names, IPv4 and IPv6,
tried the way browsers do); TLS wraps that endpoint with :func:`wrapClientTLS`, verifying the
server's certificate against the platform's trust store, a ``--ca`` certificate, or, with
``--insecure``, not at all.  Failures become one line a person can act on, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass

from OpenSSL import SSL, crypto
from service_identity import CertificateError, VerificationError
from service_identity.hazmat import DNS_ID, IPAddress_ID, verify_service_identity
from service_identity.pyopenssl import extract_patterns
from twisted.internet import error, ssl
from twisted.internet.abstract import isIPAddress, isIPv6Address
from twisted.internet.endpoints import HostnameEndpoint, wrapClientTLS
from twisted.internet.interfaces import IOpenSSLClientConnectionCreator, IStreamClientEndpoint
from twisted.protocols.tls import TLSMemoryBIOProtocol
from twisted.python.failure import Failure
from zope.interface import implementer

__all__ = [
    "ServerAddress",
    "cannot_connect",
    "client_endpoint",
    "describe_failure",
    "is_tls_failure",
]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 33000
#: How long a TCP connection attempt may take before it counts as failed.
CONNECT_TIMEOUT = 30


@dataclass(frozen=True)
class ServerAddress:
    """The server to connect to, and how to trust it when TLS is on."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    tls: bool = False
    #: PEM text of the certificate authority (or self-signed certificate) to trust, if not the
    #: platform's.
    ca_pem: bytes | None = None
    #: Skip certificate verification entirely.
    insecure: bool = False

    def __post_init__(self) -> None:
        # "[::1]" is how people write an IPv6 address next to a port (and how we print one);
        # the host is the address inside, or it would be bracketed twice and never resolve.
        inside = self.host[1:-1] if self.host.startswith("[") and self.host.endswith("]") else ""
        if isIPv6Address(inside):
            object.__setattr__(self, "host", inside)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def client_endpoint(reactor, address: ServerAddress) -> IStreamClientEndpoint:
    """The endpoint that connects to ``address``, through TLS when asked for."""
    tcp = HostnameEndpoint(reactor, address.host, address.port, timeout=CONNECT_TIMEOUT)
    if not address.tls:
        return tcp
    if address.insecure:
        return wrapClientTLS(ssl.CertificateOptions(), tcp)
    trust = ssl.Certificate.loadPEM(address.ca_pem) if address.ca_pem else None
    return wrapClientTLS(StrictNameCheck(address.host, trust), tcp)


@implementer(IOpenSSLClientConnectionCreator)
class StrictNameCheck:
    """:func:`~twisted.internet.ssl.optionsForClientTLS`, failing closed on every name problem.

    Twisted 26.10's own check expects service_identity to raise only ``VerificationError``; a
    certificate with no subjectAltName at all raises ``CertificateError`` instead, which Twisted
    logs (a traceback on standard error) before letting the connection through with the name
    unchecked.  This replaces that check with the same one, failing on both errors.
    """

    def __init__(self, hostname: str, trust_root: ssl.Certificate | None = None) -> None:
        self._creator = ssl.optionsForClientTLS(hostname, trustRoot=trust_root)
        literal = isIPAddress(hostname) or isIPv6Address(hostname)
        self._service = IPAddress_ID(hostname) if literal else DNS_ID(hostname)

    def clientConnectionForTLS(self, tlsProtocol: TLSMemoryBIOProtocol) -> SSL.Connection:
        connection = self._creator.clientConnectionForTLS(tlsProtocol)
        service = self._service
        failed: list[Failure] = []

        def verify(conn: SSL.Connection, cert: crypto.X509, err: int, depth: int, ok: int) -> bool:
            if depth != 0 or not ok:
                return bool(ok)  # the chain is OpenSSL's business; names are checked on the leaf
            if not failed:
                try:
                    verify_service_identity(extract_patterns(cert), [service], [])
                except (VerificationError, CertificateError):
                    failed.append(Failure())
                    tlsProtocol.failVerification(failed[0])
            return not failed

        connection.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT, verify)
        return connection


def is_tls_failure(failure: Failure) -> bool:
    """Whether ``failure`` comes from TLS: a failed handshake or a certificate for another name."""
    return failure.check(SSL.Error, VerificationError, CertificateError) is not None


def describe_failure(address: ServerAddress, failure: Failure) -> str:
    """One line saying why connecting to ``address`` failed, for chatd-client's standard error."""
    return f"chatd-client: {cannot_connect(address, failure)}"


def cannot_connect(address: ServerAddress, failure: Failure) -> str:
    """Why connecting to ``address`` failed, in words any face can show: ``cannot connect ...``."""
    return f"cannot connect to {address}: {_reason(address, failure)}"


def _reason(address: ServerAddress, failure: Failure) -> str:
    if failure.check(error.ConnectionRefusedError):
        return "connection refused"
    if failure.check(error.DNSLookupError):
        return f"unknown host {address.host}"
    if failure.check(error.TimeoutError):
        return "timed out"
    if failure.check(VerificationError):
        return f"TLS handshake failed: the server's certificate is not valid for {address.host}"
    if failure.check(CertificateError):
        return "TLS handshake failed: the server's certificate names no host (no subjectAltName)"
    if failure.check(SSL.Error):
        return f"TLS handshake failed: {_openssl_reason(failure.value)}"
    return failure.getErrorMessage()


def _openssl_reason(problem: SSL.Error) -> str:
    """OpenSSL's own words (``certificate verify failed``) out of its list of error tuples."""
    details = problem.args[0] if problem.args else None
    if isinstance(details, list):
        reasons = [entry[-1] for entry in details if isinstance(entry, tuple) and entry[-1]]
        if reasons:
            return "; ".join(dict.fromkeys(reasons))
    return str(problem) or "the connection closed during the handshake"
