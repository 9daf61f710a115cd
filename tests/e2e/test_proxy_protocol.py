"""The installed daemon behind a TCP balancer: ``--listen haproxy:tcp:...`` reads each
connection's PROXY header (v1 or v2) before the chat, and counts users as the balancer says."""

from __future__ import annotations

import socket
import struct

from websocket_peer import SocketWebSocket

LOCAL = "interface=127.0.0.1"
V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


def v1(source: str, port: int = 5555) -> bytes:
    return f"PROXY TCP4 {source} 127.0.0.1 {port} 33000\r\n".encode()


def v2(source: str, port: int = 6666) -> bytes:
    body = socket.inet_aton(source) + socket.inet_aton("127.0.0.1") + struct.pack("!HH", port, 1)
    return V2_SIGNATURE + b"\x21\x11" + struct.pack("!H", len(body)) + body


def test_users_behind_a_balancer_count_as_themselves(daemon, peers):
    """--max-per-ip 1 on a haproxy: listener: two users from one balancer both chat, a second
    connection of one of them is refused, and a connection without a header never sees the chat."""
    server = daemon("chatd", "--listen", f"haproxy:tcp:0:{LOCAL}", "--db", ":memory:",
                    "--max-per-ip", "1")  # fmt: skip
    (port,) = server.ports()
    balancer = "127.0.0.1"
    ann = peers(port, source=balancer)
    ann.send_raw(v1("203.0.113.5") + b"ann\n")
    ann.expect(ann.welcome("ann"))
    assert ann.next_line() == "* Online (1): ann"
    bob = peers(port, source=balancer)
    bob.send_raw(v2("203.0.113.6"))
    assert bob.join("bob") == "* Online (2): ann, bob"
    assert ann.next_line() == "* bob has joined the chat"
    ann.send("hello from behind the balancer")
    assert bob.next_line() == "ann: hello from behind the balancer"

    again = peers(port, source=balancer)
    again.send_raw(v1("203.0.113.5", 5556))
    assert again.next_line().startswith("! too many connections from your address")

    plain = peers(port, source=balancer)
    plain.send("carl")
    assert plain.expect_eof() == b""

    log = server.wait_for_log(r"(ann joined from .*)\n")[0]
    assert log == "ann joined from 203.0.113.5:5555"
    assert "closed 127.0.0.1 before the chat: no PROXY protocol header" in server.log()
    server.assert_no_errors()


def test_the_web_door_behind_a_balancer_chats_as_the_address_it_names(daemon, peers):
    """--web haproxy:tcp:...: a WebSocket after its PROXY header is its source's, and chats."""
    server = daemon("chatd", "--listen", f"tcp:0:{LOCAL}", "--web", f"haproxy:tcp:0:{LOCAL}",
                    "--db", ":memory:")  # fmt: skip
    line_port, web_port = server.ports(2)
    web = SocketWebSocket(web_port, preface=v2("203.0.113.9", 7777))
    assert web.join("wes") == {"type": "welcome", "name": "wes"}
    nc = peers(line_port)
    nc.join("nia")
    web.send({"type": "say", "text": "hi nia"})
    assert nc.next_line() == "wes: hi nia"
    joined = server.wait_for_log(r"(wes joined from .*)\n")[0]
    assert joined == "wes joined from web 203.0.113.9:7777"
    server.assert_no_errors()
