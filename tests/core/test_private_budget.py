"""Each user's budget of private messages: many senders cannot bury one recipient."""

from __future__ import annotations

from chatd.core.events import Refused, Whispered


def test_private_messages_past_the_budget_are_refused_to_their_senders(make_room):
    """Twenty senders flooding one user: the burst arrives, then each sender is told to wait."""
    room = make_room(private_rate=5, private_burst=20, max_per_address=0, arrival_rate=0)
    _, victim = room.join("victim")
    senders = [room.join(f"sender{number}") for number in range(20)]
    for _ in range(3):
        for session, _ in senders:
            session.receive("/msg victim hello")
    received = [event for event in victim.take() if isinstance(event, Whispered)]
    assert len(received) == 20
    refusals = [
        event for _, client in senders for event in client.take() if isinstance(event, Refused)
    ]
    assert len(refusals) == 40
    assert set(refusals) == {
        Refused(
            "victim is getting too many private messages, try again in a moment",
            "recipient_busy",
        )
    }
    room.clock.advance(1)
    senders[0][0].receive("/msg victim after a second")
    assert victim.take() == [Whispered("sender0", "after a second")]


def test_the_budget_is_per_recipient(make_room):
    """One user's full inbox does not stop private messages to anyone else."""
    room = make_room(private_rate=1, private_burst=1)
    alice, _ = room.join("alice")
    _, bob = room.join("bob")
    _, carol = room.join("carol")
    alice.receive("/msg bob one")
    alice.receive("/msg carol one")
    assert bob.take() == [Whispered("alice", "one")]
    assert carol.take() == [Whispered("alice", "one")]


def test_no_budget_when_switched_off(make_room):
    """With private_rate 0 every private message is delivered."""
    room = make_room(private_rate=0)
    alice, _ = room.join("alice")
    _, bob = room.join("bob")
    for _ in range(100):
        alice.receive("/msg bob hi")
    assert len(bob.take()) == 100
