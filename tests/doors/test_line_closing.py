"""Every close the line door starts ends in bounded time, whatever the peer does."""

from __future__ import annotations

from chatd.doors.outbox import CLOSE_LINGER_SECONDS


def test_a_quit_to_a_peer_that_stopped_reading_is_aborted_after_the_linger(make_chat):
    """A peer advertising a zero window never takes its goodbye; the close becomes an abort."""
    chat = make_chat()
    alice, bob = chat.join("alice"), chat.join("bob")
    bob.transport.producer.pauseProducing()  # bob's window is shut
    alice.send(b"are you there?\n")
    bob.send(b"<quit>\n")
    assert bob.closing and not bob.transport.disconnected
    chat.clock.advance(CLOSE_LINGER_SECONDS - 0.1)
    assert not bob.transport.disconnected  # the goodbye had its chance
    chat.clock.advance(0.2)
    assert bob.transport.disconnected


def test_a_close_that_finishes_cancels_the_abort(make_chat):
    """A connection that closes by itself within the linger leaves no timer behind."""
    chat = make_chat()
    bob = chat.join("bob")
    bob.send(b"<quit>\n")
    assert chat.clock.getDelayedCalls()
    bob.drop()
    assert not [call for call in chat.clock.getDelayedCalls() if call.active()]


def test_a_handshake_timeout_is_bounded_too(make_chat):
    """A connection that never chose a name is told so, then closed within the linger."""
    chat = make_chat(handshake_timeout=3)
    wire = chat.connect()
    chat.clock.advance(3)
    assert wire.closing
    chat.clock.advance(CLOSE_LINGER_SECONDS)
    assert wire.transport.disconnected


def test_a_tls_connection_that_never_finished_its_handshake_is_aborted_outright(make_chat):
    """Its greeting waits for a handshake that may never come, so its close cannot wait for it."""
    chat = make_chat(handshake_timeout=3)
    wire = chat.connect(tls=True)
    chat.clock.advance(3)
    chat.clock.advance(0)
    assert wire.transport.disconnected


def test_a_refused_tls_connection_is_aborted_outright(make_chat):
    """Refusals (server full) of connections still in their TLS handshake free the slot at once."""
    chat = make_chat(max_clients=1)
    chat.connect()
    refused = chat.connect(tls=True)
    chat.clock.advance(0)
    assert refused.transport.disconnected


def test_a_tls_connection_past_its_handshake_closes_politely(make_chat):
    """Once the handshake is done a TLS close lingers like any other, so the goodbye gets out."""
    chat = make_chat()
    wire = chat.connect(tls=True)
    wire.door.handshakeCompleted()
    wire.send(b"bob\n", b"<quit>\n")
    chat.clock.advance(0)
    assert wire.closing and not wire.transport.disconnected
    assert wire.lines()[-1] == "* Goodbye bob!"


def test_a_lost_connection_frees_its_transport_and_unsent_output_at_once(make_chat):
    """The door, outbox and session are a cycle the collector frees later; the transport, and
    what a reader that had stopped reading was still owed, must go at once."""
    import gc
    import weakref

    from twisted.internet.address import IPv4Address
    from twisted.internet.testing import StringTransport

    chat = make_chat()
    alice = chat.join("alice")
    peer = IPv4Address("TCP", "127.0.0.1", 5000)
    door = chat.factory.buildProtocol(peer)
    transport = StringTransport(peerAddress=peer)
    door.makeConnection(transport)
    door.dataReceived(b"stuck\n")
    transport.producer.pauseProducing()  # stuck stops reading
    alice.send(b"x" * 4000 + b"\n")
    chat.clock.advance(0)
    assert door.outbox.held > 4000
    gone = weakref.ref(transport)
    gc.disable()
    try:
        door.connectionLost()
        del transport
        assert gone() is None  # freed by reference counting, not waiting for a collection
        assert door.peer == "127.0.0.1:5000"  # it is still known who that was
    finally:
        gc.enable()
