"""Operating limits over real loopback sockets: slow readers, floods, silent and greedy peers."""

from __future__ import annotations

import socket

import pytest_twisted

LOCAL = "tcp:0:interface=127.0.0.1"


def now() -> float:
    from twisted.internet import reactor

    return reactor.seconds()


@pytest_twisted.ensureDeferred
async def test_a_reader_that_stalls_is_dropped_and_the_others_get_everything(
    start_chat, joiner, log_capture
):
    """A stalled reader is disconnected once 64 KiB wait for it; the others receive all of it."""
    chat = await start_chat("--listen", LOCAL, "--max-send-buffer", "65536", "--rate", "0")
    alice = await joiner(chat.port, "alice")
    stalled = await joiner(chat.port, "stalled")
    carol = await joiner(chat.port, "carol")
    await alice.expect("* carol has joined the chat")
    stalled.transport.getHandle().setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.transport.pauseProducing()  # stops reading; the kernel buffers fill, then the server's
    sent: list[str] = []
    for round_ in range(40):  # 1 MB a round, until the kernel buffers are full and it is dropped
        batch = [f"{round_:02}-{number:04} " + "y" * 500 for number in range(2000)]
        alice.send(*batch, f"end of round {round_}")
        sent += [*batch, f"end of round {round_}"]
        await carol.expect(f"alice: end of round {round_}", timeout=20)
        if "* stalled has left the chat" in carol.lines:
            break
    assert "* stalled has left the chat" in carol.lines
    assert [line for line in carol.lines if line.startswith("alice: ")] == [
        f"alice: {line}" for line in sent
    ]
    assert any("dropping 127.0.0.1:" in line for line in log_capture.formatted())
    stalled.transport.resumeProducing()
    await stalled.wait_closed()
    carol.send("/who")
    await carol.expect("* Online (2): alice, carol")


def server_door(chat, name: str):
    """The server's end of the connection of the user called ``name``."""
    (factory,) = chat.service.doors
    return next(
        door for door in factory.connections() if door.session and door.session.name == name
    )


@pytest_twisted.ensureDeferred
async def test_a_reader_that_pauses_gets_everything_in_order_once_it_reads_again(
    start_chat, joiner
):
    """Output that the kernel would not take yet waits in the transport and the outbox; when the
    reader reads again it gets all of it, chat and private lines in the order they were made."""
    chat = await start_chat("--listen", LOCAL, "--rate", "0")
    alice = await joiner(chat.port, "alice")
    slow = await joiner(chat.port, "slow")
    carol = await joiner(chat.port, "carol")
    await alice.expect("* carol has joined the chat")
    # Small kernel buffers at both ends, so that they fill after a few kilobytes.
    slow.transport.getHandle().setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    server_door(chat, "slow").transport.getHandle().setsockopt(
        socket.SOL_SOCKET, socket.SO_SNDBUF, 4096
    )
    slow.transport.pauseProducing()
    expected: list[str] = []
    for round_ in range(4):  # about 100 KB: under the 1 MiB limit, past the kernel buffers
        batch = [f"{round_}-{number:03} " + "z" * 400 for number in range(60)]
        alice.send(*batch, f"/msg slow private {round_}")
        expected += [f"alice: {line}" for line in batch]
        expected.append(f"[private] alice: private {round_}")
        await carol.expect(f"alice: {batch[-1]}")
    assert server_door(chat, "slow").outbox.held > 0  # the kernel and the transport are full
    slow.transport.resumeProducing()
    await slow.expect(expected[-1], timeout=20)
    assert slow.lines[-len(expected) :] == expected


@pytest_twisted.ensureDeferred
async def test_a_flood_is_paced_in_order_while_others_are_not_delayed(start_chat, joiner):
    """Over --rate lines wait their turn, none lost, while another user's line goes straight by."""
    chat = await start_chat("--listen", LOCAL, "--rate", "100", "--burst", "5")
    alice = await joiner(chat.port, "alice")
    bob = await joiner(chat.port, "bob")
    carol = await joiner(chat.port, "carol")
    await bob.expect("* carol has joined the chat")
    flood = [f"flood {number}" for number in range(105)]
    started = now()
    alice.send(*flood)
    await bob.expect("alice: flood 10")
    carol.send("no queue for me")
    await bob.expect("bob: no queue for me".replace("bob", "carol"))
    await bob.expect("alice: flood 104")
    elapsed = now() - started
    from_alice = [line for line in bob.lines if line.startswith("alice: ")]
    assert from_alice == [f"alice: {line}" for line in flood]
    assert elapsed >= 0.9  # (105 - 5) lines at 100 per second
    carol_at = bob.lines.index("carol: no queue for me")
    assert carol_at < bob.lines.index("alice: flood 104")


@pytest_twisted.ensureDeferred
async def test_a_connection_that_never_names_itself_times_out(start_chat, connect, log_capture):
    """With --handshake-timeout 0.3 a silent connection gets the reason and is closed."""
    chat = await start_chat("--listen", LOCAL, "--handshake-timeout", "0.3")
    scanner = await connect(chat.port, "scanner")
    await scanner.wait_closed()
    assert scanner.lines == ["* Please enter a username:", "! timed out waiting for a username"]


@pytest_twisted.ensureDeferred
async def test_one_address_cannot_take_more_than_max_per_ip(start_chat, connect, log_capture):
    """With --max-per-ip 2 the third connection from 127.0.0.1 is told why and closed."""
    chat = await start_chat("--listen", LOCAL, "--max-per-ip", "2")
    first = await connect(chat.port, "first")
    second = await connect(chat.port, "second")
    await first.expect("* Please enter a username:")
    await second.expect("* Please enter a username:")
    third = await connect(chat.port, "third")
    await third.wait_closed()
    assert third.lines == ["! too many connections from your address (limit 2)"]
    first.transport.loseConnection()
    await first.wait_closed()
    fourth = await connect(chat.port, "fourth")
    await fourth.expect("* Please enter a username:")
