"""The web door against bad, oversized and hostile input: a coded error each time, the
connection (or at worst only that connection) ends cleanly, and nobody else is affected."""

from __future__ import annotations

import json

import pytest
from twisted.internet.address import IPv4Address
from twisted.internet.testing import StringTransport
from websocket_peer import Rejected
from wsproto.events import Ping

from chatd.doors.web.door import max_message_size
from chatd.doors.web.site import CONTENT_SECURITY_POLICY


def code_of(messages: list[dict]) -> str:
    (error,) = messages
    assert error["type"] == "error" and error["text"], error
    return error["code"]


@pytest.mark.parametrize(
    "message, code",
    [
        ("not json", "bad_json"),
        ('{"type": "say", "text": "unfinished', "bad_json"),
        ("[" * 100_000 + "]" * 100_000, "bad_json"),  # refused by size before it is parsed
        ('{"type": "say", "n": ' + "9" * 5000 + "}", "bad_json"),
        ("[1, 2]", "bad_request"),
        ('"say"', "bad_request"),
        ("{}", "bad_request"),
        ('{"type": 7}', "bad_request"),
        ('{"type": "fly"}', "unknown_type"),
        ('{"type": "say"}', "bad_field"),
        ('{"type": "say", "text": 5}', "bad_field"),
        ('{"type": "say", "text": "   "}', "bad_field"),
        ('{"type": "say", "text": "hi", "room": ["#dev"]}', "bad_field"),
        ('{"type": "join", "room": "#a #b"}', "bad_field"),
        ('{"type": "receipts", "on": "yes"}', "bad_field"),
        ('{"type": "history", "before": -1}', "bad_field"),
        ('{"type": "history", "before": 1.5}', "bad_field"),
        ('{"type": "history", "before": true}', "bad_field"),
        ('{"type": "history", "before": 3, "after": 1}', "bad_field"),
        ('{"type": "command"}', "bad_field"),
        ('{"type": "msg", "to": "nobody", "text": "hi"}', "no_such_user"),
        ('{"type": "join", "room": "dev"}', "room_invalid"),
        ('{"type": "part", "room": "#nowhere"}', "not_in_room"),
        ('{"type": "part"}', "only_room"),
    ],
)
def test_each_bad_request_gets_its_code_and_the_connection_goes_on(make_chat, message, code):
    """A malformed or impossible request is answered with its code; the user chats on."""
    chat = make_chat(max_line_length=100_000)
    web = chat.join_web("alice")
    line = chat.join("bob")
    if len(message) > max_message_size(chat.hub.limits):
        chat = make_chat()  # the default line limit: the message is too large to parse at all
        web = chat.join_web("alice")
        web.send(message)
        assert code_of(web.take()) == "message_too_large"
        return
    web.send(message)
    assert code_of(web.take()) == code
    web.send({"type": "say", "text": "still here"})
    assert line.lines() == ["alice: still here"]


def test_a_binary_frame_is_refused_with_a_code(chat):
    """Binary frames are not part of the protocol: a coded error, and the connection stays."""
    web = chat.join_web("alice")
    web.send(b"\x00\x01binary")
    assert code_of(web.take()) == "binary_frame"
    web.send({"type": "who"})
    assert web.take()[0]["type"] == "online"


def test_requests_before_a_name_are_refused(chat):
    """Before choosing a name, only name, command and quit are accepted."""
    web = chat.connect_web()
    web.take()
    web.send({"type": "say", "text": "hi"}, {"type": "join", "room": "#dev"})
    assert [error["code"] for error in web.take()] == ["name_required", "name_required"]


def test_text_longer_than_a_line_is_refused(make_chat):
    """The line door's line limit applies to every text field, in UTF-8 bytes."""
    chat = make_chat(max_line_length=20)
    web = chat.join_web("alice")
    line = chat.join("bob")
    web.send({"type": "say", "text": "é" * 11})  # 22 bytes
    assert code_of(web.take()) == "text_too_long"
    assert line.lines() == []


def test_a_message_too_large_closes_with_1009_and_nothing_else_changes(make_chat):
    """A message past the size bound is refused as it arrives, before it is all buffered."""
    chat = make_chat(max_line_length=100)
    web = chat.join_web("alice")
    line = chat.join("bob")
    frame = web.frame(json.dumps({"type": "say", "text": "x" * 5000}))
    web.send_raw(frame[:2000])  # not even whole yet
    assert code_of(web.take()) == "message_too_large"
    assert web.close_code == 1009 and web.closing
    web.drop()
    assert line.lines() == ["* alice has left the chat"]


def test_hostile_text_is_cleaned_as_typed_text_is(chat):
    """Escape sequences and lone surrogates never reach anyone; markup is just text."""
    web = chat.join_web("alice")
    line = chat.join("bob")
    web.send('{"type": "say", "text": "\\u001b[2Jred \\ud800 <script>alert(1)</script>"}')
    assert line.lines() == ["alice: red \ufffd <script>alert(1)</script>"]


def test_nothing_after_quit_is_acted_on(chat):
    """Requests that follow a quit in the same packet are ignored."""
    web = chat.join_web("alice")
    line = chat.join("bob")
    web.send({"type": "quit"}, {"type": "say", "text": "ghost"})
    assert line.lines() == ["* alice has left the chat"]


def test_flood_control_pauses_reading_and_keeps_order(make_chat):
    """Past its burst, a connection is not read until its bucket allows; nothing is lost."""
    chat = make_chat(rate=1, burst=2)
    web = chat.join_web("alice")
    line = chat.join("bob")
    web.send(*({"type": "say", "text": f"m{n}"} for n in range(4)))  # the name took one
    assert line.lines() == ["alice: m0"]
    assert web.transport.producerState == "paused"
    assert chat.web.flood_delays == 1
    for _ in range(4):
        chat.clock.advance(1)
    assert line.lines() == ["alice: m1", "alice: m2", "alice: m3"]
    assert web.transport.producerState == "producing"


def test_a_reader_that_does_not_read_is_dropped_alone(make_chat):
    """Output past the bound while the connection is full drops that reader only."""
    chat = make_chat(max_send_buffer=2000, rate=0)
    web = chat.join_web("alice")
    other = chat.join_web("carol")
    line = chat.join("bob")
    web.transport.producer.pauseProducing()  # what TCP does when the peer stops reading
    for number in range(40):
        line.send(f"line {number} {'x' * 60}\n".encode())
    chat.clock.advance(0)
    chat.clock.advance(0)
    assert web.transport.disconnected  # aborted
    assert chat.web.slow_readers_dropped == 1
    assert len(other.take()) == 40


def test_pongs_wait_in_the_outbox_behind_what_was_sent_before(chat):
    """Twisted's WebSocket answers pings through the door's outbox: while the reader does not
    read, a pong is held (and counted) like any frame, and comes after those before it."""
    web = chat.join_web("alice")
    line = chat.join("bob")
    web.transport.producer.pauseProducing()
    line.send(b"before the ping\n")
    chat.clock.advance(0)
    web.send_raw(web.ws.send(Ping(b"are you there")))
    assert web.transport.value() == b""  # all of it held
    web.transport.producer.resumeProducing()
    web.take_bytes(web.transport.value())
    assert web.messages[-1]["text"] == "before the ping"
    assert web.pongs == [b"are you there"]


@pytest.mark.parametrize(
    "origin, allowed",
    [
        (None, True),  # a program, not a page
        ("http://chat.test", True),  # the page's own origin
        ("HTTP://CHAT.TEST", True),
        ("https://allowed.test", True),  # --web-origin
        ("https://evil.test", False),
        ("http://chat.test.evil.test", False),
        ("null", False),
    ],
)
def test_only_the_pages_own_and_allowed_origins_may_upgrade(chat, origin, allowed):
    """Another site's page cannot open a WebSocket in its visitor's name: 403."""
    web = chat.connect_web(origin=origin)
    if allowed:
        assert web.accepted
        assert web.take()[0]["type"] == "hello"
    else:
        assert isinstance(web.rejected, Rejected) and web.rejected.status == 403
        assert chat.web.open_count == 0


def http(chat, request: bytes) -> bytes:
    channel = chat.site.buildProtocol(IPv4Address("TCP", "127.0.0.1", 50999))
    transport = StringTransport()
    channel.makeConnection(transport)
    channel.dataReceived(request)
    chat.clock.advance(0)
    return transport.value()


@pytest.mark.parametrize(
    "path, status",
    [(b"/", b"200"), (b"/app.js", b"200"), (b"/style.css", b"200"), (b"/ws", b"400"),
     (b"/nothing", b"404"), (b"/app.js/x", b"404")],
)  # fmt: skip
def test_every_response_carries_the_security_headers(chat, path, status):
    """The page, its files, a plain GET on /ws and a miss: each with CSP and nosniff."""
    response = http(chat, b"GET " + path + b" HTTP/1.1\r\nHost: chat.test\r\n\r\n")
    head = response.split(b"\r\n\r\n")[0].decode()
    assert head.startswith(f"HTTP/1.1 {status.decode()} ")
    assert f"Content-Security-Policy: {CONTENT_SECURITY_POLICY}" in head
    assert "X-Content-Type-Options: nosniff" in head
    assert "Traceback" not in response.decode("utf-8", "replace")


def test_a_plain_get_on_the_websocket_path_says_what_it_is(chat):
    """A browser pointed at /ws gets a 400 that says to open /."""
    response = http(chat, b"GET /ws HTTP/1.1\r\nHost: chat.test\r\n\r\n")
    assert response.startswith(b"HTTP/1.1 400 ")
    assert response.endswith(b"This is chatd's WebSocket; open / in a browser.\n")


def test_junk_on_the_port_gets_an_http_error(chat):
    """Bytes that are not HTTP get 400 Bad Request and the connection closes."""
    response = http(chat, b"\x16\x03\x01 not http at all\r\n\r\n")
    assert response.startswith(b"HTTP/1.1 400 Bad Request")
