"""Several real clients over loopback TCP: chatting, ordering, and peers that vanish."""

from __future__ import annotations

import socket
import struct

import pytest_twisted
from twisted.internet.error import ConnectionDone

PROMPT = "* Please enter a username:"


def welcome(name: str) -> str:
    return f"* Welcome {name}! If you ever want to quit, type <quit> to exit."


@pytest_twisted.ensureDeferred
async def test_three_clients_chat_join_and_leave(chat, joiner):
    """A telnet-style (CRLF) and two nc-style (LF) clients chat, and see joins and leaves."""
    alice = await joiner(chat.port, "alice", b"\r\n")
    bob = await joiner(chat.port, "bob")
    await alice.expect("* bob has joined the chat")
    carol = await joiner(chat.port, "carol")
    await alice.expect("* carol has joined the chat")
    await bob.expect("* carol has joined the chat")

    alice.send("hello from telnet")
    await bob.expect("alice: hello from telnet")
    await carol.expect("alice: hello from telnet")
    bob.send("hi from nc")
    await alice.expect("bob: hi from nc")
    await carol.expect("bob: hi from nc")
    carol.send("<quit>")
    await carol.wait_closed()
    await alice.expect("* carol has left the chat")
    await bob.expect("* carol has left the chat")

    assert alice.lines == [
        PROMPT,
        welcome("alice"),
        "* Online (1): alice",
        "* bob has joined the chat",
        "* carol has joined the chat",
        "bob: hi from nc",
        "* carol has left the chat",
    ]
    assert bob.lines == [
        PROMPT,
        welcome("bob"),
        "* Online (2): alice, bob",
        "* carol has joined the chat",
        "alice: hello from telnet",
        "* carol has left the chat",
    ]
    assert carol.lines == [
        PROMPT,
        welcome("carol"),
        "* Online (3): alice, bob, carol",
        "alice: hello from telnet",
        "bob: hi from nc",
        "* Goodbye carol!",
    ]
    assert carol.lost.check(ConnectionDone)
    assert alice.raw == bob.raw == carol.raw == b""  # nothing but whole CRLF lines


@pytest_twisted.ensureDeferred
async def test_many_lines_arrive_in_order_exactly_once(start_chat, joiner):
    """Lines from each sender reach every receiver in the order sent, each exactly once."""
    chat = await start_chat("--listen", "tcp:0:interface=127.0.0.1", "--rate", "10000")
    alice = await joiner(chat.port, "alice", b"\r\n")
    bob = await joiner(chat.port, "bob")
    carol = await joiner(chat.port, "carol")
    await alice.expect("* carol has joined the chat")
    await bob.expect("* carol has joined the chat")
    count = 300
    # Both send at once, in bursts of several lines per write, so packets interleave at the server.
    for start in range(0, count, 25):
        alice.send(*(f"a{n}" for n in range(start, start + 25)))
        bob.send(*(f"b{n}" for n in range(start, start + 25)))
    alice.send("a-done")
    bob.send("b-done")
    await carol.wait_until(
        lambda: {"alice: a-done", "bob: b-done"} <= set(carol.lines), "both last lines"
    )
    await bob.expect("alice: a-done")
    await alice.expect("bob: b-done")

    from_alice = [f"alice: a{n}" for n in range(count)] + ["alice: a-done"]
    from_bob = [f"bob: b{n}" for n in range(count)] + ["bob: b-done"]
    assert [line for line in carol.lines if line.startswith("alice: ")] == from_alice
    assert [line for line in carol.lines if line.startswith("bob: ")] == from_bob
    assert [line for line in bob.lines if line.startswith("alice: ")] == from_alice
    assert [line for line in alice.lines if line.startswith("bob: ")] == from_bob
    assert not [line for line in alice.lines if line.startswith("alice: ")]  # no echo
    assert len(carol.lines) == 3 + len(from_alice) + len(from_bob)


def reset(client) -> None:
    """Close with SO_LINGER 0, so the kernel sends a TCP reset instead of a FIN."""
    client.transport.getHandle().setsockopt(
        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
    )
    client.transport.abortConnection()


@pytest_twisted.ensureDeferred
async def test_reset_mid_line_leaves_a_leave_notice(chat, joiner, log_capture):
    """A user whose connection is reset mid-line is announced as gone and drops off /who."""
    alice = await joiner(chat.port, "alice")
    bob = await joiner(chat.port, "bob")
    carol = await joiner(chat.port, "carol")
    await bob.expect("* carol has joined the chat")
    alice_port = alice.transport.getHost().port
    alice.transport.write(b"half a li")
    reset(alice)
    await bob.expect("* alice has left the chat")
    await carol.expect("* alice has left the chat")
    bob.send("/who")
    await bob.expect("* Online (2): bob, carol")
    assert not any("half a li" in line for line in bob.lines + carol.lines)
    closes = [
        event
        for event in log_capture.events
        if event.get("log_format", "").startswith("connection from {peer} closed")
        and event.get("peer", "").endswith(f":{alice_port}")
    ]
    assert len(closes) == 1
    assert "non-clean" in closes[0]["why"]  # the server saw a reset, not a clean close


@pytest_twisted.ensureDeferred
async def test_reset_mid_handshake_is_silent(chat, joiner, connect, log_capture):
    """A connection reset before it chose a name causes no notice to anyone."""
    bob = await joiner(chat.port, "bob")
    stranger = await connect(chat.port, "stranger")
    await stranger.expect(PROMPT)
    stranger.transport.write(b"car")
    reset(stranger)
    await stranger.wait_closed()
    await joiner(chat.port, "carol")
    await bob.expect("* carol has joined the chat")
    bob.send("/who")
    await bob.expect("* Online (2): bob, carol")
    assert bob.lines[2:] == [
        "* Online (1): bob",
        "* carol has joined the chat",
        "* Online (2): bob, carol",
    ]
