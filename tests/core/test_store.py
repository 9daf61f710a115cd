"""The in-memory store: what the hub may rely on from any store, and its bound."""

from __future__ import annotations

from chatd.core.store import MemoryStore, RoomRecord, StoredLine, Topic


def line(seq: int, room: str = "#dev") -> StoredLine:
    return StoredLine(room, seq, float(seq), "alice", f"line {seq}")


def test_lines_are_durable_at_once_and_come_back_with_their_room():
    """load() returns each room's name, topic, last sequence number and newest lines."""
    store = MemoryStore()
    store.add_room("#dev", "#Dev")
    confirmed = []
    for seq in range(1, 6):
        store.append(line(seq), confirmed.append)
    store.set_topic("#dev", Topic("hi", "alice", 1.0))
    assert [stored.seq for stored in confirmed] == [1, 2, 3, 4, 5]
    assert store.load(2) == [
        RoomRecord("#dev", "#Dev", 5, Topic("hi", "alice", 1.0), [line(4), line(5)])
    ]


def test_history_reads_older_lines_oldest_first():
    """history(before, limit) gives the newest lines before a sequence number."""
    store = MemoryStore()
    store.add_room("#dev", "#dev")
    for seq in range(1, 11):
        store.append(line(seq), lambda stored: None)
    found = []
    store.history("#dev", before=8, limit=3, found=found.extend)
    assert [stored.seq for stored in found] == [5, 6, 7]


def test_it_keeps_a_bounded_number_of_lines_per_room_but_never_reuses_a_number():
    """A long-running server on the memory store does not grow without end."""
    store = MemoryStore(keep=10)
    store.add_room("#dev", "#dev")
    for seq in range(1, 1001):
        store.append(line(seq), lambda stored: None)
    (record,) = store.load(100)
    assert len(record.tail) == 10
    assert record.last_seq == 1000
