"""Recent-line history: what it keeps, how much, and how a newcomer is shown it."""

from __future__ import annotations

import pytest
from twisted.internet.task import Clock

from chatd.core import Hub
from chatd.core.events import Acted, AskName, Online, Replayed, Said, Welcome


def test_history_size_cannot_be_negative():
    """A negative history size is a configuration error, not an empty history."""
    with pytest.raises(ValueError, match="history size cannot be negative"):
        Hub(clock=Clock(), history_size=-1)


def newcomer_events(room, name="zed"):
    session, client = room.connect()
    client.take()
    session.receive(name)
    return client.take()


def test_newcomer_gets_history_after_welcome_and_online(room):
    """Replayed lines come after Welcome and Online, oldest first, with their original times."""
    alice_session, _ = room.join("alice")
    alice_session.receive("first")
    first_at = room.clock.now
    room.clock.now += 125
    alice_session.receive("/me waves")
    assert newcomer_events(room) == [
        Welcome("zed"),
        Online(("alice", "zed")),
        Replayed(Said("alice", "first", first_at)),
        Replayed(Acted("alice", "waves", first_at + 125)),
    ]


def test_default_history_replays_the_last_twenty_lines(room):
    """With default options a newcomer sees exactly the 20 most recent lines."""
    alice_session, _ = room.join("alice")
    for number in range(25):
        room.clock.now += 1
        alice_session.receive(f"line {number}")
    replayed = [event for event in newcomer_events(room) if isinstance(event, Replayed)]
    assert [event.original.text for event in replayed] == [f"line {n}" for n in range(5, 25)]


def test_configured_history_size_bounds_the_replay(make_room):
    """With history_size=2 only the two most recent spoken lines are replayed."""
    room = make_room(history_size=2)
    alice_session, _ = room.join("alice")
    for text in ("one", "two", "three"):
        alice_session.receive(text)
    replayed = [event for event in newcomer_events(room) if isinstance(event, Replayed)]
    assert [event.original.text for event in replayed] == ["two", "three"]


def test_history_zero_disables_replay(make_room):
    """With history_size=0 a newcomer sees Welcome and Online and nothing else."""
    room = make_room(history_size=0)
    alice_session, _ = room.join("alice")
    alice_session.receive("one")
    session, bob = room.connect()
    session.receive("bob")
    assert bob.take() == [AskName(), Welcome("bob"), Online(("alice", "bob"))]


def test_only_chat_and_actions_are_recorded(room):
    """Private messages, commands, renames, joins, leaves and refusals never enter the history."""
    alice_session, _ = room.join("alice")
    bob_session, _ = room.join("bob")
    alice_session.receive("/msg bob secret")
    alice_session.receive("/who")
    alice_session.receive("/help")
    alice_session.receive("/nick alicia")
    alice_session.receive("/nonsense")
    bob_session.receive("/quit bye")
    alice_session.receive("/me stays")
    assert [event for event in newcomer_events(room) if isinstance(event, Replayed)] == [
        Replayed(Acted("alicia", "stays", room.clock.now))
    ]


def test_history_keeps_the_name_used_at_the_time(room):
    """A line said before a rename is replayed under the old name, as it was seen."""
    alice_session, _ = room.join("alice")
    alice_session.receive("before")
    alice_session.receive("/nick alicia")
    alice_session.receive("after")
    replayed = [event.original for event in newcomer_events(room) if isinstance(event, Replayed)]
    assert [(line.name, line.text) for line in replayed] == [
        ("alice", "before"),
        ("alicia", "after"),
    ]


def test_history_survives_the_speaker_leaving(room):
    """Lines stay in the history after their speaker has gone."""
    alice_session, _ = room.join("alice")
    alice_session.receive("still here?")
    alice_session.lost()
    assert newcomer_events(room) == [
        Welcome("zed"),
        Online(("zed",)),
        Replayed(Said("alice", "still here?", room.clock.now)),
    ]
