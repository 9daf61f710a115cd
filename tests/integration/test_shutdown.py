"""Stopping the service over real sockets: everyone is told, every connection closes, promptly."""

from __future__ import annotations

import socket

import pytest
import pytest_twisted
from twisted.internet import endpoints
from twisted.internet.error import ConnectionDone, ConnectionRefusedError
from twisted.internet.protocol import Protocol

SHUTDOWN = "* server is shutting down"


@pytest_twisted.ensureDeferred
async def test_stop_service_tells_everyone_and_closes_every_connection(
    chat, joiner, connect, log_capture
):
    """stopService sends the shutdown notice to every client, closes each, and fires promptly."""
    from twisted.internet import reactor

    alice = await joiner(chat.port, "alice", b"\r\n")
    bob = await joiner(chat.port, "bob")
    await alice.expect("* bob has joined the chat")
    stranger = await connect(chat.port, "stranger")
    await stranger.expect("* Please enter a username:")
    stranger.transport.write(b"half a na")

    started = reactor.seconds()
    await chat.service.stopService().addTimeout(chat.service.grace + 2, reactor)
    elapsed = reactor.seconds() - started

    for client in (alice, bob, stranger):
        await client.wait_closed()
        assert client.lines[-1] == SHUTDOWN
        assert client.lines.count(SHUTDOWN) == 1
        assert client.raw == b""
        assert client.lost.check(ConnectionDone), client.lost
    assert "* bob has left the chat" not in alice.lines
    # Everyone closed cleanly, so nobody had to be dropped after the grace period.
    assert elapsed < chat.service.grace
    assert not chat.service.running


@pytest_twisted.ensureDeferred
async def test_no_new_connections_after_stop(chat):
    """Once stopped, the service no longer listens on its port."""
    from twisted.internet import reactor

    await chat.service.stopService().addTimeout(5, reactor)
    endpoint = endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", chat.port, timeout=5)
    with pytest.raises(ConnectionRefusedError):
        await endpoints.connectProtocol(endpoint, Protocol()).addTimeout(5, reactor)


@pytest_twisted.ensureDeferred
async def test_stop_with_nobody_connected_is_immediate(chat, log_capture):
    """stopService with no connections fires at once and logs no error."""
    from twisted.internet import reactor

    started = reactor.seconds()
    await chat.service.stopService().addTimeout(5, reactor)
    assert reactor.seconds() - started < 1


@pytest_twisted.ensureDeferred
async def test_client_that_stops_reading_is_dropped_after_the_grace_period(start_chat, joiner):
    """A client that never reads its backlog is dropped after the grace and stopService fires."""
    from twisted.internet import reactor

    # No flood control, and room for the whole backlog: this is about the grace period alone.
    chat = await start_chat(
        "--listen", "tcp:0:interface=127.0.0.1", "--rate", "0", "--max-send-buffer", "100000000"
    )

    alice = await joiner(chat.port, "alice")
    bob = await joiner(chat.port, "bob")
    await alice.expect("* bob has joined the chat")
    # A small receive buffer stops autotuning from letting bob's kernel absorb the whole flood;
    # the server's send buffer is capped by net.ipv4.tcp_wmem (4 MiB by default).
    bob.transport.getHandle().setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    bob.transport.pauseProducing()  # bob stops reading: his lines pile up in the server
    line = "x" * 4000
    for _ in range(8):
        alice.send(*[line] * 250)  # 8 MB, more than the kernel buffers on both ends hold
    alice.send("/who")
    await alice.expect("* Online (2): alice, bob", timeout=10)

    chat.service.grace = 0.5
    started = reactor.seconds()
    await chat.service.stopService().addTimeout(5, reactor)
    assert reactor.seconds() - started < 3
    await alice.wait_closed()
    assert alice.lines[-1] == SHUTDOWN
    bob.transport.resumeProducing()
    await bob.wait_closed(timeout=10)
    assert SHUTDOWN not in bob.lines  # dropped: the notice was still in the server's buffer
