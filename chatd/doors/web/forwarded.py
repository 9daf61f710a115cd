"""Who a web request came from behind a reverse proxy, believed only from the proxies named.

Any client can write ``X-Forwarded-For``, so chatd reads it only from the reverse proxies
``--web-trusted-proxy`` names; from anyone else it is ignored, and the TCP peer is who came.
Each proxy appends the address it got the request from.  Read from the right, the first address
that is not a trusted proxy's is the client's (a chain of trusted proxies is walked through, as
nginx's ``real_ip_recursive on`` does); whatever is left of it was written by someone chatd
cannot trust, and is never read.

The client's address then counts for the per-address limits, bans and ``/whois``, as the peer's
does for a direct connection.  ``X-Forwarded-Proto`` from a trusted proxy says whether the
browser used HTTPS, so the page's own origin (``https://`` and the ``Host`` the proxy passes on)
is allowed without ``--web-origin``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IAddress
from twisted.web.http_headers import Headers

from chatd.core.moderation import Network, parse_network

IP = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnreadableForwarding(ValueError):
    """A trusted proxy sent an ``X-Forwarded-For`` entry that is no address."""


@dataclass(frozen=True)
class Forwarded:
    """What a trusted proxy said about a request."""

    #: The client's address; its port is not forwarded, so it is 0.
    client: IPv4Address | IPv6Address
    #: Whether the browser used HTTPS (``X-Forwarded-Proto``); None if the proxy did not say.
    secure: bool | None


class TrustedProxies:
    """The addresses and networks of the reverse proxies whose forwarding headers are believed."""

    def __init__(self, networks: Iterable[str] = ()) -> None:
        """``networks``: addresses (``127.0.0.1``, ``::1``) or networks (``10.0.0.0/8``); raise
        ValueError naming one that is neither."""
        self._networks = tuple(network_of(text) for text in networks)

    def __bool__(self) -> bool:
        return bool(self._networks)

    def trusts(self, ip: IP) -> bool:
        """Whether ``ip`` is a trusted proxy's (an IPv4-mapped IPv6 address as its IPv4 one)."""
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip in network for network in self._networks)

    def forwarded(self, peer: IAddress, headers: Headers) -> Forwarded | None:
        """What the trusted proxy ``peer`` forwarded with ``headers``; None if ``peer`` is not
        trusted or named no client.  Raise :class:`UnreadableForwarding` if it named one that
        cannot be read: the request then counts as the proxy's own."""
        proxy = _ip(getattr(peer, "host", ""))
        if proxy is None or not self.trusts(proxy):
            return None
        hops = [
            hop.strip()
            for value in headers.getRawHeaders(b"x-forwarded-for", [])
            for hop in value.decode("latin-1").split(",")
            if hop.strip()
        ]
        client: IP | None = None
        for hop in reversed(hops):
            client = _ip(_without_port(hop))
            if client is None:
                raise UnreadableForwarding(f"X-Forwarded-For entry {hop[:60]!r} is no address")
            if not self.trusts(client):
                break
        if client is None:
            return None
        kind = IPv4Address if client.version == 4 else IPv6Address
        return Forwarded(kind("TCP", str(client), 0), _secure(headers))


def network_of(text: str) -> Network:
    """The network ``text`` names (an address is a network of one), as a ban's is read;
    ValueError, naming it, if none."""
    network = parse_network(text.strip())
    if network is None:
        raise ValueError(
            f"{text.strip()!r} is not an address or network such as 127.0.0.1 or 10.0.0.0/8"
        )
    return network


def _ip(text: str) -> IP | None:
    try:
        return ipaddress.ip_address(text.partition("%")[0])
    except ValueError:
        return None


def _without_port(hop: str) -> str:
    """``hop`` without a port some proxies add: ``[2001:db8::1]:443``, ``192.0.2.1:443``."""
    if hop.startswith("["):
        return hop[1:].partition("]")[0]
    if hop.count(":") == 1:
        return hop.partition(":")[0]
    return hop


def _secure(headers: Headers) -> bool | None:
    """What the nearest proxy's ``X-Forwarded-Proto`` says, if it says ``https`` or ``http``."""
    values = [
        part.strip().lower()
        for value in headers.getRawHeaders(b"x-forwarded-proto", [])
        for part in value.decode("latin-1").split(",")
    ]
    if values and values[-1] in ("https", "http"):
        return values[-1] == "https"
    return None
