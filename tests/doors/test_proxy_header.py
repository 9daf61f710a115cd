"""The PROXY protocol in front of the line door: the header is read before the door sees the
connection, so the user is admitted, limited and banned as the address the balancer names;
anything else is closed before the chat, and logged."""

from __future__ import annotations

import socket
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.testing import StringTransport
from websocket_peer import WebSocketPeer

from chatd.core.store import Ban, MemoryStore
from chatd.doors.proxyheader import (
    HEADER_SECONDS,
    V2_SIGNATURE,
    BadHeader,
    HeaderFirstFactory,
    read_header,
)
from tests.doors.conftest import split_lines

BALANCER = IPv4Address("TCP", "10.0.0.2", 41000)
PROMPT = "* Please enter a username:"


def v1(source: str = "203.0.113.5", port: int = 5555, family: str = "TCP4") -> bytes:
    destination = "10.0.0.1" if family == "TCP4" else "2001:db8::1"
    return f"PROXY {family} {source} {destination} {port} 33000\r\n".encode()


def v2(command: int = 0x21, family: int = 0x11, body: bytes | None = None) -> bytes:
    if body is None:
        body = (
            socket.inet_aton("203.0.113.5") + socket.inet_aton("10.0.0.1")
            + struct.pack("!HH", 5555, 33000)
        )  # fmt: skip
    return V2_SIGNATURE + bytes([command, family]) + struct.pack("!H", len(body)) + body


V6_BODY = (
    socket.inet_pton(socket.AF_INET6, "2001:db8::7") + socket.inet_pton(socket.AF_INET6, "::1")
    + struct.pack("!HH", 6000, 33000)
)  # fmt: skip


@pytest.mark.parametrize(
    "data, source",
    [
        (v1(), IPv4Address("TCP", "203.0.113.5", 5555)),
        (v1("2001:db8::7", 6000, "TCP6"), IPv6Address("TCP", "2001:db8::7", 6000)),
        (b"PROXY UNKNOWN\r\n", None),  # a health check: the balancer's own connection
        (b"PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n", None),
        (v2(), IPv4Address("TCP", "203.0.113.5", 5555)),
        (v2(family=0x21, body=V6_BODY), IPv6Address("TCP", "2001:db8::7", 6000)),
        (v2(body=v2()[16:] + b"\x04\x00\x01x"), IPv4Address("TCP", "203.0.113.5", 5555)),  # TLV
        (v2(command=0x20, family=0x00, body=b""), None),  # LOCAL
        (v2(family=0x31, body=bytes(216)), None),  # UNIX: no address to count
    ],
)
def test_a_whole_header_names_its_source_and_ends_where_it_says(data, source):
    """A v1 or v2 header gives its source (None: a health check) and where the chat starts."""
    assert read_header(data + b"alice\n") == (source, len(data))


@pytest.mark.parametrize(
    "data", [b"", b"P", b"PROXY", b"PROXY TCP4 203.0.113", V2_SIGNATURE[:5], v2()[:15], v2()[:20]]
)
def test_part_of_a_header_waits_for_the_rest(data):
    """A header cut anywhere is waited for, not refused."""
    assert read_header(data) is None


@pytest.mark.parametrize(
    "data",
    [
        b"alice\n",
        b"GET / HTTP/1.1\r\n",
        b"\xff\xfd\x03",  # telnet
        b"proxy TCP4 203.0.113.5 10.0.0.1 5555 33000\r\n",
        b"PROXY TCP4 " + b"1" * 120,  # no CRLF where one must be
        b"PROXY TCP5 203.0.113.5 10.0.0.1 5555 33000\r\n",
        b"PROXY TCP4 203.0.113.5 10.0.0.1 5555\r\n",
        v1("2001:db8::7"),  # an IPv6 address in a TCP4 header
        v1(port=70000),
        v1(port=-1),
        b"PROXY TCP4 203.0.113.5 10.0.0.1 05555 33000\r\n",
        b"PROXY TCP4 203.0.113.x 10.0.0.1 5555 33000\r\n",
        v2(command=0x11),  # version 1 in a v2 header
        v2(command=0x22),  # an unknown command
        v2(body=b"\x00" * 4),  # too short for two IPv4 addresses and ports
    ],
)
def test_anything_else_is_no_header(data):
    """Chat, HTTP, telnet, a lower-case or malformed v1 header and a bad v2 one are refused."""
    with pytest.raises(BadHeader):
        read_header(data)


@settings(max_examples=300, deadline=None)
@given(
    start=st.sampled_from([b"", b"PROXY ", b"PROXY TCP4 ", b"PROXY TCP6 ", V2_SIGNATURE]),
    rest=st.binary(max_size=300),
    cut=st.integers(min_value=0, max_value=400),
)
def test_any_bytes_are_a_header_part_of_one_or_no_header(start, rest, cut):
    """Whatever arrives, the reader answers with a header, a wait or BadHeader, never another
    error; a header ends within what arrived; and a header that was whole stays so with more."""
    data = (start + rest)[:cut] if cut < len(start + rest) else start + rest
    try:
        header = read_header(data)
    except BadHeader:
        return
    if header is not None:
        assert 0 < header[1] <= len(data)
        assert read_header(data + b"more") == header


class Balanced:
    """A line door behind a HeaderFirstFactory, and connections from the balancer to it."""

    def __init__(self, chat) -> None:
        self.chat = chat
        self.factory = HeaderFirstFactory(chat.factory, chat.clock)
        self._wrappers: dict[StringTransport, object] = {}

    def connect(self, *chunks: bytes) -> StringTransport:
        wrapper = self.factory.buildProtocol(BALANCER)
        transport = StringTransport(peerAddress=BALANCER)
        wrapper.makeConnection(transport)
        self._wrappers[transport] = wrapper
        self.send(transport, *chunks)
        return transport

    def send(self, transport: StringTransport, *chunks: bytes) -> None:
        for chunk in chunks:
            self._wrappers[transport].dataReceived(chunk)

    def lose(self, transport: StringTransport) -> None:
        self._wrappers[transport].connectionLost(None)


def lines(chat, transport: StringTransport) -> list[str]:
    chat.clock.advance(0)
    value = transport.value()
    transport.clear()
    return split_lines(value)


def test_the_door_sees_the_connection_only_once_the_header_is_read(chat):
    """No prompt and no admission before the header; then the user is the header's source."""
    balanced = Balanced(chat)
    transport = balanced.connect(v1()[:20])
    assert lines(chat, transport) == [] and chat.hub.connection_count == 0
    balanced.send(transport, v1()[20:] + b"alice\n")  # the rest of the header, and a name
    assert lines(chat, transport)[:2] == [
        PROMPT,
        "* Welcome alice! If you ever want to quit, type <quit> to exit.",
    ]
    alice = chat.hub.find_user("alice")
    assert alice is not None and (alice.address, alice.origin) == ("203.0.113.5", "203.0.113.5")


def test_each_user_counts_as_the_address_the_balancer_names(make_chat):
    """--max-per-ip 1: two users behind one balancer both come in; a second from one is told."""
    chat = make_chat(max_per_address=1)
    balanced = Balanced(chat)
    first, second = balanced.connect(v1("203.0.113.5")), balanced.connect(v2())
    assert lines(chat, first) == [PROMPT]
    assert lines(chat, second)[0].startswith("! too many connections from your address")
    third = balanced.connect(v1("203.0.113.6"))
    assert lines(chat, third) == [PROMPT]


def test_an_address_ban_applies_to_the_user_not_the_balancer(make_chat):
    """An address ban refuses the banned user behind the balancer, not the others."""
    store = MemoryStore()
    store.put_ban(Ban("203.0.113.0/24", "203.0.113.0/24", "olga", 0.0))
    chat = make_chat(store=store)
    balanced = Balanced(chat)
    assert lines(chat, balanced.connect(v1()))[0] == "! you are banned from this server"
    assert lines(chat, balanced.connect(v1("198.51.100.7"))) == [PROMPT]
    assert lines(chat, balanced.connect(b"PROXY UNKNOWN\r\n")) == [PROMPT]  # the balancer's own


def test_a_connection_without_a_header_is_closed_before_the_chat_and_logged_once(chat, log_capture):
    """Plain chat, or nothing at all: no prompt, no admission, closed; one log line per address
    per window, whatever the number of such connections."""
    balanced = Balanced(chat)
    talker = balanced.connect(b"alice\n")
    silent = balanced.connect()
    assert talker.disconnecting and talker.value() == b""
    assert not silent.disconnecting
    chat.clock.advance(HEADER_SECONDS)
    assert silent.disconnecting and silent.value() == b""
    assert chat.hub.connection_count == 0
    assert chat.factory.open_count == 0  # the door never built one: shutdown waits for none
    warnings = [line for line in log_capture.formatted() if "before the chat" in line]
    assert warnings == ["closed 10.0.0.2 before the chat: no PROXY protocol header"]


def test_what_the_log_held_back_is_said_when_the_listener_stops(chat, log_capture):
    """Refusals the quota held back are counted in the log when the listener stops."""
    balanced = Balanced(chat)
    balanced.factory.doStart()
    for _ in range(3):
        balanced.connect(b"GET / HTTP/1.0\r\n")
    balanced.factory.doStop()
    assert [line for line in log_capture.formatted() if "PROXY" in line] == [
        "closed 10.0.0.2 before the chat: no PROXY protocol header",
        "2 more connections without a PROXY header from 10.0.0.2 in the last 10 s"
        " (not logged one by one)",
    ]


def test_a_connection_lost_before_its_header_never_reaches_the_door(chat):
    """A connection gone mid-header leaves nothing behind: no door connection, no deadline."""
    balanced = Balanced(chat)
    balanced.lose(balanced.connect(b"PROXY TCP4"))
    assert balanced.factory.protocols == {}
    assert chat.hub.connection_count == chat.factory.open_count == 0
    chat.clock.advance(HEADER_SECONDS)  # no deadline left to fire


def test_a_user_behind_the_balancer_chats_and_quits_as_anyone(chat):
    """Header, name, a line and <quit> in one packet: the user chats and leaves as usual."""
    balanced = Balanced(chat)
    bob = chat.join("bob")
    transport = balanced.connect(v1() + b"alice\nhello\n<quit>\n")
    assert "* Goodbye alice!" in lines(chat, transport)
    assert bob.lines()[:2] == ["* alice has joined the chat", "alice: hello"]


def test_the_web_door_behind_the_balancer_admits_the_address_it_names(chat):
    """--web haproxy:tcp:...: the page's WebSocket is admitted as the header's source."""
    factory = HeaderFirstFactory(chat.site, chat.clock)
    wrapper = factory.buildProtocol(BALANCER)
    transport = StringTransport(peerAddress=BALANCER)
    wrapper.makeConnection(transport)
    browser = WebSocketPeer()
    wrapper.dataReceived(v1() + browser.handshake("chat.test"))
    chat.clock.advance(0)
    browser.take_bytes(transport.value())
    assert browser.accepted
    (door,) = chat.web.connections()
    assert door.session is not None and door.session.address == "203.0.113.5"
    assert door.peer == "web 203.0.113.5:5555"
