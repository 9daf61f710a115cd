"""Handshake and idle timeouts: connections cannot hold a slot for ever without taking part."""

from __future__ import annotations

from chatd.core.events import Joined, Left, Refused, Said

TIMED_OUT = Refused("timed out waiting for a username", "name_timeout")


def test_a_connection_without_a_name_is_closed_after_the_handshake_timeout(make_room):
    """No username within handshake_timeout: one refusal, then the door is asked to close."""
    room = make_room(handshake_timeout=30)
    _, client = room.connect(drop_on_close=True)
    client.take()
    room.clock.advance(29.9)
    assert client.take() == [] and not client.closed
    room.clock.advance(0.1)
    assert client.take() == [TIMED_OUT]
    assert client.closed
    assert room.hub.connection_count == 0


def test_typing_without_choosing_a_name_does_not_extend_the_handshake(make_room):
    """Refused names and commands do not reset the clock: only a name ends the wait."""
    room = make_room(handshake_timeout=10)
    session, client = room.connect()
    for second in range(9):
        room.clock.advance(1)
        session.receive("/who" if second % 2 else "no spaces allowed")
    client.take()
    room.clock.advance(1)
    assert client.take() == [TIMED_OUT]


def test_choosing_a_name_in_time_stops_the_handshake_timeout(make_room):
    """A user who named themselves in time is not disconnected when the timeout passes."""
    room = make_room(handshake_timeout=10)
    session, client = room.connect()
    room.clock.advance(9)
    session.receive("alice")
    client.take()
    room.clock.advance(3600)
    assert client.take() == [] and not client.closed


def test_a_lost_connection_leaves_no_timer_behind(make_room):
    """Losing the connection cancels its timeout: nothing is delivered to it afterwards."""
    room = make_room(handshake_timeout=10)
    session, _ = room.connect()
    session.lost()
    assert room.clock.getDelayedCalls() == []


def test_handshake_timeout_zero_waits_for_ever(make_room):
    """With handshake_timeout 0 an unnamed connection is never timed out."""
    room = make_room(handshake_timeout=0)
    _, client = room.connect()
    client.take()
    room.clock.advance(10**6)
    assert client.take() == [] and not client.closed


def test_silent_users_are_disconnected_after_the_idle_timeout(make_room):
    """A named user who sends nothing for idle_timeout is told why and the others see them go."""
    room = make_room(idle_timeout=300)
    _, alice = room.join("alice", drop_on_close=True)
    bob_session, bob = room.join("bob")
    room.clock.advance(200)
    bob_session.receive("/who")  # bob is not idle
    room.clock.advance(99)
    bob.take()
    assert alice.take() == []
    room.clock.advance(1)
    assert alice.take() == [Refused("disconnected: idle for 300 seconds", "idle")]
    assert alice.closed
    assert bob.take() == [Left("alice", "idle")]
    assert room.hub.online() == ("bob",)


def test_every_line_restarts_the_idle_timeout(make_room):
    """Each line a user sends, commands included, gives them idle_timeout again."""
    room = make_room(idle_timeout=60)
    session, alice = room.join("alice")
    bob_session, bob = room.join("bob")
    for _ in range(5):
        room.clock.advance(50)
        session.receive("/who")
        bob_session.receive("/who")
    room.clock.advance(50)
    session.receive("still here")
    assert bob.take()[-1] == Said("alice", "still here", room.clock.now)
    room.clock.advance(59)
    assert not alice.closed


def test_idle_timeout_is_off_by_default(room):
    """By default a silent user stays connected however long they are silent."""
    _, alice = room.join("alice")
    room.clock.advance(10**6)
    assert not alice.closed
    assert room.clock.getDelayedCalls() == []


def test_the_idle_timeout_starts_when_the_name_is_chosen(make_room):
    """Time spent choosing a name does not count against the idle timeout."""
    room = make_room(handshake_timeout=60, idle_timeout=100)
    _, watcher = room.join("watcher")
    session, alice = room.connect()
    room.clock.advance(59)
    session.receive("alice")
    assert watcher.take() == [Joined("alice")]
    room.clock.advance(99)
    assert not alice.closed
    room.clock.advance(1)
    assert alice.closed


def test_connections_share_one_timer_whatever_their_number(make_room):
    """Many connections waiting to choose a name cost the reactor one delayed call, not one each
    (a delayed call is a few hundred bytes, and a cancelled one lingers in the reactor)."""
    room = make_room(handshake_timeout=30, idle_timeout=60)
    sessions = [room.connect()[0] for _ in range(50)]
    assert len(room.clock.getDelayedCalls()) == 1
    for number, session in enumerate(sessions[:25]):
        session.receive(f"user{number}")
    assert len(room.clock.getDelayedCalls()) == 2  # one for handshakes, one for silences
