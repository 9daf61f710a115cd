"""Broadcasts through the line door's fan-out: encoded once, one write per reader per turn.

A turn here is what happens between two ``clock.advance(0)`` calls (``Wire.take`` ends the turn),
as a reactor turn is everything between two polls.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from chatd.core.events import Joined
from chatd.doors import fanout


@pytest.fixture
def writes(monkeypatch):
    """Count the writes each wire's transport gets from now on."""
    counts: dict[object, int] = {}

    def watch(wire):
        counts[wire] = 0
        write = wire.transport.write

        def counted(data: bytes) -> None:
            counts[wire] += 1
            write(data)

        monkeypatch.setattr(wire.transport, "write", counted)

    return watch, counts


def test_a_turn_of_lines_from_several_senders_is_one_write_per_reader(chat, writes):
    """Each reader gets everything said during the turn in one write, in the order it was said,
    and no sender hears its own lines."""
    alice, bob, carol, dave = (chat.join(name) for name in ("alice", "bob", "carol", "dave"))
    watch, counts = writes
    for wire in (alice, bob, carol, dave):
        watch(wire)
    alice.send(b"a1\na2\n")
    bob.send(b"b1\n")
    alice.send(b"a3\n")
    chat.clock.advance(0)
    assert counts == {alice: 1, bob: 1, carol: 1, dave: 1}
    said = ["alice: a1", "alice: a2", "bob: b1", "alice: a3"]
    assert carol.lines() == said
    assert dave.lines() == said
    assert alice.lines() == ["bob: b1"]
    assert bob.lines() == ["alice: a1", "alice: a2", "alice: a3"]


def test_nothing_is_written_before_the_turn_ends(chat):
    alice, bob = chat.join("alice"), chat.join("bob")
    alice.send(b"hello\n")
    assert bob.transport.value() == b""
    chat.clock.advance(0)
    assert bob.transport.value() == b"alice: hello\r\n"


def test_each_broadcast_is_encoded_once_however_many_hear_it(chat, monkeypatch):
    wires = [chat.join(f"user{index}") for index in range(20)]
    encoded = []
    audience = chat.factory.fanout
    real_encode = audience._encode
    monkeypatch.setattr(
        audience, "_encode", lambda event: encoded.append(event) or real_encode(event)
    )
    wires[0].send(b"one\ntwo\n")
    assert len(encoded) == 2
    assert all(wire.lines() == ["user0: one", "user0: two"] for wire in wires[1:])


def test_a_direct_event_comes_after_the_broadcasts_before_it(chat):
    """A private message in the middle of a turn's chat stays where it was sent."""
    alice, bob, carol = chat.join("alice"), chat.join("bob"), chat.join("carol")
    bob.send(b"one\n/msg alice psst\ntwo\n")
    carol.send(b"three\n")
    assert alice.lines() == ["bob: one", "[private] bob: psst", "bob: two", "carol: three"]


def test_an_error_comes_after_the_chat_before_it(chat):
    alice, bob = chat.join("alice"), chat.join("bob")
    bob.send(b"before\n")
    alice.send(b"/nosuchcommand\n")
    bob.send(b"after\n")
    lines = alice.lines()
    assert lines[0] == "bob: before"
    assert lines[1].startswith("! ")
    assert lines[2:] == ["bob: after"]


def test_someone_joining_mid_turn_hears_only_what_follows(chat):
    """Lines said earlier in the turn reach a newcomer once, through history, not again live."""
    alice = chat.join("alice")
    bob = chat.join("bob")
    alice.send(b"before carol\n")
    carol = chat.connect()
    carol.send(b"carol\n")
    alice.send(b"after carol\n")
    lines = carol.lines()
    assert lines[-2:] == ["[22:13] alice: before carol", "alice: after carol"]
    assert sum("before carol" in line for line in lines) == 1
    assert bob.lines() == [
        "alice: before carol",
        "* carol has joined the chat",
        "alice: after carol",
    ]


def test_someone_quitting_mid_turn_hears_what_came_before_the_goodbye(chat):
    alice, bob = chat.join("alice"), chat.join("bob")
    bob.send(b"wait for it\n")
    alice.send(b"<quit>\n")
    bob.send(b"too late\n")
    assert alice.lines() == ["bob: wait for it", "* Goodbye alice!"]
    assert bob.lines() == ["* alice has left the chat"]


def test_a_connection_lost_mid_turn_does_not_disturb_the_others(chat, log_capture):
    alice, bob, carol = chat.join("alice"), chat.join("bob"), chat.join("carol")
    alice.send(b"hello\n")
    bob.drop()
    alice.send(b"still here?\n")
    assert carol.lines() == ["alice: hello", "* bob has left the chat", "alice: still here?"]
    assert bob.transport.value() == b""
    assert log_capture.errors() == []


def test_renaming_mid_turn_keeps_the_order(chat):
    alice, bob = chat.join("alice"), chat.join("bob")
    bob.send(b"one\n/nick robert\ntwo\n")
    assert alice.lines() == ["bob: one", "* bob is now known as robert", "robert: two"]
    assert bob.lines() == ["* You are now known as robert"]


def test_a_slow_reader_is_still_dropped_when_broadcasts_pile_up(make_chat, log_capture):
    """Broadcasts go through each reader's outbox, so the output limit holds for them too."""
    chat = make_chat(max_send_buffer=1000, rate=0)
    alice, bob = chat.join("alice"), chat.join("bob")
    bob.door.outbox.pauseProducing()  # bob's transport is full and stays so
    alice.send(*(b"x" * 100 + b"\n" for _ in range(20)))
    chat.clock.advance(0)
    assert bob.transport.disconnected
    assert not alice.closing


class Turns:
    """A clock that runs delayed calls one reactor turn at a time, as the reactor does: a call
    made during a turn waits for the next one (``task.Clock.advance`` would run it at once)."""

    def __init__(self) -> None:
        self._calls: list[Callable[[], None]] = []

    def callLater(self, delay: float, call: Callable[[], None]) -> object:
        assert delay == 0
        self._calls.append(call)
        return call

    def turn(self) -> None:
        calls, self._calls = self._calls, []
        for call in calls:
            call()

    def finish(self, bound: int = 100) -> int:
        """Run turns until nothing is left to run; return how many there were."""
        for count in range(bound):
            if not self._calls:
                return count
            self.turn()
        raise AssertionError(f"still busy after {bound} turns")


#: The one room the members below are in (the fan-out only compares rooms by identity).
ROOM = object()


class Member:
    """Stands for a session in one room: the fan-out writes to its client's outbox."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.rooms = (ROOM,)
        self.client = self
        self.outbox = self
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def lines(self) -> list[str]:
        return b"".join(self.writes).decode().splitlines()

    def __repr__(self) -> str:
        return self.name


@pytest.fixture
def sliced():
    """A fan-out that writes to two members a turn, its clock, and five members."""
    turns = Turns()
    audience = fanout.Fanout(turns, slice_size=2)
    members = [Member(f"m{index}") for index in range(5)]
    for member in members:
        audience.add(member)
    return audience, turns, members


def test_a_pass_writes_one_slice_of_members_per_turn(sliced):
    """The reactor gets control back between slices: five members take three turns."""
    audience, turns, members = sliced
    audience.broadcast(Joined("x"), members[0], ROOM)
    turns.turn()
    assert [len(member.writes) for member in members] == [0, 1, 0, 0, 0]
    turns.turn()
    assert [len(member.writes) for member in members] == [0, 1, 1, 1, 0]
    assert turns.finish() == 1
    assert [member.lines() for member in members] == [[]] + [["* x has joined the chat"]] * 4
    assert audience.backlog == 0


def test_a_slice_also_ends_once_it_has_written_its_bytes():
    """Big writes make short slices: with room for 60 bytes a turn, 25-byte notices go three to a
    turn (the write that crosses the budget is made in full), and a member owed more than the
    whole budget still gets it all at once."""
    turns = Turns()
    audience = fanout.Fanout(turns, slice_size=64, slice_bytes=60)
    members = [Member(f"m{index}") for index in range(5)]
    for member in members:
        audience.add(member)
    audience.broadcast(Joined("x"), members[0], ROOM)  # 25 bytes with its CRLF
    turns.turn()
    assert [len(member.writes) for member in members] == [0, 1, 1, 1, 0]
    assert turns.finish() == 1
    assert [len(member.writes) for member in members] == [0, 1, 1, 1, 1]

    for name in "abc":
        audience.broadcast(Joined(name), members[4], ROOM)
    turns.turn()
    assert [len(member.writes) for member in members] == [1, 1, 1, 1, 1]  # m0 alone, 75 bytes
    assert members[0].writes[-1] == b"".join(
        f"* {name} has joined the chat\r\n".encode() for name in "abc"
    )
    assert turns.finish() == 4  # m1, m2, m3, then the sender m4, who is owed nothing
    assert [len(member.writes) for member in members] == [1, 2, 2, 2, 1]
    assert all(member.lines()[-1] == "* c has joined the chat" for member in members[:4])
    assert members[4].lines() == ["* x has joined the chat"]
    assert audience.backlog == 0


def test_what_is_said_during_a_pass_follows_in_the_next(sliced):
    """Each member hears every line once, in order, however the lines fall across passes."""
    audience, turns, members = sliced
    audience.broadcast(Joined("x"), members[4], ROOM)
    turns.turn()
    audience.broadcast(Joined("y"), members[4], ROOM)
    turns.turn()
    audience.broadcast(Joined("z"), members[0], ROOM)
    turns.finish()
    joined = [f"* {name} has joined the chat" for name in "xyz"]
    assert [member.lines() for member in members[1:4]] == [joined] * 3
    assert members[0].lines() == joined[:2]
    assert members[4].lines() == joined[2:]
    assert [len(member.writes) for member in members] == [2, 2, 2, 2, 1]
    assert audience.backlog == 0


def test_members_who_come_leave_or_catch_up_during_a_pass(sliced):
    """A newcomer hears only what follows; nothing is written to a member who left; a member
    caught up directly before the pass reaches it is not written to twice."""
    audience, turns, members = sliced
    audience.broadcast(Joined("x"), members[0], ROOM)
    turns.turn()
    newcomer = Member("new")
    audience.add(newcomer)
    audience.remove(members[3])
    audience.catch_up(members[4])
    audience.broadcast(Joined("y"), members[0], ROOM)
    turns.finish()
    both = ["* x has joined the chat", "* y has joined the chat"]
    assert newcomer.lines() == ["* y has joined the chat"]
    assert members[3].lines() == ["* x has joined the chat"]  # caught up as it left
    assert [members[1].lines(), members[2].lines(), members[4].lines()] == [both] * 3
    assert audience.backlog == 0
