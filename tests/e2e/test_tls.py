"""TLS on the installed daemon: an ``ssl:`` listener beside a plain ``tcp:`` one, one chat."""

from __future__ import annotations

import signal
import ssl

import pytest

LOCAL = "interface=127.0.0.1"


@pytest.fixture
def listeners(daemon, tls_files):
    """A daemon with a TLS and a plain TCP listener; returns it, its TLS port and its TCP port."""
    server = daemon(
        "chatd",
        "--listen",
        f"ssl:0:{LOCAL}:privateKey={tls_files.key}:certKey={tls_files.cert}",
        "--listen",
        f"tcp:0:{LOCAL}",
    )
    (tls_port,) = server.wait_for_log(r"LineDoorFactory \(TLS\) starting on (\d+)\n")
    (tcp_port,) = server.wait_for_log(r"LineDoorFactory starting on (\d+)\n")
    return server, int(tls_port), int(tcp_port)


def test_tls_user_chats_with_a_plain_tcp_user(listeners, peers, tls_files):
    """A stdlib TLS client that trusts the test certificate chats with an nc-style user."""
    server, tls_port, tcp_port = listeners
    context = ssl.create_default_context(cafile=str(tls_files.cert))
    secure = peers(
        tls_port, wrap=lambda sock: context.wrap_socket(sock, server_hostname="localhost")
    )
    assert secure.sock.version() is not None  # the handshake is done and verified
    assert secure.join("tess") == "* Online (1): tess"
    plain = peers(tcp_port)
    assert plain.join("ugo") == "* Online (2): tess, ugo"
    assert secure.next_line() == "* ugo has joined the chat"

    secure.send("over tls \u2713")
    assert plain.next_line() == "tess: over tls \u2713"
    plain.send("over tcp", "/msg tess just us")
    assert secure.lines(2) == ["ugo: over tcp", "[private] ugo: just us"]
    assert plain.next_line() == "[private to tess] just us"

    server.signal(signal.SIGTERM)
    assert secure.expect_eof() == b"* server is shutting down\r\n"
    secure.close()  # answer the server's close as a TLS client does, so it need not wait
    assert plain.expect_eof() == b"* server is shutting down\r\n"
    assert server.wait_exit(5) == -signal.SIGTERM


def test_tls_client_refuses_an_untrusted_certificate(listeners, peers):
    """The TLS listener really presents the test certificate: a default client rejects it."""
    _, tls_port, _ = listeners
    context = ssl.create_default_context()  # system CAs only
    with pytest.raises(ssl.SSLCertVerificationError):
        peers(tls_port, wrap=lambda sock: context.wrap_socket(sock, server_hostname="localhost"))


def test_plain_client_on_the_tls_port_gets_no_plain_text(listeners, peers):
    """Plain bytes sent to the TLS port never reach the chat, and no prompt comes in clear."""
    _, tls_port, tcp_port = listeners
    watcher = peers(tcp_port)
    watcher.join("vic")
    confused = peers(tls_port)
    confused.send("wanda", "hello?")
    assert b"Please enter a username" not in confused.expect_eof()
    watcher.send("/who")
    assert watcher.next_line() == "* Online (1): vic"
