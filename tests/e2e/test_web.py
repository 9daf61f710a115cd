"""The web door of the installed daemon over real sockets: a bot's view of the JSON protocol,
wss, and what the port answers to hostile and broken input."""

from __future__ import annotations

import socket
import ssl

import pytest
from websocket_peer import Rejected, SocketWebSocket

LOCAL = "interface=127.0.0.1"


@pytest.fixture
def web(daemon):
    """A daemon with a line listener and a web door; returns it, the line and the web port."""
    server = daemon("chatd", "--listen", f"tcp:0:{LOCAL}", "--web", f"tcp:0:{LOCAL}",
                    "--db", ":memory:", "--max-line-length", "200")  # fmt: skip
    line_port, web_port = server.ports(2)
    return server, line_port, web_port


def http(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        return received


def test_a_bot_and_an_nc_user_chat_through_the_daemon(web, peers):
    """A WebSocket client written for the tests chats with an nc user, both ways."""
    _, line_port, web_port = web
    bot = SocketWebSocket(web_port)
    assert bot.next()["type"] == "hello"
    bot.join("bot")
    nc = peers(line_port)
    nc.join("ann")
    assert bot.next("joined") == {"type": "joined", "name": "ann", "room": "#lobby"}
    bot.send({"type": "say", "text": "beep"})
    assert nc.next_line() == "bot: beep"
    nc.send("hello bot")
    said = bot.next("said")
    assert (said["name"], said["text"], said["room"], said["seq"]) == (
        "ann",
        "hello bot",
        "#lobby",
        2,
    )
    assert said["time"].endswith("Z")
    bot.close()
    assert nc.next_line() == "* bot has left the chat"


def test_wss_over_an_ssl_endpoint(daemon, tls_files):
    """--web with an ssl: endpoint serves the page over HTTPS and the WebSocket as wss."""
    tls = f"ssl:0:{LOCAL}:privateKey={tls_files.key}:certKey={tls_files.cert}"
    server = daemon("chatd", "--listen", f"tcp:0:{LOCAL}", "--db", ":memory:", "--web", tls)
    _, web_port = server.ports(2)
    context = ssl.create_default_context(cafile=str(tls_files.cert))
    wrap = lambda sock: context.wrap_socket(sock, server_hostname="localhost")  # noqa: E731
    bot = SocketWebSocket(web_port, origin=f"https://127.0.0.1:{web_port}", wrap=wrap)
    assert bot.next()["type"] == "hello"
    assert bot.join("tess") == {"type": "welcome", "name": "tess"}
    bot.close()


def test_hostile_frames_get_coded_errors_and_the_server_stays_up(web, peers):
    """Broken JSON, binary, unknown and mistyped requests: coded errors; an oversized message
    closes that connection only (1009), and the others chat on."""
    server, line_port, web_port = web
    nc = peers(line_port)
    nc.join("ann")
    bot = SocketWebSocket(web_port)
    bot.join("bot")
    bot.send("{oops", b"\x00\xff", {"type": "fly"}, {"type": "say", "text": 1}, {"type": "say"})
    codes = [bot.next("error")["code"] for _ in range(5)]
    assert codes == ["bad_json", "binary_frame", "unknown_type", "bad_field", "bad_field"]
    bot.send({"type": "say", "text": "x" * 5000})  # over 2 * 200 + 1024 bytes
    assert bot.next("error")["code"] == "message_too_large"
    assert bot.expect_close() == 1009
    other = SocketWebSocket(web_port)
    other.join("other")
    other.send({"type": "say", "text": "still fine"})
    assert nc.expect("other: still fine")
    server.assert_no_errors()


def test_http_errors_never_tracebacks(web):
    """A plain GET on /ws, a foreign origin, a missing page and junk: each an HTTP error."""
    server, _, web_port = web
    plain = http(web_port, b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert plain.startswith(b"HTTP/1.1 400 ")
    with pytest.raises(Rejected) as refused:
        SocketWebSocket(web_port, origin="https://evil.example")
    assert refused.value.status == 403
    missing = http(web_port, b"GET /etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert missing.startswith(b"HTTP/1.1 404 ")
    assert b"Content-Security-Policy: default-src 'self'" in missing
    junk = http(web_port, bytes(range(256)) * 4 + b"\r\n\r\n")
    assert junk.startswith(b"HTTP/1.1 400 Bad Request")
    page = http(web_port, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert page.startswith(b"HTTP/1.1 200 ") and b'<label for="name">Name</label>' in page
    server.assert_no_errors()


def test_web_options_are_checked_at_start_up(run_twistd):
    """A bad --web endpoint or --web-origin is one line naming the option, and exit 1."""
    result = run_twistd("chatd", "--web", "tcp:notaport")
    assert result.returncode == 1
    assert "--web tcp:notaport" in result.stderr + result.stdout
    result = run_twistd("chatd", "--web", "tcp:0", "--web-origin", "chat.example.org")
    assert result.returncode == 1
    assert "is not an origin such as https://chat.example.org" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr + result.stdout


def test_the_web_door_counts_in_the_metrics(daemon):
    """--metrics counts the web door's connections under door="web"."""
    server = daemon("chatd", "--listen", f"tcp:0:{LOCAL}", "--db", ":memory:", "--web",
                    f"tcp:0:{LOCAL}", "--metrics", f"tcp:0:{LOCAL}")  # fmt: skip
    _, web_port, metrics_port = server.ports(3)
    bot = SocketWebSocket(web_port)
    bot.join("bot")
    text = http(metrics_port, b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert b'chatd_connections{door="web"} 1.0' in text


def test_behind_a_trusted_proxy_each_browser_counts_as_itself(daemon, peers):
    """With --web-trusted-proxy, X-Forwarded-For names who came: the per-address limit counts
    browsers, not the proxy, and the log says which proxy brought whom."""
    server = daemon("chatd", "--listen", f"tcp:0:{LOCAL}", "--web", f"tcp:0:{LOCAL}",
                    "--db", ":memory:", "--max-per-ip", "1",
                    "--web-trusted-proxy", "127.0.0.1,::1")  # fmt: skip
    line_port, web_port = server.ports(2)
    forwarded = lambda client: [("X-Forwarded-For", f"6.6.6.6, {client}")]  # noqa: E731
    ann = SocketWebSocket(web_port, headers=forwarded("203.0.113.5"))
    assert ann.join("ann") == {"type": "welcome", "name": "ann"}
    bob = SocketWebSocket(web_port, headers=forwarded("203.0.113.6"))
    assert bob.join("bob") == {"type": "welcome", "name": "bob"}
    again = SocketWebSocket(web_port, headers=forwarded("203.0.113.5"))
    assert again.next("error")["code"] == "too_many_connections"
    nc = peers(line_port)  # nor is the proxy's own address used up
    nc.join("cat")
    assert ann.next("joined")["name"] == "bob"
    assert ann.next("joined") == {"type": "joined", "name": "cat", "room": "#lobby"}
    assert "ann joined from web 203.0.113.5 via 127.0.0.1:" in server.log()
    server.assert_no_errors()
