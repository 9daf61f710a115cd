"""Retention: old lines go in small batches, rooms and their sequences stay."""

from __future__ import annotations

from chatd.core.store import RoomRecord, StoredLine
from chatd.store.retention import BATCH, DAY, EVERY


def fill(store, clock, count: int, age_days: float, first: int = 1) -> None:
    """Append ``count`` lines to #dev, ``age_days`` old, and write them."""
    at = clock.seconds() - age_days * DAY
    for seq in range(first, first + count):
        store.append(StoredLine("dev", seq, at, "ann", f"line {seq}"), lambda line: None)
    store.runner.run_all()


def seqs(store, before: int = 10**9, limit: int = 10**6) -> list[int]:
    found = []
    store.history("dev", before, limit, found.append)
    store.runner.run_all()
    return [line.seq for line in found[0]]


def started(sqlite, **options):
    store = sqlite.open(auto=False, **options)
    store.add_room("dev", "#Dev")
    store.runner.run_all()
    return store


def test_old_lines_go_at_start_and_new_ones_stay(sqlite):
    """Lines older than the retention are deleted once the store is loaded; newer ones stay."""
    store = started(sqlite, history_days=1)
    fill(store, sqlite.clock, 5, age_days=2)
    fill(store, sqlite.clock, 5, age_days=0.5, first=6)
    store.load(0)
    sqlite.clock.advance(0)
    store.runner.run_all()
    assert seqs(store) == [6, 7, 8, 9, 10]


def test_purge_runs_again_every_interval(sqlite):
    """Lines that grow old while the server runs are deleted at the next purge."""
    store = started(sqlite, history_days=1)
    store.load(0)
    sqlite.clock.advance(0)
    store.runner.run_all()
    fill(store, sqlite.clock, 3, age_days=0)
    sqlite.clock.advance(DAY - EVERY / 2)
    store.runner.run_all()
    assert seqs(store) == [1, 2, 3]
    sqlite.clock.advance(EVERY)
    store.runner.run_all()
    assert seqs(store) == []


def test_purge_goes_in_batches_that_let_writes_through(sqlite):
    """A big purge is done a batch at a time, and lines queued meanwhile are written between."""
    store = started(sqlite, history_days=1)
    fill(store, sqlite.clock, 2 * BATCH + 10, age_days=3)
    store.load(0)
    sqlite.clock.advance(0)
    assert store.runner.names() == ["_purge"]
    durable = []
    store.append(StoredLine("dev", 5000, sqlite.clock.seconds(), "ann", "new"), durable.append)
    assert store.runner.names() == ["_purge", "_commit"]
    store.runner.step()
    assert store.runner.names() == ["_commit", "_purge"]
    store.runner.step()
    assert [line.seq for line in durable] == [5000]
    store.runner.run_all()
    assert seqs(store) == [5000]


def test_zero_days_keeps_everything(sqlite):
    """With ``history_days=0`` nothing is ever purged."""
    store = started(sqlite, history_days=0)
    fill(store, sqlite.clock, 3, age_days=3650)
    store.load(0)
    sqlite.clock.advance(10 * EVERY)
    assert store.runner.names() == []
    assert seqs(store) == [1, 2, 3]


def test_sequence_survives_a_room_emptied_by_retention(sqlite):
    """A room whose every line was purged still starts after its last sequence on restart."""
    store = started(sqlite, history_days=1)
    fill(store, sqlite.clock, 7, age_days=2)
    store.load(0)
    sqlite.clock.advance(0)
    store.runner.run_all()
    assert seqs(store) == []
    assert sqlite.reopen(store).load(5) == [RoomRecord("dev", "#Dev", 7)]
