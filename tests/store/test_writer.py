"""The SQLite store's writer: group commit, failures that are retried, and closing."""

from __future__ import annotations

import sqlite3

import pytest

from chatd.core.store import StoredLine
from chatd.store.sqlite import LINES_PER_INSERT
from chatd.store.writer import CLOSE_TIMEOUT, LatencyCounts

T0 = 1_700_000_000.0


def line(seq: int, room: str = "dev") -> StoredLine:
    return StoredLine(room, seq, T0 + seq, "ann", f"line {seq}" + "x" * 200)


def opened(sqlite, **options):
    store = sqlite.open(**options)
    store.load(0)
    store.add_room("dev", "#Dev")
    store.runner.run_all()
    return store


def stored_seqs(path: str, room: str = "dev") -> list[int]:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT seq FROM lines WHERE room = ? ORDER BY seq", (room,))
        return [seq for (seq,) in rows]


def test_appends_during_a_commit_form_the_next_batch(sqlite, durables):
    """Lines appended while a batch is written go together in the next one: two commits."""
    store = opened(sqlite, auto=False)
    commits = store.commits
    done = durables()
    store.append(line(1), done)
    for seq in range(2, 101):
        store.append(line(seq), done)
    assert store.runner.names() == ["_commit"]
    store.runner.step()
    assert done.seqs == [1]
    assert store.runner.names() == ["_commit"]
    store.runner.step()
    assert done.seqs == list(range(1, 101))
    assert store.commits - commits == 2
    assert stored_seqs(sqlite.path) == list(range(1, 101))


@pytest.mark.parametrize(
    "count", [1, LINES_PER_INSERT - 1, LINES_PER_INSERT, LINES_PER_INSERT + 1, 3 * LINES_PER_INSERT]
)
def test_a_batch_of_any_size_is_stored_exactly(sqlite, durables, count):
    """A batch goes to SQLite in inserts of up to LINES_PER_INSERT lines: every line lands whole,
    column for column, across the statements' boundaries and in two rooms."""
    store = opened(sqlite, auto=False)
    store.add_room("ops", "#ops")
    store.runner.run_all()
    done = durables()
    lines = [
        StoredLine(
            "dev" if seq % 3 else "ops", seq, T0 + seq / 7, f"u{seq}", f"line {seq} ✓", seq % 2 == 0
        )
        for seq in range(1, count + 1)
    ]
    for each in lines:
        store.append(each, done)
    store.runner.run_all()
    assert done.seqs == list(range(1, count + 1))
    with sqlite3.connect(sqlite.path) as db:
        rows = db.execute("SELECT room, seq, at, name, text, action FROM lines ORDER BY seq")
        stored = [
            StoredLine(room, seq, at, name, text, bool(action))
            for (room, seq, at, name, text, action) in rows
        ]
    assert stored == lines


def test_a_batch_is_durable_only_once_committed(sqlite, durables):
    """No durable callback runs before its batch's transaction has committed."""
    store = opened(sqlite, auto=False)
    done = durables()
    store.append(line(1), done)
    assert done.seqs == []
    assert stored_seqs(sqlite.path) == []


def test_a_failing_callback_does_not_hold_up_the_others(sqlite, durables, log_capture):
    """A durable callback that raises is logged, and the rest of its batch is still told."""
    store = opened(sqlite)
    done = durables()

    def broken(line: StoredLine) -> None:
        raise ValueError("door gone")

    store.append(line(1), broken)
    store.append(line(2), done)
    assert done.seqs == [2]
    failures = [event for event in log_capture.events if "log_failure" in event]
    assert len(failures) == 1
    log_capture.events.clear()


def hold_lock(path: str) -> sqlite3.Connection:
    """Another connection that takes the write lock and keeps it."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


def warnings(log_capture) -> list[str]:
    return [text for text in log_capture.formatted() if "cannot write" in text]


@pytest.mark.parametrize("fault", ["locked", "read-only", "full"])
def test_unwritable_database_delays_receipts_and_loses_nothing(
    sqlite, durables, log_capture, fault
):
    """While the database cannot be written no line is durable; then all are, once, in order."""
    store = opened(sqlite)
    done = durables()
    store.append(line(1), done)
    writer = store._connection()
    other = None
    if fault == "locked":
        other = hold_lock(sqlite.path)
    elif fault == "read-only":
        writer.execute("PRAGMA query_only = 1")
    else:
        pages = writer.execute("PRAGMA page_count").fetchone()[0]
        writer.execute(f"PRAGMA max_page_count = {pages}")
    for seq in range(2, 200):
        store.append(line(seq), done)
    for _ in range(5):
        sqlite.clock.advance(10)
    # A full database may still take what fits in its free pages: no more is durable.
    assert done.seqs == stored_seqs(sqlite.path)
    assert len(done.seqs) < 100
    assert len(warnings(log_capture)) == 1
    if other is not None:
        other.execute("ROLLBACK")
        other.close()
    writer.execute("PRAGMA query_only = 0")
    writer.execute("PRAGMA max_page_count = 1000000")
    sqlite.clock.advance(10)
    assert done.seqs == list(range(1, 200))
    assert any("again after 6 failed attempts" in text for text in log_capture.formatted())
    assert stored_seqs(sqlite.path) == list(range(1, 200))


def test_retries_back_off_and_warnings_are_rationed(sqlite, durables, log_capture):
    """Retries wait 1, 2, 4, 8, then 10 s; the same error is logged again only after a minute."""
    store = opened(sqlite)
    other = hold_lock(sqlite.path)
    store.append(line(1), durables())
    attempts = []
    for step in (1, 2, 4, 8, 10, 10, 10, 10, 10, 10):
        before = len(store.runner.names())
        sqlite.clock.advance(step - 0.001)
        attempts.append(store._group._failures)
        sqlite.clock.advance(0.001)
        assert before == 0
    assert attempts == list(range(1, 11))
    # Failures at 0, 1, 3, 7, 15, 25, ..., 75 s: the first, then the one a minute later.
    assert len(warnings(log_capture)) == 2
    other.execute("ROLLBACK")


def test_history_includes_lines_not_yet_written(sqlite, durables):
    """Lines waiting for a locked database are part of history all the same, without doubles."""
    store = opened(sqlite)
    done = durables()
    for seq in range(1, 4):
        store.append(line(seq), done)
    other = hold_lock(sqlite.path)
    for seq in range(4, 8):
        store.append(line(seq), done)
    found = []
    store.history("dev", 7, 4, found.append)
    assert [x.seq for x in found[0]] == [3, 4, 5, 6]
    other.execute("ROLLBACK")


def test_close_writes_everything_first(sqlite, durables):
    """Closing waits for the batch in flight and the queue behind it, then closes."""
    store = opened(sqlite, auto=False)
    done = durables()
    for seq in range(1, 51):
        store.append(line(seq), done)
    closed = []
    store.close(lambda: closed.append(len(done.seqs)))
    with pytest.raises(RuntimeError):
        store.append(line(51), done)
    assert closed == []
    store.runner.run_all()
    assert closed == [50]
    assert store.runner.stopped
    assert done.seqs == list(range(1, 51))
    assert stored_seqs(sqlite.path) == list(range(1, 51))


def test_close_waits_for_a_failing_database(sqlite, durables, log_capture):
    """Closing retries every second while the database is locked, and closes once it is free."""
    store = opened(sqlite)
    other = hold_lock(sqlite.path)
    done = durables()
    store.append(line(1), done)
    sqlite.clock.advance(1)
    sqlite.clock.advance(2)
    closed = []
    store.close(lambda: closed.append(True))
    sqlite.clock.advance(1)
    assert closed == []
    other.execute("ROLLBACK")
    sqlite.clock.advance(1)
    assert closed == [True]
    assert done.seqs == [1]


def test_close_gives_up_on_a_database_that_stays_broken(sqlite, durables, log_capture):
    """After the close timeout, closing says how many lines were lost and closes anyway."""
    store = opened(sqlite)
    other = hold_lock(sqlite.path)
    done = durables()
    for seq in range(1, 4):
        store.append(line(seq), done)
    closed = []
    store.close(lambda: closed.append(True))
    for _ in range(int(CLOSE_TIMEOUT) + 1):
        sqlite.clock.advance(1)
    assert closed == [True]
    assert done.seqs == []
    lost = [e for e in log_capture.events if "stopping without writing" in e.get("log_format", "")]
    assert [e["count"] for e in lost] == [3]
    log_capture.events.clear()
    other.execute("ROLLBACK")
    other.close()


def test_relative_path_is_kept_after_a_change_of_directory(sqlite, tmp_path, monkeypatch, durables):
    """A relative ``--db`` names the file in the directory chatd started in, even after a chdir."""
    first, later = tmp_path / "start", tmp_path / "rundir"
    first.mkdir()
    later.mkdir()
    monkeypatch.chdir(first)
    sqlite.path = "chatd.db"
    store = sqlite.open()
    store.load(0)
    monkeypatch.chdir(later)
    store.add_room("dev", "#Dev")
    store.append(line(1), durables())
    sqlite.close(store)
    assert stored_seqs(str(first / "chatd.db")) == [1]
    assert not (later / "chatd.db").exists()


def test_memory_database_keeps_lines_while_running(sqlite, durables):
    """``:memory:`` works as a store with no file at all: durable, history, close."""
    sqlite.path = ":memory:"
    store = opened(sqlite)
    done = durables()
    for seq in range(1, 6):
        store.append(line(seq), done)
    found = []
    store.history("dev", 6, 2, found.append)
    assert done.seqs == [1, 2, 3, 4, 5]
    assert [x.seq for x in found[0]] == [4, 5]
    sqlite.close(store)


def test_the_queue_and_commit_times_are_counted_for_the_metrics(sqlite, durables):
    """queued counts lines not yet committed; each commit adds its time to the histogram."""
    store = opened(sqlite, auto=False)
    before = sum(store.commit_seconds.counts)
    done = durables()
    for seq in range(1, 4):
        store.append(line(seq), done)
    assert store.queued == 3
    store.runner.run_all()
    assert store.queued == 0
    assert sum(store.commit_seconds.counts) - before == 2  # the first line, then the other two
    buckets = store.commit_seconds.cumulative()
    assert buckets[-1] == ("+Inf", sum(store.commit_seconds.counts))
    assert [count for _, count in buckets] == sorted(count for _, count in buckets)


def test_latency_counts_fall_into_their_buckets():
    """An observation lands in the first bucket whose bound it does not exceed."""
    counts = LatencyCounts()
    for seconds in (0.0005, 0.001, 0.003, 60.0):
        counts.observe(seconds)
    cumulative = dict(counts.cumulative())
    assert (cumulative["0.001"], cumulative["0.005"], cumulative["10.0"]) == (2, 3, 3)
    assert cumulative["+Inf"] == 4
    assert counts.sum == pytest.approx(60.0045)
