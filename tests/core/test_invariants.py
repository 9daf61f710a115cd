"""Properties that must hold after any sequence of joins, renames, quits and lost connections."""

from __future__ import annotations

import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatd.core.events import Joined, Left, NameChanged, Online, Renamed

# Colliding spellings, a reserved name and a malformed one, so that refusals happen often.
NAMES = ["alice", "Alice", "ＡＬＩＣＥ", "bob", "BOB", "carol", "server", "-bad"]

# Connections and name lines come twice as often, so that several users are online at once.
STEPS = st.lists(
    st.tuples(
        st.sampled_from(["connect", "connect", "line", "line", "nick", "quit", "lost"]),
        st.integers(0, 5),
        st.sampled_from(NAMES),
    ),
    min_size=10,
    max_size=60,
)


def same_name_key(name: str) -> str:
    """The spec's collision rule, written out here so a broken name_key cannot hide itself."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def follow(view: set[str], event, own_name: str | None) -> None:
    """Update one user's idea of who is online from an event they received."""
    if isinstance(event, NameChanged):
        view.remove(own_name)
        view.add(event.name)
    elif isinstance(event, Online):
        view.clear()
        view.update(event.names)
    elif isinstance(event, Joined):
        assert event.name not in view, f"joined twice: {event.name}"
        view.add(event.name)
    elif isinstance(event, Left):
        view.remove(event.name)
    elif isinstance(event, Renamed):
        view.remove(event.old)
        view.add(event.new)


def perform(session, action: str, name: str) -> None:
    if action == "line":
        session.receive(name)
    elif action == "nick":
        session.receive(f"/nick {name}")
    elif action == "quit":
        session.receive("/quit")
        session.lost()
    else:
        session.lost()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=STEPS)
def test_names_stay_unique_and_everyones_view_stays_true(make_room, steps):
    """After any joins, renames and leaves, names are unique and Joined/Left/Renamed add up."""
    room = make_room()
    live = []  # sessions whose connection is still open
    views = {}  # what each named user has been told about who is online
    for action, index, name in steps:
        if action == "connect" or not live:
            live.append(room.connect()[0])
            continue
        session = live[index % len(live)]
        name_before = session.name
        perform(session, action, name)
        if action in ("quit", "lost"):
            live.remove(session)
            views.pop(session, None)

        online = room.hub.online()
        keys = [same_name_key(user) for user in online]
        assert len(keys) == len(set(keys)), online
        assert sorted(online) == sorted(s.name for s in live if s.name is not None)
        assert room.hub.connection_count == len(live)
        for user in live:
            if user.name is not None:
                view = views.setdefault(user, set())
                own_name = name_before if user is session else user.name
                for event in user.client.take():
                    follow(view, event, own_name)
                assert view == set(online), f"{user.name} believes {view}"
