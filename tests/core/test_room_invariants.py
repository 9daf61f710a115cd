"""Properties of rooms that must hold after any sequence of joins, parts, lines and departures."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatd.core.events import Joined, NowTalking, Parted, RoomJoined, Said, YouLeft
from chatd.core.names import name_key

ROOMS = ["#lobby", "#dev", "#DEV", "#ops", "#x"]

STEPS = st.lists(
    st.tuples(
        st.sampled_from(["connect", "join", "join", "part", "part_named", "say", "lost"]),
        st.integers(0, 5),
        st.sampled_from(ROOMS),
    ),
    min_size=10,
    max_size=60,
)


def check_memberships(hub, users) -> None:
    """Each room's members are exactly the users whose rooms include it; current is last."""
    for session in users:
        assert session.rooms, f"{session.name} is in no room"
        assert len(set(session.rooms)) == len(session.rooms), session.rooms
        for room in session.rooms:
            assert session in room.members
    for room in hub.rooms._rooms.values():
        assert set(room.members) == {s for s in users if room in s.rooms}, room
    active = sum(1 for room in hub.rooms._rooms.values() if room.members)
    assert hub.rooms.active_count == active


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=STEPS)
def test_memberships_current_rooms_and_what_people_hear_stay_consistent(make_room, steps):
    """Nobody hears a room's lines or notices unless in it, and each room knows its members."""
    room = make_room(max_per_address=0, arrival_rate=0)
    users = []
    numbered = 0
    for action, index, room_name in steps:
        if action == "connect" or not users:
            session, _ = room.connect()
            numbered += 1
            session.receive(f"user{numbered}")
            users.append(session)
            continue
        session = users[index % len(users)]
        if action == "join":
            session.receive(f"/join {room_name}")
        elif action == "part":
            session.receive("/part")
        elif action == "part_named":
            session.receive(f"/part {room_name}")
        elif action == "say":
            session.receive("hello")
        else:
            session.lost()
            users.remove(session)
        check_memberships(room.hub, users)
        for user in users:
            in_rooms = {r.name for r in user.rooms}
            for event in user.client.take():
                if isinstance(event, Said | RoomJoined | Parted | Joined):
                    # Delivered at once (DirectAudience): the reader was in the room then,
                    # and a reader's rooms only change through its own steps.
                    assert event.room in in_rooms or user is session, (user.name, event)
                if isinstance(event, NowTalking):
                    assert user.rooms[-1].name == event.room
                    assert set(event.names) == {s.name for s in user.rooms[-1].members}
                    assert list(event.names) == sorted(event.names, key=name_key)
                if isinstance(event, YouLeft):
                    assert event.room not in in_rooms
