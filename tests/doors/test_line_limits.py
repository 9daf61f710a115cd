"""The line door's limits on bytes: unsent output is bounded, floods are delayed and not dropped."""

from __future__ import annotations

from twisted.internet.address import IPv4Address
from twisted.internet.testing import StringTransport

from chatd.doors.outbox import CHUNK_OVERHEAD

# Flow control: the transport pauses the door's outbox when its buffer is full.


def test_output_is_held_while_the_transport_is_full_and_sent_in_order_after(make_chat):
    """While paused, output waits in the outbox; on resume it is written, in order, unchanged."""
    chat = make_chat()
    alice, bob = chat.join("alice"), chat.join("bob")
    bob.transport.producer.pauseProducing()
    for number in range(3):
        alice.send(f"line {number}\n".encode())
    assert bob.take() == b""  # the three lines were written in one pass, as one chunk
    assert bob.door.outbox.held == 3 * len(b"alice: line 0\r\n") + CHUNK_OVERHEAD
    bob.transport.producer.resumeProducing()
    assert bob.lines() == ["alice: line 0", "alice: line 1", "alice: line 2"]
    assert bob.door.outbox.held == 0


def test_a_reader_that_falls_too_far_behind_is_dropped_and_logged(make_chat, log_capture):
    """Over max_send_buffer and not drained at the reactor's next poll, the slow reader is
    aborted; the others miss nothing."""
    chat = make_chat(max_send_buffer=1000, rate=0)
    alice, slow, carol = chat.join("alice"), chat.join("slow"), chat.join("carol")
    slow.transport.producer.pauseProducing()
    sent = [f"message {number:03} " + "x" * 40 for number in range(40)]
    for line in sent:
        alice.send(line.encode() + b"\n")
    assert not slow.transport.disconnected  # not judged before the transport had its chance
    chat.clock.advance(0)  # (task.Clock runs both hops of "after the next poll" at once)
    assert slow.transport.disconnected  # aborted
    assert slow.door.outbox.held == 0  # what it could not take was let go, not kept
    assert carol.lines() == [f"alice: {line}" for line in sent]
    assert any("dropping 127.0.0.1:" in line for line in log_capture.formatted())
    slow.drop()
    assert carol.lines() == ["* slow has left the chat"]
    assert chat.hub.online() == ("alice", "carol")


def test_a_reader_that_drains_at_the_next_poll_is_kept(make_chat):
    """A burst over the bound in one turn is forgiven if the transport drains when next polled."""
    chat = make_chat(max_send_buffer=100, rate=0)
    bob = chat.join("bob")
    bob.transport.producer.pauseProducing()
    bob.send(b"/help\n")  # written to bob's outbox at once, not at the end of the turn
    assert bob.door.outbox.held > 100
    bob.transport.producer.resumeProducing()  # the next poll found bob writable and drained it
    chat.clock.advance(0)
    assert not bob.transport.disconnected
    assert bob.lines()[0].startswith("* ")


def test_output_under_the_bound_is_never_dropped(make_chat):
    """A reader that pauses but stays under max_send_buffer keeps its connection and every line."""
    chat = make_chat(max_send_buffer=10_000, rate=0)
    alice, bob = chat.join("alice"), chat.join("bob")
    for _ in range(5):
        bob.transport.producer.pauseProducing()
        for number in range(50):
            alice.send(b"%d\n" % number)
        bob.transport.producer.resumeProducing()
    assert not bob.transport.disconnected
    assert bob.lines() == [f"alice: {number}" for number in range(50)] * 5


def test_closing_sends_what_is_held_and_unregisters_the_outbox(make_chat):
    """A connection closed while paused still gets its held lines, then the goodbye, in order."""
    chat = make_chat()
    alice, bob = chat.join("alice"), chat.join("bob")
    bob.transport.producer.pauseProducing()
    alice.send(b"before you go\n")
    bob.send(b"<quit>\n")
    assert bob.transport.producer is None  # else the transport would never finish closing
    assert bob.closing
    assert bob.lines() == ["alice: before you go", "* Goodbye bob!"]


# Flood control: lines over the budget wait, unread; none is dropped.


def test_a_flood_is_delayed_not_dropped(make_chat):
    """30 lines at once with burst 10, rate 5: 10 now, the rest at 5 per second, all in order."""
    chat = make_chat(rate=5, burst=10)
    alice, bob = chat.join("alice"), chat.join("bob")
    chat.clock.advance(60)  # alice's bucket refills after her name and the join
    alice.send(b"".join(b"flood %d\n" % number for number in range(30)))
    assert bob.lines() == [f"alice: flood {number}" for number in range(10)]
    assert alice.transport.producerState == "paused"  # the server stopped reading from alice
    chat.clock.advance(1.0)
    assert bob.lines() == [f"alice: flood {number}" for number in range(10, 15)]
    chat.clock.pump([0.2] * 20)
    assert bob.lines() == [f"alice: flood {number}" for number in range(15, 30)]
    assert alice.transport.producerState == "producing"


def test_one_flood_does_not_delay_anybody_else(make_chat):
    """While the flooder waits for its budget, another user's line is relayed at once."""
    chat = make_chat(rate=1, burst=2)
    alice, bob, carol = chat.join("alice"), chat.join("bob"), chat.join("carol")
    chat.clock.advance(60)
    alice.send(b"a\n" * 20)
    carol.take()
    bob.send(b"not stuck behind alice\n")
    assert carol.lines() == ["bob: not stuck behind alice"]


def test_lines_arriving_while_paused_wait_their_turn(make_chat):
    """Data that reaches a paused door (one more packet) is queued behind the held lines."""
    chat = make_chat(rate=10, burst=1)
    alice, bob = chat.join("alice"), chat.join("bob")
    chat.clock.advance(60)
    alice.send(b"1\n2\n", b"3\n4\n")
    chat.clock.pump([0.1] * 5)
    assert bob.lines() == ["alice: 1", "alice: 2", "alice: 3", "alice: 4"]


def test_too_long_lines_count_against_the_budget(make_chat):
    """Refused long lines spend tokens too, so they cannot be used to flood refusals."""
    chat = make_chat(rate=1, burst=3, max_line_length=10)
    alice = chat.join("alice")
    chat.clock.advance(60)
    alice.send(b"y" * 50 + b"\n" + b"z" * 50 + b"\n" + b"w" * 50 + b"\n" + b"w" * 50 + b"\n")
    assert alice.lines() == ["! line too long (limit 10 bytes)"] * 3
    chat.clock.advance(1)
    assert alice.lines() == ["! line too long (limit 10 bytes)"]


def test_a_connection_closed_during_a_pause_is_not_resumed(make_chat):
    """Shutdown during a flood pause: the pending resume neither reads nor raises."""
    chat = make_chat(rate=1, burst=1)
    alice = chat.join("alice")
    chat.clock.advance(60)
    alice.send(b"1\n2\n3\n")
    chat.hub.shutdown()
    chat.clock.advance(10)
    assert alice.closing
    alice.drop()
    assert chat.clock.getDelayedCalls() == []


def test_flood_control_off_reads_everything_at_once(make_chat):
    """With rate 0 the door never pauses reading."""
    chat = make_chat(rate=0)
    alice, bob = chat.join("alice"), chat.join("bob")
    alice.send(b"x\n" * 500)
    assert len(bob.lines()) == 500
    assert alice.transport.producerState == "producing"


# Limits the hub applies, as a line client sees them.


def test_too_many_from_one_address_get_a_clear_line(make_chat, log_capture):
    """Over max_per_address a connection gets one `! ...` line and is closed."""
    chat = make_chat(max_per_address=2)
    chat.connect(), chat.connect()
    extra = chat.connect()
    assert extra.lines() == ["! too many connections from your address (limit 2)"]
    assert extra.closing
    other = chat.factory.buildProtocol(IPv4Address("TCP", "192.0.2.1", 1))
    other.makeConnection(StringTransport(peerAddress=IPv4Address("TCP", "192.0.2.1", 1)))
    assert chat.hub.connection_count == 3


def test_ipv4_mapped_ipv6_counts_as_the_ipv4_address(make_chat, log_capture):
    """A dual-stack listener's ::ffff:a.b.c.d peers count against a.b.c.d."""
    from twisted.internet.address import IPv6Address

    chat = make_chat(max_per_address=1)
    chat.connect()  # from 127.0.0.1
    mapped = IPv6Address("TCP", "::ffff:127.0.0.1", 5)
    door = chat.factory.buildProtocol(mapped)
    transport = StringTransport(peerAddress=mapped)
    door.makeConnection(transport)
    assert transport.value().startswith(b"! too many connections")


def test_handshake_timeout_closes_a_silent_connection(make_chat, log_capture):
    """A connection that never sends a name gets `! timed out waiting for a username`."""
    chat = make_chat(handshake_timeout=60)
    scanner = chat.connect()
    scanner.take()
    chat.clock.advance(60)
    assert scanner.lines() == ["! timed out waiting for a username"]
    assert scanner.closing


# Hang-ups while flood control holds a connection's lines


def test_a_peer_that_hangs_up_while_paused_leaves_at_once_and_its_queue_is_dropped(
    make_chat, monkeypatch
):
    """No ghost: the user leaves within a hang-up check, and its held lines go nowhere."""
    import chatd.doors.line as line_door
    from chatd.doors.flood import HANGUP_CHECK_SECONDS

    chat = make_chat(rate=1, burst=2)
    ghost, bob = chat.join("ghost"), chat.join("bob")
    chat.clock.advance(10)
    ghost.send(b"".join(b"line %d\n" % number for number in range(3000)))
    assert bob.lines() == ["ghost: line 0", "ghost: line 1"]
    gone = []
    monkeypatch.setattr(line_door, "hung_up", lambda transport: transport in gone)
    chat.clock.advance(HANGUP_CHECK_SECONDS)
    assert bob.lines() == ["ghost: line 2"]
    gone.append(ghost.transport)
    chat.clock.advance(HANGUP_CHECK_SECONDS)
    assert ghost.transport.disconnected
    ghost.drop()  # what the abort leads to
    chat.clock.pump([1] * 30)
    assert bob.lines() == ["* ghost has left the chat"]
    assert chat.hub.online() == ("bob",)


def test_a_long_pause_is_checked_for_hang_ups_every_second(make_chat, monkeypatch):
    """A debt of minutes (thousands of telnet commands) does not make a ghost for minutes."""
    import chatd.doors.line as line_door
    from chatd.doors.flood import HANGUP_CHECK_SECONDS

    chat = make_chat(rate=5, burst=20)
    mallory = chat.join("mallory")
    mallory.send(b"\xff\xf1" * 3000)  # IAC NOP: 600 seconds' worth of budget
    monkeypatch.setattr(line_door, "hung_up", lambda transport: True)
    chat.clock.advance(HANGUP_CHECK_SECONDS)
    assert mallory.transport.disconnected


def test_a_paused_connection_parks_about_a_line_not_64_kib(make_chat):
    """With flood control on, the door has its transport read one line's worth at a time."""

    class TCPTransport(StringTransport):
        bufferSize = 65536  # Twisted's read size

    chat = make_chat(max_line_length=4096)
    peer = IPv4Address("TCP", "127.0.0.1", 5000)
    door = chat.factory.buildProtocol(peer)
    transport = TCPTransport(peerAddress=peer)
    door.makeConnection(transport)
    assert transport.bufferSize == 4096 + 2  # the line, its CR and its LF
