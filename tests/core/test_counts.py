"""The hub's plain counts for the metrics: refusals by limit, and handshake timeouts."""

from __future__ import annotations

import pytest

from chatd.core.errors import ArrivingTooFast, RecipientBusy, ServerFull, TooManyFromAddress


def test_a_new_hub_has_counted_nothing(room):
    """Before anything happens every count is zero."""
    assert room.hub.refusals == {}
    assert room.hub.handshake_timeouts == 0


def test_refused_connections_are_counted_by_the_limit_that_refused_them(make_room):
    """Each refused connection counts once, under max_clients, max_per_ip or arrival_rate."""
    room = make_room(max_clients=3, max_per_address=1, arrival_rate=1, arrival_burst=1)
    room.connect(origin="192.0.2.1")
    with pytest.raises(TooManyFromAddress):
        room.connect(origin="192.0.2.1")
    room.connect(origin="192.0.2.2")
    session, _ = room.connect(origin="192.0.2.3")
    session.lost()
    with pytest.raises(ArrivingTooFast):  # a free slot, but the address spent its arrival
        room.connect(origin="192.0.2.3")
    room.connect(origin="192.0.2.4")
    for origin in ("192.0.2.5", "192.0.2.6"):
        with pytest.raises(ServerFull):
            room.connect(origin=origin)
    assert room.hub.refusals == {"max_per_ip": 1, "arrival_rate": 1, "max_clients": 2}


def test_connections_refused_while_stopping_are_counted_apart(room):
    """A connection refused because the server is shutting down is not a full server."""
    room.hub.shutdown()
    with pytest.raises(ServerFull):
        room.connect()
    assert room.hub.refusals == {"shutting_down": 1}


def test_refused_name_changes_and_private_messages_are_counted(make_room):
    """A rename over the arrival budget and a private message over the inbox's each count."""
    room = make_room(
        max_per_address=0, arrival_rate=1, arrival_burst=2, private_rate=1, private_burst=1
    )
    alice, _ = room.join("alice", origin="192.0.2.1")
    room.join("bob", origin="192.0.2.2")
    with pytest.raises(ArrivingTooFast):
        room.hub.rename(alice, "alicia")  # the connection spent one, the rename the other
        room.hub.rename(alice, "alice2")
    room.hub.whisper(alice, "bob", "one")
    with pytest.raises(RecipientBusy):
        room.hub.whisper(alice, "bob", "two")
    assert room.hub.refusals == {"name_change_rate": 1, "private_rate": 1}


def test_handshake_timeouts_are_counted(make_room):
    """Each connection closed for choosing no name in time counts once; a named one does not."""
    room = make_room(handshake_timeout=10)
    room.connect()
    room.connect()
    named, _ = room.connect()
    named.receive("carol")
    room.clock.advance(11)
    assert room.hub.handshake_timeouts == 2
