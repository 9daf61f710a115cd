"""The hub with fake clients: handshake, relaying, leaving, history, limits and shutdown."""

from __future__ import annotations

import pytest

from chatd.core import ServerFull
from chatd.core.events import (
    Acted,
    AskName,
    Goodbye,
    Joined,
    Left,
    Motd,
    Online,
    Refused,
    Replayed,
    Said,
    ShuttingDown,
    Welcome,
)


def test_connect_sends_motd_then_asks_for_a_name(make_room):
    """A new connection sees the MOTD lines, then the request for a username."""
    room = make_room(motd=["hello", "be nice"])
    _, client = room.connect()
    assert client.take() == [Motd("hello"), Motd("be nice"), AskName()]


def test_join_welcomes_lists_and_announces(room):
    """The newcomer gets Welcome and Online; the others get Joined; nobody else sees more."""
    _, alice = room.join("alice")
    session, bob = room.connect()
    bob.take()
    session.receive("bob")
    assert bob.take() == [Welcome("bob"), Online(("alice", "bob"))]
    assert alice.take() == [Joined("bob")]


def test_blank_lines_are_not_names(room):
    """Empty and whitespace-only lines during the handshake are ignored."""
    session, client = room.connect()
    client.take()
    session.receive("")
    session.receive("   \t ")
    assert client.take() == []
    assert session.name is None


def test_refused_name_can_be_retried(room):
    """A taken name gets a Refused and the same connection may try another."""
    room.join("alice")
    session, client = room.connect()
    client.take()
    session.receive("ALICE")
    assert client.take() == [Refused("the username ALICE is taken, please choose another")]
    session.receive("alicia")
    assert client.take()[0] == Welcome("alicia")


def test_commands_before_a_name_are_refused(room):
    """Before choosing a name, commands other than /quit get a clear refusal."""
    session, client = room.connect()
    client.take()
    session.receive("/who")
    assert client.take() == [Refused("please choose a username first")]


@pytest.mark.parametrize("line", ["<quit>", "/quit", "/QUIT bye"])
def test_quit_during_handshake_is_silent_for_others(room, line):
    """Leaving before choosing a name says goodbye to that connection only."""
    _, alice = room.join("alice")
    session, client = room.connect()
    client.take()
    session.receive(line)
    assert client.take() == [Goodbye(None)]
    assert client.closed
    session.lost()
    assert alice.take() == []


def test_lost_before_a_name_is_silent(room):
    """A connection that never named itself causes no join or leave notice."""
    _, alice = room.join("alice")
    session, _ = room.connect()
    session.receive("/nonsense")
    session.lost()
    assert alice.take() == []
    assert room.hub.connection_count == 1


def test_chat_goes_to_every_other_user_once_in_order(room):
    """Each line reaches every other user exactly once, in order, and is not echoed."""
    alice_session, alice = room.join("alice")
    _, bob = room.join("bob")
    _, carol = room.join("carol")
    for number in range(5):
        alice_session.receive(f"line {number}")
    expected = [Said("alice", f"line {number}", room.clock.now) for number in range(5)]
    assert bob.take() == expected
    assert carol.take() == expected
    assert alice.take() == []


def test_chat_keeps_leading_spaces_and_trims_trailing_ones(room):
    """Indentation is the user's; trailing whitespace is noise."""
    alice_session, _ = room.join("alice")
    _, bob = room.join("bob")
    alice_session.receive("   indented   \t")
    assert bob.take() == [Said("alice", "   indented", room.clock.now)]


def test_double_slash_sends_a_literal_slash_line(room):
    """``//text`` is relayed as the chat line ``/text``."""
    alice_session, _ = room.join("alice")
    _, bob = room.join("bob")
    alice_session.receive("//shrug")
    assert bob.take() == [Said("alice", "/shrug", room.clock.now)]


@pytest.mark.parametrize(
    "line, reason", [("<quit>", None), ("/quit", None), ("/quit off to bed", "off to bed")]
)
def test_quit_says_goodbye_and_tells_the_others(room, line, reason):
    """Quitting closes the connection after Goodbye; the others get Left with the reason."""
    alice_session, alice = room.join("alice")
    _, bob = room.join("bob")
    alice_session.receive(line)
    assert alice.take() == [Goodbye("alice")]
    assert alice.closed
    assert bob.take() == [Left("alice", reason)]
    alice_session.receive("too late")
    alice_session.lost()
    assert bob.take() == []
    assert room.hub.online() == ("bob",)


def test_lost_connection_is_a_leave(room):
    """A connection that drops is announced as a leave and removed from /who."""
    alice_session, _ = room.join("alice")
    _, bob = room.join("bob")
    alice_session.lost()
    alice_session.lost()
    assert bob.take() == [Left("alice")]
    assert room.hub.online() == ("bob",)


def test_history_replays_recent_spoken_lines(make_room):
    """A newcomer sees the last N chat and action lines, with their original times."""
    room = make_room(history_size=2)
    alice_session, _ = room.join("alice")
    alice_session.receive("one")
    room.clock.now += 60
    alice_session.receive("two")
    alice_session.receive("/msg alice private")
    alice_session.receive("/me three")
    session, bob = room.connect()
    session.receive("bob")
    assert bob.take()[-2:] == [
        Replayed(Said("alice", "two", room.clock.now)),
        Replayed(Acted("alice", "three", room.clock.now)),
    ]


def test_history_zero_disables_replay(make_room):
    """With a history size of 0 a newcomer sees no earlier lines."""
    room = make_room(history_size=0)
    alice_session, _ = room.join("alice")
    alice_session.receive("one")
    session, bob = room.connect()
    session.receive("bob")
    assert [type(event) for event in bob.take()] == [AskName, Welcome, Online]


def test_max_clients_counts_connections(make_room):
    """Connections beyond max_clients are refused, named or not; a freed slot is reusable."""
    room = make_room(max_clients=2)
    first, _ = room.connect()
    room.join("alice")
    with pytest.raises(ServerFull, match="server is full, try again later"):
        room.connect()
    first.lost()
    room.connect()


def test_shutdown_tells_every_connection_and_announces_no_leaves(room):
    """Shutdown notifies and closes every connection; their losses cause no Left storm."""
    alice_session, alice = room.join("alice")
    bob_session, bob = room.join("bob")
    pending, newcomer = room.connect()
    newcomer.take()
    room.hub.shutdown()
    for client in (alice, bob, newcomer):
        assert client.take() == [ShuttingDown()]
        assert client.closed
    for session in (alice_session, bob_session, pending):
        session.lost()
    assert room.hub.connection_count == 0
    with pytest.raises(ServerFull):
        room.connect()
