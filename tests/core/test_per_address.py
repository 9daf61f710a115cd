"""The per-address limit: one address cannot take every slot of the server."""

from __future__ import annotations

import pytest

from chatd.core.errors import TooManyFromAddress


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
    assert any("192.0.2.7" in line for line in log_capture.formatted())


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


def test_no_per_address_limit_by_default(room):
    """By default many connections from one address are fine."""
    for _ in range(50):
        room.connect(origin="127.0.0.1")
    assert room.hub.connection_count == 50


def test_connections_without_an_address_are_not_counted(make_room):
    """A door that cannot tell an address (origin None) is only subject to max_clients."""
    room = make_room(max_per_address=1)
    room.connect()
    room.connect()
    assert room.hub.connection_count == 2
