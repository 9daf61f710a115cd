"""What every store does, run against the memory store and the SQLite store alike."""

from __future__ import annotations

from chatd.core.store import RoomRecord, StoredLine, Topic

T0 = 1_700_000_000.0


def line(seq: int, room: str = "dev", text: str | None = None, action: bool = False) -> StoredLine:
    return StoredLine(room, seq, T0 + seq, f"u{seq % 3}", text or f"line {seq}", action)


def history(store, room: str, before: int, limit: int, *, after: bool = False) -> list[StoredLine]:
    """The lines the store finds before seq ``before`` (or, with ``after``, after it)."""
    found: list[list[StoredLine]] = []
    if after:
        store.history_after(room, before, limit, found.append)
    else:
        store.history(room, before, limit, found.append)
    runner = getattr(store, "runner", None)
    if runner is not None:
        runner.run_all()
    assert len(found) == 1, "found is called exactly once"
    return found[0]


def test_fresh_store_knows_no_room(kind):
    """A new store loads no room at all."""
    assert kind.store.load(10) == []


def test_every_line_is_durable_once_in_order(kind, durables):
    """Each appended line is reported durable exactly once, in the order of appending."""
    store = kind.store
    store.load(10)
    store.add_room("dev", "#Dev")
    done = durables()
    for seq in range(1, 21):
        store.append(line(seq), done)
    assert done.lines == [line(seq) for seq in range(1, 21)]


def test_restart_keeps_rooms_topics_and_tails(kind, durables):
    """After a restart a room has its first name, its topic, its last sequence and its tail."""
    store = kind.store
    store.load(10)
    store.add_room("dev", "#Dev")
    store.add_room("ops", "#Ops")
    store.add_room("dev", "#DEV")
    done = durables()
    for seq in range(1, 8):
        store.append(line(seq), done)
    store.append(line(1, room="ops", text="hi", action=True), done)
    store.set_topic("ops", Topic("deploys only", "ann", T0 + 5))
    records = kind.restart().load(3)
    assert records == [
        RoomRecord("dev", "#Dev", 7, None, [line(5), line(6), line(7)]),
        RoomRecord(
            "ops",
            "#Ops",
            1,
            Topic("deploys only", "ann", T0 + 5),
            [line(1, room="ops", text="hi", action=True)],
        ),
    ]


def test_topic_can_be_cleared(kind):
    """A topic set to None is gone after a restart."""
    store = kind.store
    store.load(0)
    store.add_room("dev", "#Dev")
    store.set_topic("dev", Topic("old", "ann", T0))
    store.set_topic("dev", None)
    assert kind.restart().load(0)[0].topic is None


def test_load_without_tail_gives_no_lines(kind, durables):
    """Loading with a tail of 0 gives rooms and sequences but no lines."""
    store = kind.store
    store.load(0)
    store.add_room("dev", "#Dev")
    store.append(line(1), durables())
    assert kind.restart().load(0) == [RoomRecord("dev", "#Dev", 1)]


def test_history_pages_backwards(kind, durables):
    """History gives up to ``limit`` lines older than ``before``, oldest first."""
    store = kind.store
    store.load(0)
    store.add_room("dev", "#Dev")
    store.add_room("ops", "#Ops")
    done = durables()
    for seq in range(1, 31):
        store.append(line(seq), done)
        store.append(line(seq, room="ops"), done)
    assert history(store, "dev", 21, 5) == [line(seq) for seq in range(16, 21)]
    assert history(store, "dev", 4, 10) == [line(1), line(2), line(3)]
    assert history(store, "dev", 1, 10) == []
    assert history(store, "dev", 10, 0) == []
    assert history(store, "nowhere", 10, 5) == []


def test_history_after_pages_forwards(kind, durables):
    """History after a seq gives up to ``limit`` newer lines, oldest first: a resume."""
    store = kind.store
    store.load(0)
    store.add_room("dev", "#Dev")
    store.add_room("ops", "#Ops")
    done = durables()
    for seq in range(1, 31):
        store.append(line(seq), done)
        store.append(line(seq, room="ops"), done)
    assert history(store, "dev", 20, 5, after=True) == [line(seq) for seq in range(21, 26)]
    assert history(store, "dev", 27, 10, after=True) == [line(28), line(29), line(30)]
    assert history(store, "dev", 0, 2, after=True) == [line(1), line(2)]
    assert history(store, "dev", 30, 10, after=True) == []
    assert history(store, "dev", 10, 0, after=True) == []
    assert history(store, "nowhere", 0, 5, after=True) == []


def test_close_calls_closed_once(kind):
    """Closing a store calls ``closed`` exactly once."""
    store = kind.store
    store.load(0)
    closed: list[bool] = []
    store.close(lambda: closed.append(True))
    runner = getattr(store, "runner", None)
    if runner is not None:
        runner.run_all()
    assert closed == [True]
