"""Hub.reconfigure and Deadlines.change: new settings from a reload, with nobody disconnected."""

from __future__ import annotations

import pytest
from twisted.internet.task import Clock

from chatd.core.deadlines import Deadlines
from chatd.core.errors import ArrivingTooFast, RecipientBusy, ServerFull, TooManyFromAddress
from chatd.core.events import Motd, Refused
from chatd.limits import Limits

TIMED_OUT = Refused("timed out waiting for a username", "name_timeout")


def reconfigure(room, motd=(), log_messages=False, **limits) -> None:
    room.hub.reconfigure(limits=Limits(**limits), motd=motd, log_messages=log_messages)


def test_a_new_motd_is_shown_to_new_connections_only(make_room):
    """After reconfigure a new connection sees the new MOTD; an open one hears nothing."""
    room = make_room(motd=["old"])
    _, old = room.connect()
    assert old.take()[0] == Motd("old")
    reconfigure(room, motd=["new one", "second"])
    assert old.take() == [] and not old.closed
    _, new = room.connect()
    assert new.take()[:2] == [Motd("new one"), Motd("second")]


def test_lowering_max_clients_refuses_newcomers_and_keeps_everyone(make_room):
    """Below the number connected, nobody is dropped and the next arrival is refused."""
    room = make_room(max_clients=5, max_per_address=0)
    clients = [room.connect()[1] for _ in range(3)]
    reconfigure(room, max_clients=2, max_per_address=0)
    assert not any(client.closed for client in clients)
    with pytest.raises(ServerFull):
        room.connect()
    reconfigure(room, max_clients=4, max_per_address=0)
    room.connect()


def test_max_per_address_applies_to_the_next_arrival(make_room):
    """A lower per-address limit refuses the next connection from a full address."""
    room = make_room(max_per_address=3, arrival_rate=0)
    room.connect(origin="10.0.0.1")
    room.connect(origin="10.0.0.1")
    reconfigure(room, max_per_address=2, arrival_rate=0)
    with pytest.raises(TooManyFromAddress):
        room.connect(origin="10.0.0.1")


def test_a_changed_arrival_budget_takes_effect(make_room):
    """Turning the arrival rate on makes an address's burst count from the reconfigure."""
    room = make_room(arrival_rate=0, max_per_address=0)
    reconfigure(room, arrival_rate=1, arrival_burst=2, max_per_address=0)
    room.connect(origin="10.0.0.1")
    room.connect(origin="10.0.0.1")
    with pytest.raises(ArrivingTooFast):
        room.connect(origin="10.0.0.1")
    reconfigure(room, arrival_rate=0, max_per_address=0)
    room.connect(origin="10.0.0.1")


def test_a_changed_private_budget_refills_every_inbox(make_room):
    """New private_rate/private_burst apply to inboxes made before the change."""
    room = make_room(private_rate=1, private_burst=1)
    alice, _ = room.join("alice")
    room.join("bob")
    alice.receive("/msg bob one")
    with pytest.raises(RecipientBusy):
        room.hub.whisper(alice, "bob", "two")
    reconfigure(room, private_rate=1, private_burst=3)
    for text in ("two", "three", "four"):
        room.hub.whisper(alice, "bob", text)
    with pytest.raises(RecipientBusy):
        room.hub.whisper(alice, "bob", "five")


def test_a_shorter_handshake_timeout_counts_from_the_connection(make_room):
    """A wait under way keeps its start: 60s shortened to 10s after 8s leaves 2s."""
    room = make_room(handshake_timeout=60)
    _, client = room.connect()
    client.take()
    room.clock.advance(8)
    reconfigure(room, handshake_timeout=10)
    room.clock.advance(1.9)
    assert not client.closed
    room.clock.advance(0.1)
    assert client.take() == [TIMED_OUT]


def test_a_handshake_timeout_turned_on_starts_the_wait_for_those_connected(make_room):
    """With the timeout off, connections were not timed; turned on, their wait starts now."""
    room = make_room(handshake_timeout=0)
    _, client = room.connect()
    room.clock.advance(100)
    reconfigure(room, handshake_timeout=5)
    room.clock.advance(4.9)
    assert not client.closed
    room.clock.advance(0.1)
    assert client.closed


def test_an_idle_timeout_turned_on_times_named_users_only(make_room):
    """Turning idle_timeout on times every user online; a connection still naming itself is not
    disconnected as idle."""
    room = make_room(handshake_timeout=0, idle_timeout=0)
    _, alice = room.join("alice")
    _, stranger = room.connect()
    reconfigure(room, handshake_timeout=0, idle_timeout=30)
    room.clock.advance(30)
    assert alice.take()[-1] == Refused("disconnected: idle for 30 seconds", "idle")
    assert not stranger.closed


def test_a_timeout_turned_off_disconnects_nobody(make_room):
    """handshake_timeout 0 after a reconfigure: the pending waits are dropped."""
    room = make_room(handshake_timeout=10)
    _, client = room.connect()
    reconfigure(room, handshake_timeout=0)
    room.clock.advance(1000)
    assert not client.closed
    assert room.clock.getDelayedCalls() == []


def test_log_messages_can_be_switched_on(make_room, log_capture):
    """reconfigure(log_messages=True) logs the text of the next chat line."""
    room = make_room()
    alice, _ = room.join("alice")
    alice.receive("before")
    reconfigure(room, log_messages=True)
    alice.receive("after")
    texts = [event.get("text") for event in log_capture.events]
    assert "after" in texts and "before" not in texts


def test_deadlines_change_shifts_every_wait_and_keeps_one_timer():
    """Changing the length moves every deadline by the difference, in the same order."""
    clock = Clock()
    expired: list[str] = []
    deadlines = Deadlines(clock, 10, expired.append)
    deadlines.start("a")
    clock.advance(2)
    deadlines.start("b")
    deadlines.change(20, [])
    clock.advance(17.9)  # t=19.9
    assert expired == []
    clock.advance(0.1)
    assert expired == ["a"]
    assert len(clock.getDelayedCalls()) == 1
    clock.advance(2)
    assert expired == ["a", "b"]


def test_deadlines_change_expires_what_is_already_past_due():
    """A wait already longer than the new length expires on the next turn, not never."""
    clock = Clock()
    expired: list[str] = []
    deadlines = Deadlines(clock, 60, expired.append)
    deadlines.start("a")
    clock.advance(30)
    deadlines.change(10, [])
    clock.advance(0)
    assert expired == ["a"]
