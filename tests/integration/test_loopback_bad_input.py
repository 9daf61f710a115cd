"""Bad input over a real socket: garbage, endless lines and one connection too many."""

from __future__ import annotations

import random

import pytest_twisted


@pytest_twisted.ensureDeferred
async def test_garbage_and_a_huge_line_leave_the_connection_usable(start_chat, joiner, log_capture):
    """Random bytes and 4 MiB without a newline over TCP get one error; the next line is relayed."""
    chat = await start_chat("--listen", "tcp:0:interface=127.0.0.1", "--max-line-length", "1024")
    alice = await joiner(chat.port, "alice")
    bob = await joiner(chat.port, "bob")
    await alice.expect("* bob has joined the chat")
    rng = random.Random(7)
    garbage = bytes(rng.randrange(256) for _ in range(20000)).replace(b"\n", b"")
    garbage = garbage.replace(b"<", b"").replace(b"/", b"")  # no quit or commands by chance
    alice.transport.write(b"\n" + garbage[:900] + b"\x00\xff\x1b[2J\n")
    for _ in range(64):
        alice.transport.write(b"B" * 65536)
    alice.send("", "after the flood")
    await bob.expect("alice: after the flood")
    assert alice.lines[4:] == ["! line too long (limit 1024 bytes)"]
    relayed = bob.lines[3:]
    assert len(relayed) == 2 and relayed[-1] == "alice: after the flood"
    assert relayed[0].startswith("alice: ")
    assert not any(ord(char) < 32 or 0x7F <= ord(char) <= 0x9F for char in relayed[0])


@pytest_twisted.ensureDeferred
async def test_one_connection_over_max_clients_is_told_and_closed(
    start_chat, connect, joiner, log_capture
):
    """With --max-clients 2 the third connection gets `! server is full, try again later`."""
    chat = await start_chat("--listen", "tcp:0:interface=127.0.0.1", "--max-clients", "2")
    alice = await joiner(chat.port, "alice")
    waiting = await connect(chat.port, "waiting")
    await waiting.expect("* Please enter a username:")
    extra = await connect(chat.port, "extra")
    await extra.wait_closed()
    assert extra.lines == ["! server is full, try again later"]
    waiting.send("bob")
    await alice.expect("* bob has joined the chat")
    assert "* extra has joined the chat" not in alice.lines
