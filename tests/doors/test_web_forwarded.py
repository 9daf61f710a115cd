"""Behind a reverse proxy: X-Forwarded-For and X-Forwarded-Proto, believed from trusted proxies
only, and what they change (limits, bans' addresses, /whois, the origin check, the log)."""

from __future__ import annotations

import pytest
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.web.http_headers import Headers
from websocket_peer import Rejected

from chatd.core.store import Ban, MemoryStore
from chatd.doors.web.forwarded import TrustedProxies, UnreadableForwarding, network_of

PROXY = "127.0.0.1"


def forwarded(trusted, peer, **headers):
    raw = Headers({name.replace("_", "-"): values for name, values in headers.items()})
    kind = IPv6Address if ":" in peer else IPv4Address
    return TrustedProxies(trusted).forwarded(kind("TCP", peer, 40000), raw)


def client_of(trusted, peer, *values):
    found = forwarded(trusted, peer, x_forwarded_for=list(values))
    return None if found is None else found.client.host


@pytest.mark.parametrize(
    "trusted, peer, values, client",
    [
        # Not from a trusted proxy: whatever it says is ignored.
        ([], PROXY, ["203.0.113.5"], None),
        (["10.0.0.0/8"], PROXY, ["203.0.113.5"], None),
        (["127.0.0.1"], "198.51.100.1", ["203.0.113.5"], None),
        # From one: the address it appended.
        ([PROXY], PROXY, ["203.0.113.5"], "203.0.113.5"),
        ([PROXY], "::ffff:127.0.0.1", ["203.0.113.5"], "203.0.113.5"),
        (["::1"], "::1", ["2001:db8::7"], "2001:db8::7"),
        # What a client wrote before the proxy appended is never read.
        ([PROXY], PROXY, ["6.6.6.6, 203.0.113.5"], "203.0.113.5"),
        ([PROXY], PROXY, ["not an address, 203.0.113.5"], "203.0.113.5"),
        ([PROXY], PROXY, ["6.6.6.6", "203.0.113.5"], "203.0.113.5"),  # two header lines
        # A chain of trusted proxies is walked through, right to left.
        ([PROXY, "10.0.0.0/8"], PROXY, ["6.6.6.6, 203.0.113.5, 10.1.2.3"], "203.0.113.5"),
        ([PROXY, "10.0.0.0/8"], PROXY, ["10.9.9.9, 10.1.2.3"], "10.9.9.9"),  # all trusted
        # Ports some proxies add.
        ([PROXY], PROXY, ["203.0.113.5:41234"], "203.0.113.5"),
        ([PROXY], PROXY, ["[2001:db8::7]:443"], "2001:db8::7"),
        # A trusted proxy that forwards nobody.
        ([PROXY], PROXY, [], None),
        ([PROXY], PROXY, [" , "], None),
    ],
)
def test_the_client_is_the_first_untrusted_address_from_the_right(trusted, peer, values, client):
    """Only a trusted proxy is believed, and only the right end of what it forwards."""
    assert client_of(trusted, peer, *values) == client


@pytest.mark.parametrize("value", ["unknown", "203.0.113.5, evil", "999.1.2.3", "_hidden"])
def test_an_entry_a_trusted_proxy_wrote_that_is_no_address_is_refused(value):
    """An entry the trusted proxy wrote that is no address is an error, not a guess."""
    with pytest.raises(UnreadableForwarding, match="is no address"):
        client_of([PROXY], PROXY, value)


@pytest.mark.parametrize(
    "values, secure",
    [
        ([], None),
        (["https"], True),
        (["HTTPS"], True),
        (["http"], False),
        (["gopher"], None),
        (["http, https"], True),  # the nearest proxy's word counts
        (["https", "http"], False),
    ],
)
def test_x_forwarded_proto_says_whether_the_browser_used_https(values, secure):
    """The nearest proxy's https or http counts; anything else says nothing."""
    found = forwarded([PROXY], PROXY, x_forwarded_for=["203.0.113.5"], x_forwarded_proto=values)
    assert found is not None and found.secure is secure


@pytest.mark.parametrize("text", ["10.0.0.0/33", "example.org", "", "10.0.0.0/8/8"])
def test_a_trusted_proxy_must_be_an_address_or_a_network(text):
    """A name or a malformed network is refused with the value named."""
    with pytest.raises(ValueError, match="is not an address or network"):
        network_of(text)


def trusting(chat, *networks: str):
    chat.site.proxies = TrustedProxies(networks or (PROXY,))
    return chat


def via_proxy(chat, client: str | None, *more: tuple[str, str]):
    headers = [("X-Forwarded-For", client)] if client is not None else []
    return chat.connect_web(headers=[*headers, *more])


def test_per_address_limits_count_the_forwarded_client(make_chat):
    """Behind a trusted proxy each browser counts as itself, not all as the proxy."""
    chat = trusting(make_chat(max_per_address=1))
    first, second = via_proxy(chat, "203.0.113.5"), via_proxy(chat, "203.0.113.6")
    assert first.take()[0]["type"] == "hello" and second.take()[0]["type"] == "hello"
    again = via_proxy(chat, "203.0.113.5")
    assert again.take()[1]["code"] == "too_many_connections"
    assert again.closing


def test_an_untrusted_peers_x_forwarded_for_is_ignored(make_chat):
    """Anyone can write the header: from a peer that is no trusted proxy it changes nothing."""
    chat = make_chat(max_per_address=1)
    first = via_proxy(chat, "203.0.113.5")
    second = via_proxy(chat, "203.0.113.6")
    assert first.take()[0]["type"] == "hello"
    assert second.take()[1]["code"] == "too_many_connections"
    trusting(chat, "10.0.0.0/8")  # the peer, 127.0.0.1, is still not one of them
    assert via_proxy(chat, "203.0.113.7").take()[1]["code"] == "too_many_connections"


def test_the_forwarded_client_is_the_users_address_and_in_the_log(chat, log_capture):
    """Bans, /whois and the log name the client, and the log says which proxy brought it."""
    trusting(chat)
    web = via_proxy(chat, "6.6.6.6, 203.0.113.5")
    web.send({"type": "name", "name": "ann"})
    assert {"type": "welcome", "name": "ann"} in web.take()
    session = chat.hub.find_user("ann")
    assert session is not None and (session.address, session.origin) == (
        "203.0.113.5",
        "203.0.113.5",
    )
    logged = log_capture.formatted()
    assert "connection from web 203.0.113.5 via 127.0.0.1:50000" in logged
    assert "ann joined from web 203.0.113.5 via 127.0.0.1:50000" in logged


def test_a_banned_client_behind_the_proxy_is_refused_and_others_are_not(make_chat):
    """An address ban applies to the client a trusted proxy names, not to the proxy."""
    store = MemoryStore()
    store.put_ban(Ban("203.0.113.0/24", "203.0.113.0/24", "olga", 0.0))
    chat = trusting(make_chat(store=store))
    assert via_proxy(chat, "203.0.113.5").take()[1]["code"] == "banned"
    assert via_proxy(chat, "198.51.100.2").take()[0]["type"] == "hello"


def test_a_trusted_proxys_unreadable_header_counts_as_the_proxy_and_is_logged_once(
    make_chat, log_capture
):
    """The connection goes on as the proxy's own; the operator hears of it, not once per
    request."""
    chat = trusting(make_chat())
    for _ in range(3):
        web = via_proxy(chat, "unknown")
        name = f"u{len(chat.web_wires)}"
        web.send({"type": "name", "name": name})
        assert {"type": "welcome", "name": name} in web.take()
    assert chat.hub.find_user("u1").address == PROXY
    warnings = [line for line in log_capture.formatted() if "unreadable X-Forwarded-For" in line]
    assert warnings == [
        "trusted proxy 127.0.0.1 sent an unreadable X-Forwarded-For (X-Forwarded-For entry "
        "'unknown' is no address): counting the request as the proxy's"
    ]


def test_a_long_forged_chain_costs_nothing_and_names_the_client(chat, log_capture):
    """A client may send thousands of entries for the proxy to append to: only the right end
    is read."""
    trusting(chat)
    web = via_proxy(chat, "6.6.6.6, " * 1500 + "203.0.113.5")
    web.send({"type": "name", "name": "ann"})
    assert {"type": "welcome", "name": "ann"} in web.take()
    assert chat.hub.find_user("ann").address == "203.0.113.5"


def test_what_the_log_held_back_is_said_when_the_site_stops(make_chat, log_capture):
    """Unreadable headers the quota held back are counted in the log when the site stops."""
    chat = trusting(make_chat())
    chat.site.doStart()
    for _ in range(3):
        via_proxy(chat, "unknown")
    chat.site.doStop()
    held = [line for line in log_capture.formatted() if "X-Forwarded-For headers" in line]
    assert held == [
        "2 more unreadable X-Forwarded-For headers from 127.0.0.1 in the last 10 s"
        " (not logged one by one)"
    ]


@pytest.mark.parametrize(
    "trusted, proto, allowed",
    [
        (True, "https", True),  # the proxy ended TLS: the page's origin is https://chat.test
        (True, None, False),  # it did not say: the connection chatd sees is plain http
        (False, "https", False),  # anyone could have said it
    ],
)
def test_x_forwarded_proto_makes_the_pages_https_origin_its_own(chat, trusted, proto, allowed):
    """Behind a trusted proxy that ends TLS the page's https origin is its own; otherwise 403."""
    if trusted:
        trusting(chat)
    more = [("X-Forwarded-Proto", proto)] if proto is not None else []
    web = chat.connect_web(
        origin="https://chat.test", headers=[("X-Forwarded-For", "203.0.113.5"), *more]
    )
    if allowed:
        assert web.take()[0]["type"] == "hello"
    else:
        assert isinstance(web.rejected, Rejected) and web.rejected.status == 403
