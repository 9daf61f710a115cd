"""Rooms in the hub: joining, leaving, topics, who hears what, history and receipts."""

from __future__ import annotations

import pytest

from chatd.core.events import (
    History,
    InRoom,
    Joined,
    Left,
    NowTalking,
    Parted,
    Receipt,
    ReceiptsSet,
    Refused,
    Renamed,
    Replayed,
    RoomJoined,
    RoomList,
    Said,
    TopicIs,
    TopicSet,
    YouLeft,
)
from chatd.core.store import MemoryStore, RoomRecord, StoredLine, Topic


def said(room: str, name: str, text: str, at: float) -> Said:
    return Said(name, text, at, room)


def test_joining_a_new_room_makes_it_current_and_tells_its_members(room):
    """/join creates the room; the joiner hears who is there; members hear the joiner."""
    alice, alice_out = room.join("alice")
    bob, bob_out = room.join("bob")
    alice.receive("/join #dev")
    assert alice_out.take() == [NowTalking("#dev", ("alice",))]
    bob.receive("/join #DEV")  # names compare without regard to case
    assert bob_out.take() == [NowTalking("#dev", ("alice", "bob"))]
    assert alice_out.take() == [RoomJoined("bob", "#dev")]
    assert [r.name for r in bob.rooms] == ["#lobby", "#dev"]


def test_joining_shows_the_topic_and_the_rooms_history(room):
    """A new member gets the topic after the first line, then the room's recent lines."""
    alice, _ = room.join("alice")
    alice.receive("/join #dev")
    alice.receive("/topic releases on Friday")
    alice.receive("ship it")
    bob, bob_out = room.join("bob")
    bob.receive("/join #dev")
    now = room.clock.now
    assert bob_out.take() == [
        NowTalking("#dev", ("alice", "bob")),
        TopicIs("#dev", "releases on Friday"),
        Replayed(said("#dev", "alice", "ship it", now)),
    ]


def test_joining_a_room_you_are_in_only_switches_to_it(room):
    """Only the first line, and nobody else hears of it."""
    alice, alice_out = room.join("alice")
    _, bob_out = room.join("bob")
    alice.receive("/join #dev")
    alice.receive("/join #lobby")
    alice_out.take()
    assert alice.rooms[-1].name == "#lobby"
    assert bob_out.take() == []


def test_lines_go_to_the_current_room_and_to_only_its_members(room):
    """A plain line and /me go to the current room; the others do not hear it."""
    alice, _ = room.join("alice")
    bob, bob_out = room.join("bob")
    _, carol_out = room.join("carol")
    alice.receive("/join #dev")
    bob.receive("/join #dev")
    room.settle()
    alice.receive("in dev")
    alice.receive("/me waves")
    assert [(type(e).__name__, e.room, e.text) for e in bob_out.take()] == [
        ("Said", "#dev", "in dev"),
        ("Acted", "#dev", "waves"),
    ]
    assert carol_out.take() == []


def test_to_says_something_in_another_room_without_switching(room):
    """/to #room TEXT speaks in a room of yours that is not current."""
    alice, alice_out = room.join("alice")
    _, bob_out = room.join("bob")
    alice.receive("/join #dev")
    alice.receive("/to #lobby back in a minute")
    assert bob_out.take()[-1] == said("#lobby", "alice", "back in a minute", room.clock.now)
    assert alice.rooms[-1].name == "#dev"
    alice_out.take()
    alice.receive("/to #ops hello")
    assert alice_out.take() == [Refused("you are not in #ops", "not_in_room")]


def test_parting_returns_to_the_room_current_before(room):
    """/part of the current room says so, then names the room that was current before it."""
    alice, alice_out = room.join("alice")
    bob, bob_out = room.join("bob")
    alice.receive("/join #dev")
    alice.receive("/join #ops")
    bob.receive("/join #ops")
    room.settle()
    alice.receive("/part gone fishing")
    assert alice_out.take() == [YouLeft("#ops"), NowTalking("#dev", ("alice",))]
    assert bob_out.take() == [Parted("alice", "#ops", "gone fishing")]


def test_parting_another_room_keeps_the_current_one(room):
    """/part #room of a room that is not current says only that you left it."""
    alice, alice_out = room.join("alice")
    alice.receive("/join #dev")
    alice_out.take()
    alice.receive("/part #lobby")
    assert alice_out.take() == [YouLeft("#lobby")]
    assert [r.name for r in alice.rooms] == ["#dev"]


@pytest.mark.parametrize(
    "line, refusal, code",
    [
        ("/part", "you cannot leave your only room", "only_room"),
        ("/part #dev", "you are not in #dev", "not_in_room"),
        ("/join dev", "invalid room name: a room name starts with #", "room_invalid"),
        ("/join #", "invalid room name: a room name needs at least one character",
         "room_invalid"),
        ("/join #a:b", "invalid room name: a room name may contain only letters, digits, "
         "'_', '-' and '.'", "room_invalid"),
        ("/join #" + "x" * 25, "invalid room name: that room name is too long (at most 24 "
         "characters)", "room_invalid"),
        ("/who #nowhere", "no such room: #nowhere", "no_such_room"),
        ("/topic " + "x" * 301, "a topic may be at most 300 characters", "topic_too_long"),
        ("/history #dev", "you are not in #dev", "not_in_room"),
    ],
)  # fmt: skip
def test_room_commands_refuse_with_a_reason(room, line, refusal, code):
    """Every refusal is one line that says what went wrong, with the code a program reads."""
    alice, alice_out = room.join("alice")
    alice.receive(line)
    assert alice_out.take() == [Refused(refusal, code)]


def test_rooms_lists_rooms_with_people_sorted_without_case(room):
    """/rooms counts members and leaves out rooms nobody is in any more."""
    alice, alice_out = room.join("alice")
    bob, _ = room.join("bob")
    alice.receive("/join #Zeta")
    bob.receive("/join #alpha")
    bob.receive("/join #empty")
    bob.receive("/part")
    alice_out.take()
    alice.receive("/rooms")
    assert alice_out.take() == [RoomList((("#alpha", 1), ("#lobby", 2), ("#Zeta", 1)))]


def test_who_in_a_room_and_topics(room):
    """/who #room lists its members; /topic shows or sets the current room's topic."""
    alice, alice_out = room.join("alice")
    bob, bob_out = room.join("bob")
    alice.receive("/who #lobby")
    assert alice_out.take() == [InRoom("#lobby", ("alice", "bob"))]
    alice.receive("/topic")
    assert alice_out.take() == [TopicIs("#lobby", None)]
    alice.receive("/topic be kind")
    assert alice_out.take() == [TopicSet("alice", "#lobby", "be kind")]
    assert bob_out.take() == [TopicSet("alice", "#lobby", "be kind")]
    bob.receive("/topic")
    assert bob_out.take() == [TopicIs("#lobby", "be kind")]


def test_leaving_the_chat_is_told_once_to_everyone_who_shares_a_room(room):
    """A user in two rooms with you leaves: you hear it once; someone sharing none does not."""
    alice, _ = room.join("alice")
    bob, bob_out = room.join("bob")
    carol, carol_out = room.join("carol")
    for session in (alice, bob):
        session.receive("/join #dev")
    carol.receive("/join #ops")
    carol.receive("/part #lobby")
    room.settle()
    alice.receive("/nick alicia")
    assert bob_out.take() == [Renamed("alice", "alicia")]
    assert carol_out.take() == []
    alice.receive("<quit>")
    assert bob_out.take() == [Left("alicia")]
    assert carol_out.take() == []


def test_a_newcomer_is_announced_in_the_lobby_only(room):
    """ "has joined the chat" is an event of the lobby: those who left the lobby do not hear it."""
    alice, alice_out = room.join("alice")
    alice.receive("/join #dev")
    alice.receive("/part #lobby")
    _, bob_out = room.join("bob")
    alice_out.take()
    carol, _ = room.connect()
    carol.receive("carol")
    assert bob_out.take() == [Joined("carol")]
    assert alice_out.take() == []


def test_history_shows_the_last_lines_and_at_most_500(room):
    """/history defaults to 50 lines, takes N, and never shows more than 500."""
    alice, alice_out = room.join("alice")
    for number in range(60):
        alice.receive(f"line {number}")
    alice_out.take()
    alice.receive("/history")
    (history,) = alice_out.take()
    assert isinstance(history, History) and history.room == "#lobby"
    assert len(history.lines) == 50
    alice.receive("/history 5")
    assert [line.original.text for line in alice_out.take()[0].lines] == [
        f"line {number}" for number in range(55, 60)
    ]


def test_history_reads_older_lines_from_the_store(make_room):
    """Lines beyond the in-memory tail come from the store, oldest first, without gaps."""
    room = make_room(history_size=3)
    alice, alice_out = room.join("alice")
    for number in range(10):
        alice.receive(f"line {number}")
    alice_out.take()
    alice.receive("/history 7")
    (history,) = alice_out.take()
    assert [line.original.text for line in history.lines] == [f"line {n}" for n in range(3, 10)]
    assert [line.original.seq for line in history.lines] == list(range(4, 11))


def _seqs(history: History) -> list[int]:
    return [line.original.seq for line in history.lines]


def test_history_before_a_seq_pages_back_through_memory_and_store(make_room):
    """Asked for lines before a seq, the room answers the newest of them, from either place."""
    room = make_room(history_size=5)
    alice, alice_out = room.join("alice")
    for number in range(30):
        alice.receive(f"line {number}")
    alice_out.take()
    rooms = room.hub.rooms
    rooms.history(alice, None, 3, before=29)
    assert [_seqs(event) for event in alice_out.take()] == [[26, 27, 28]]
    rooms.history(alice, None, 4, before=27)  # two in memory, two from the store
    assert [_seqs(event) for event in alice_out.take()] == [[23, 24, 25, 26]]
    rooms.history(alice, None, 10, before=4)
    assert [_seqs(event) for event in alice_out.take()] == [[1, 2, 3]]
    rooms.history(alice, None, 10, before=1)
    assert [_seqs(event) for event in alice_out.take()] == [[]]


def test_history_after_a_seq_resumes_through_memory_and_store(make_room):
    """Asked for lines after a seq, the room answers the oldest of them: nothing missed."""
    room = make_room(history_size=5)
    alice, alice_out = room.join("alice")
    for number in range(30):
        alice.receive(f"line {number}")
    alice_out.take()
    rooms = room.hub.rooms
    rooms.history(alice, "#lobby", 3, after=27)  # all in memory
    assert [_seqs(event) for event in alice_out.take()] == [[28, 29, 30]]
    rooms.history(alice, None, 4, after=10)  # from the store
    assert [_seqs(event) for event in alice_out.take()] == [[11, 12, 13, 14]]
    rooms.history(alice, None, 50, after=20)
    assert [_seqs(event) for event in alice_out.take()] == [list(range(21, 31))]
    rooms.history(alice, None, 5, after=30)
    assert [_seqs(event) for event in alice_out.take()] == [[]]


def test_topic_of_another_of_ones_rooms(room):
    """The topic of a room one is in but not talking in can be asked for and set by name."""
    alice, alice_out = room.join("alice")
    alice.receive("/join #dev")
    alice_out.take()
    room.hub.rooms.topic(alice, "lobby things", room.clock.now, "#lobby")
    room.hub.rooms.topic(alice, None, room.clock.now, "#LOBBY")
    assert alice_out.take() == [
        TopicSet("alice", "#lobby", "lobby things"),
        TopicIs("#lobby", "lobby things"),
    ]


def test_receipts_confirm_each_line_with_its_room_sequence(room):
    """With receipts on, every line said (with /to too) is answered once it is stored."""
    alice, alice_out = room.join("alice")
    alice.receive("/receipts on")
    assert alice_out.take() == [ReceiptsSet(True)]
    alice.receive("one")
    alice.receive("/join #dev")
    alice.receive("/to #lobby two")
    alice.receive("/me three")
    events = alice_out.take()
    receipts = [event for event in events if isinstance(event, Receipt)]
    now = room.clock.now
    assert receipts == [
        Receipt("#lobby", 1, now),
        Receipt("#lobby", 2, now),
        Receipt("#dev", 1, now),
    ]
    alice.receive("/receipts off")
    alice.receive("four")
    assert alice_out.take() == [ReceiptsSet(False)]


class SlowStore(MemoryStore):
    """A store whose lines become durable only when the test says so."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting: list[tuple[StoredLine, object]] = []

    def append(self, line, durable) -> None:
        self.waiting.append((line, durable))

    def flush(self) -> None:
        waiting, self.waiting = self.waiting, []
        for line, durable in waiting:
            super().append(line, durable)


def test_a_receipt_waits_until_the_line_is_stored(make_room):
    """The + line goes out only when the store says the line is durable, never before."""
    store = SlowStore()
    room = make_room(store=store)
    alice, alice_out = room.join("alice")
    alice.receive("/receipts on")
    alice_out.take()
    alice.receive("hello")
    assert alice_out.take() == []
    store.flush()
    assert alice_out.take() == [Receipt("#lobby", 1, room.clock.now)]


def test_rooms_topics_and_sequences_come_back_from_the_store(make_room):
    """A hub started on a store that knows rooms serves their topics, tails and sequences."""
    store = MemoryStore()
    store.add_room("#dev", "#Dev")
    store.set_topic("#dev", Topic("old news", "zed", 1.0))
    store.append(StoredLine("#dev", 41, 1.0, "zed", "the last word"), lambda line: None)
    room = make_room(store=store)
    alice, alice_out = room.join("alice")
    alice.receive("/join #dev")
    now_talking, topic, replayed = alice_out.take()
    assert now_talking == NowTalking("#Dev", ("alice",))
    assert topic == TopicIs("#Dev", "old news")
    assert replayed.original.seq == 41 and replayed.dated
    alice.receive("/receipts on")
    alice.receive("next")
    assert alice_out.take()[-1] == Receipt("#Dev", 42, room.clock.now)
    (dev,) = [record for record in store.load(0) if record.key == "#dev"]
    assert dev == RoomRecord("#dev", "#Dev", 42, Topic("old news", "zed", 1.0), [])


def test_room_limits_per_user_and_per_server(make_room):
    """Going over --max-rooms-per-user or --max-rooms gets a refusal naming the limit."""
    room = make_room(max_rooms_per_user=3, max_rooms=3)
    alice, alice_out = room.join("alice")
    alice.receive("/join #one")
    alice.receive("/join #two")
    alice_out.take()
    alice.receive("/join #three")
    assert alice_out.take() == [
        Refused(
            "you are in too many rooms (limit 3, --max-rooms-per-user)", "too_many_rooms_joined"
        )
    ]
    bob, bob_out = room.join("bob")
    bob.receive("/join #four")
    assert bob_out.take() == [Refused("too many rooms on this server (limit 3)", "too_many_rooms")]
    bob.receive("/join #two")  # a room that has people in it is no new room
    assert isinstance(bob_out.take()[0], NowTalking)


def test_a_client_dropped_during_a_broadcast_does_not_break_it(make_room):
    """A delivery that reports the loss at once (the door closed) leaves the broadcast going."""
    room = make_room()
    alice, _ = room.join("alice")
    fragile, fragile_out = room.join("fragile")
    _, carol_out = room.join("carol")
    original = fragile_out.deliver

    def deliver_then_drop(event):
        original(event)
        fragile.lost()

    fragile_out.deliver = deliver_then_drop
    alice.receive("hello everyone")
    assert said("#lobby", "alice", "hello everyone", room.clock.now) in carol_out.take()
