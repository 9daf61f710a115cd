"""The hub with fake clients: handshake, relaying, quitting, losing, limits and shutdown."""

from __future__ import annotations

import pytest

from chatd.core import ServerFull
from chatd.core.events import (
    AskName,
    Goodbye,
    Joined,
    Left,
    Motd,
    Online,
    Refused,
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
    assert client.take() == [
        Refused("the username ALICE is taken, please choose another", "name_taken")
    ]
    session.receive("alicia")
    assert client.take() == [Welcome("alicia"), Online(("alice", "alicia"))]


def test_name_is_the_trimmed_first_non_empty_line(room):
    """Whitespace around the first non-empty line is not part of the name."""
    session, client = room.connect()
    client.take()
    session.receive("")
    session.receive("  bob \t")
    assert client.take() == [Welcome("bob"), Online(("bob",))]


@pytest.mark.parametrize(
    "bad, reason, code",
    [
        ("server", "the username server is reserved, please choose another", "name_reserved"),
        ("two words", "a username may contain only letters, digits, '_', '-' and '.'",
         "name_invalid"),
        ("_x", "a username must start with a letter or a digit", "name_invalid"),
        ("n" * 25, "that username is too long (at most 24 characters)", "name_invalid"),
    ],
)  # fmt: skip
def test_bad_name_is_refused_and_retry_works(room, bad, reason, code):
    """A malformed or reserved name gets its reason; a good name on the same connection works."""
    _, alice = room.join("alice")
    session, client = room.connect()
    client.take()
    session.receive(bad)
    assert client.take() == [Refused(reason, code)]
    assert alice.take() == []
    session.receive("bob")
    assert client.take() == [Welcome("bob"), Online(("alice", "bob"))]
    assert alice.take() == [Joined("bob")]


def test_unnamed_connections_hear_nothing(room):
    """A connection still choosing its name receives no chat, joins or leaves."""
    pending, waiting = room.connect()
    waiting.take()
    alice_session, _ = room.join("alice")
    _, bob = room.join("bob")
    alice_session.receive("hello")
    bob.take()
    alice_session.lost()
    assert waiting.take() == []
    assert bob.take() == [Left("alice")]
    assert pending.name is None


def test_commands_before_a_name_are_refused(room):
    """Before choosing a name, commands other than /quit get a clear refusal."""
    session, client = room.connect()
    client.take()
    session.receive("/who")
    assert client.take() == [Refused("please choose a username first", "name_required")]


@pytest.mark.parametrize("line", ["<quit>", "/quit", "/QUIT bye"])
def test_quit_during_handshake_is_silent_for_others(room, line):
    """Leaving before choosing a name says goodbye to that connection only."""
    _, alice = room.join("alice")
    session, client = room.connect()
    client.take()
    session.receive(line)
    assert client.take() == [Goodbye(None)]
    assert client.close_calls == 1
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


def test_interleaved_chat_keeps_the_hub_order(room):
    """With several speakers each listener gets every other user's lines once, in hub order."""
    alice_session, alice = room.join("alice")
    bob_session, bob = room.join("bob")
    _, carol = room.join("carol")
    sent = []
    for session, text in [(alice_session, "a1"), (bob_session, "b1"), (alice_session, "a2")]:
        room.clock.now += 1
        session.receive(text)
        sent.append(Said(session.name, text, room.clock.now))
    assert carol.take() == sent
    assert alice.take() == [sent[1]]
    assert bob.take() == [sent[0], sent[2]]


@pytest.mark.parametrize(
    "line, reason", [("<quit>", None), ("/quit", None), ("/quit off to bed", "off to bed")]
)
def test_quit_says_goodbye_and_tells_the_others(room, line, reason):
    """Quitting closes the connection after Goodbye; the others get Left with the reason."""
    alice_session, alice = room.join("alice")
    _, bob = room.join("bob")
    alice_session.receive(line)
    assert alice.take() == [Goodbye("alice")]
    assert alice.close_calls == 1
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
    assert room.hub.connection_count == 1


def test_lost_connection_is_not_closed_again(room):
    """The hub does not ask a door to close a connection that is already gone."""
    alice_session, alice = room.join("alice")
    alice_session.lost()
    assert alice.close_calls == 0


def test_quit_when_the_door_drops_at_once(room):
    """A door that reports the loss inside close() still yields exactly one Left."""
    alice_session, alice = room.join("alice", drop_on_close=True)
    _, bob = room.join("bob")
    alice_session.receive("/quit later")
    assert alice.take() == [Goodbye("alice")]
    assert bob.take() == [Left("alice", "later")]
    assert room.hub.connection_count == 1


def test_max_clients_counts_connections(make_room):
    """Connections beyond max_clients are refused, named or not; a freed slot is reusable."""
    room = make_room(max_clients=2)
    first, _ = room.connect()
    room.join("alice")
    with pytest.raises(ServerFull, match="server is full, try again later"):
        room.connect()
    first.lost()
    room.connect()
    assert room.hub.connection_count == 2


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


def test_shutdown_when_doors_drop_at_once(room):
    """Connections that vanish inside close() during shutdown still cause no Left at all."""
    clients = [room.join(name, drop_on_close=True)[1] for name in ("alice", "bob", "carol")]
    room.hub.shutdown()
    for client in clients:
        assert client.take() == [ShuttingDown()]
        assert client.close_calls == 1
    assert room.hub.connection_count == 0


def test_nothing_is_delivered_after_shutdown(room):
    """ShuttingDown is the last event any connection gets, even if its door still sends lines."""
    alice_session, alice = room.join("alice")
    bob_session, bob = room.join("bob")
    room.hub.shutdown()
    alice_session.receive("one more thing")
    alice_session.receive("/nick zed")
    bob_session.receive("/who")
    assert room.late_events() == {}
    assert alice_session.name == "alice"
    assert (alice.events, bob.events) == ([ShuttingDown()], [ShuttingDown()])


def test_shutdown_leaves_connections_that_already_quit_alone(room):
    """Goodbye stays the last event of a connection that quit, even if shutdown comes first."""
    alice_session, alice = room.join("alice")
    stranger, unnamed = room.connect()
    alice_session.receive("/quit")
    stranger.receive("<quit>")
    room.hub.shutdown()
    late = room.late_events()
    room.clients.clear()  # report the failure here, not a second time in the fixture
    assert late == {}
    assert (alice.close_calls, unnamed.close_calls) == (1, 1)


class RecordingAudience:
    """An audience that records what the hub asks of it."""

    def __init__(self) -> None:
        self.members: list[object] = []
        self.broadcasts: list[tuple[object, object]] = []

    def add(self, session) -> None:
        self.members.append(session)

    def remove(self, session) -> None:
        self.members.remove(session)

    def broadcast(self, event, exclude, scope) -> None:
        self.broadcasts.append((event, exclude))

    def catch_up(self, session) -> None:
        pass


def test_a_door_audience_gets_each_broadcast_once_for_all_its_members(room):
    """Users who came with an audience hear broadcasts through it, once per event, not one call
    per user; users without one are delivered to directly."""
    audience = RecordingAudience()
    sessions, _ = zip(*(room.connect(audience=audience) for _ in range(3)), strict=True)
    for index, session in enumerate(sessions):
        session.receive(f"door{index}")
    plain, plain_client = room.join("plain")
    assert audience.members == list(sessions)
    audience.broadcasts.clear()
    sessions[0].receive("hello")
    plain.receive("hi")
    assert [(type(event), exclude) for event, exclude in audience.broadcasts] == [
        (Said, sessions[0]),
        (Said, plain),
    ]
    assert [event.text for event in plain_client.take()] == ["hello"]
    sessions[1].receive("<quit>")
    assert audience.members == [sessions[0], sessions[2]]


def test_a_door_audience_hears_nothing_once_its_last_member_left(room):
    """An audience whose members have all gone is dropped, and joins again with a new member."""
    plain, _ = room.join("plain")
    audience = RecordingAudience()
    door, _ = room.connect(audience=audience)
    door.receive("door")
    door.receive("<quit>")
    audience.broadcasts.clear()
    plain.receive("anyone?")
    assert audience.broadcasts == []
    again, _ = room.connect(audience=audience)
    again.receive("again")
    plain.receive("welcome back")
    assert [(type(event), exclude) for event, exclude in audience.broadcasts][-1] == (Said, plain)
