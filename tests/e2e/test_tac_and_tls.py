"""The other ways to run the installed daemon: ``twistd -ny chatd.tac`` and TLS listeners."""

from __future__ import annotations

import os
import ssl
from pathlib import Path

TAC = Path(__file__).resolve().parents[2] / "chatd.tac"
LOCAL = "interface=127.0.0.1"


def test_tac_builds_the_same_service(daemon, peers):
    """``twistd -ny chatd.tac`` serves chat, taking its options from CHATD_OPTIONS."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env["CHATD_OPTIONS"] = "--port 0 --history 1"
    server = daemon("-y", str(TAC), env=env)
    (port,) = server.ports()
    alice = peers(port)
    alice.join("alice")
    alice.send("first", "second", "/who")
    alice.expect("* Online (1): alice")
    bob = peers(port)
    bob.join("bob")
    bob.expect("* Online (2): alice, bob")
    assert bob.next_line()[8:] == "alice: second"  # --history 1 from CHATD_OPTIONS
    server.stop_cleanly()


def test_tls_and_plain_tcp_users_chat(daemon, peers, tls_files):
    """A TLS listener beside a plain one: a verified TLS client chats with an nc-style user."""
    server = daemon(
        "chatd",
        "--listen",
        f"ssl:0:{LOCAL}:privateKey={tls_files.key}:certKey={tls_files.cert}",
        "--listen",
        f"tcp:0:{LOCAL}",
    )
    tls_port, tcp_port = server.ports(2)
    context = ssl.create_default_context(cafile=str(tls_files.cert))

    secure = peers(
        tls_port, wrap=lambda sock: context.wrap_socket(sock, server_hostname="localhost")
    )
    secure.join("secure")
    plain = peers(tcp_port)
    plain.join("plain")
    secure.expect("* plain has joined the chat")
    secure.send("over tls ✓")
    plain.expect("secure: over tls ✓")
    plain.send("over tcp")
    secure.expect("plain: over tcp")
    server.stop_cleanly()
    assert secure.expect_eof().endswith(b"* server is shutting down\r\n")
