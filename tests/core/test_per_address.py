"""The per-address limit: one address cannot take every slot of the server."""

from __future__ import annotations

import pytest

from chatd.core.errors import ArrivingTooFast, TooManyFromAddress
from chatd.core.events import Refused
from chatd.core.logquota import WINDOW_SECONDS


def test_connections_over_the_per_address_limit_are_refused(make_room, log_capture):
    """With max_per_address 2 a third connection from one address is refused with the limit."""
    room = make_room(max_per_address=2)
    room.connect(origin="192.0.2.7")
    room.connect(origin="192.0.2.7")
    with pytest.raises(
        TooManyFromAddress, match=r"too many connections from your address \(limit 2\)"
    ):
        room.connect(origin="192.0.2.7")
    assert room.hub.connection_count == 2
    assert any("too many connections" in line for line in log_capture.formatted())


def test_other_addresses_are_not_affected(make_room):
    """One busy address does not stop another address from connecting."""
    room = make_room(max_per_address=1)
    room.connect(origin="192.0.2.7")
    room.connect(origin="198.51.100.1")
    room.connect(origin="2001:db8::1")
    assert room.hub.connection_count == 3


def test_a_closed_connection_frees_its_addresss_slot(make_room):
    """Once a connection from the address is gone, that address may connect again."""
    room = make_room(max_per_address=1)
    session, _ = room.connect(origin="192.0.2.7")
    session.lost()
    session.lost()  # losing twice must not free two slots
    room.connect(origin="192.0.2.7")
    with pytest.raises(TooManyFromAddress):
        room.connect(origin="192.0.2.7")


def test_ten_per_address_by_default(make_room):
    """By default one address holds at most ten connections, loopback included."""
    room = make_room(arrival_rate=0)
    for _ in range(10):
        room.connect(origin="127.0.0.1")
    with pytest.raises(TooManyFromAddress):
        room.connect(origin="127.0.0.1")


def test_no_per_address_limit_when_switched_off(make_room):
    """With max_per_address 0 many connections from one address are fine."""
    room = make_room(max_per_address=0, arrival_rate=0)
    for _ in range(50):
        room.connect(origin="127.0.0.1")
    assert room.hub.connection_count == 50


def test_connections_without_an_address_are_not_counted(make_room):
    """A door that cannot tell an address (origin None) is only subject to max_clients."""
    room = make_room(max_per_address=1)
    room.connect()
    room.connect()
    assert room.hub.connection_count == 2


# Arrivals: how fast one address may come and go


def test_arrivals_past_the_burst_are_refused_until_the_rate_allows(make_room):
    """Join/quit churn from one address is cut to arrival_rate once its burst is spent."""
    room = make_room(arrival_rate=1, arrival_burst=3)
    for _ in range(3):
        session, _ = room.connect(origin="192.0.2.7")
        session.lost()
    with pytest.raises(ArrivingTooFast, match="too many new connections from your address"):
        room.connect(origin="192.0.2.7")
    room.connect(origin="198.51.100.1")  # others are not affected
    room.clock.advance(1)
    room.connect(origin="192.0.2.7")


def test_renames_spend_the_same_budget(make_room):
    """Each rename is announced to everyone too, so it costs an arrival."""
    room = make_room(arrival_rate=1, arrival_burst=2)
    session, client = room.join("alice", origin="192.0.2.7")  # one arrival
    session.receive("/nick alice2")  # the second
    session.receive("/nick alice3")
    assert client.take()[-1] == Refused(
        "too many name changes from your address, try again in a moment", "arriving_too_fast"
    )
    room.clock.advance(1)
    session.receive("/nick alice3")
    assert session.name == "alice3"


def test_a_refusal_storm_is_logged_once_per_window(make_room, log_capture):
    """Thousands of refused connections from one address make one log line and a summary."""
    room = make_room(arrival_rate=1, arrival_burst=1)
    room.connect(origin="192.0.2.7")
    for _ in range(1000):
        with pytest.raises(ArrivingTooFast):
            room.connect(origin="192.0.2.7")
    room.clock.advance(WINDOW_SECONDS)
    lines = [line for line in log_capture.formatted() if "192.0.2.7" in line or "refused" in line]
    assert len(lines) == 2
    assert "999 more refused connections from 192.0.2.7" in lines[1]
