"""Broadcasts through the line door's fan-out: encoded once, one write per reader per turn.

A turn here is what happens between two ``clock.advance(0)`` calls (``Wire.take`` ends the turn),
as a reactor turn is everything between two polls.
"""

from __future__ import annotations

import pytest

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
    real_encode = fanout.encode
    monkeypatch.setattr(fanout, "encode", lambda event: encoded.append(event) or real_encode(event))
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
