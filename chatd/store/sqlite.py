"""The SQLite store: history, topics and sequences in one database file, written off the reactor.

The reactor thread never waits on the disk once the daemon runs.  It queues lines
(:mod:`chatd.store.writer`) and a thread of the store's own (:mod:`chatd.store.runner`)
commits them in batches, reads older history for ``/history``, and purges lines past their
retention, one after another on one connection.  Only opening the database (and migrating it)
and :meth:`SQLiteStore.load` read the disk on the calling thread, once, before anyone is served.

That connection is closed when :meth:`load` returns, and the writer thread opens its own on its
first work: twistd makes the service, then forks to become a daemon, and SQLite forbids using a
connection opened before a fork.  (``:memory:`` is the exception: a second connection to it
would be a second, empty database, and it has no file to fork on.)

Durability: a ``durable`` callback runs once the line's transaction has committed in WAL mode
with ``synchronous=NORMAL`` (see :func:`chatd.store.schema.connect`): the line survives the
process being killed; a power loss may take the last commits with it.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable

from twisted.internet.interfaces import IReactorCore
from twisted.logger import Logger
from twisted.python.failure import Failure

from chatd.core.clock import Clock
from chatd.core.store import Account, Ban, Mute, RoomRecord, StoredLine, Topic
from chatd.store import schema
from chatd.store.retention import Retention
from chatd.store.runner import Runner, WriterThread
from chatd.store.writer import LINE_COLUMNS, Batch, Durable, GroupCommit, LatencyCounts

#: How long the writer waits for another connection's lock before the attempt counts as failed.
BUSY_TIMEOUT = 2.0

_LINE_COLUMNS = "seq, at, name, text, action"

#: Lines per insert statement at most: 384 values, under SQLite's oldest limit of 999 bound
#: parameters, and few enough distinct statements (one per count) for the connection's cache.
LINES_PER_INSERT = 64


class SQLiteStore:
    """A :class:`chatd.core.store.Store` in an SQLite database at ``path``.

    Opening refuses, with :class:`chatd.store.schema.DatabaseRefused` and a one-line message,
    a database from a newer chatd, another program's database, or a file that is none.  An older
    chatd's database is migrated first.  ``history_days`` lines are kept (0: all of them).
    """

    log = Logger()

    def __init__(
        self,
        path: str,
        reactor: IReactorCore,
        history_days: float = 30,
        runner: Runner | None = None,
        clock: Clock | None = None,
        busy_timeout: float = BUSY_TIMEOUT,
    ) -> None:
        # Absolute, because the writer opens it later: after twistd has changed to --rundir.
        self._path = schema.describe(path)
        self._busy_timeout = busy_timeout
        self._where = self._path
        self._reader: sqlite3.Connection | None = schema.connect(path, busy_timeout)
        self._writer: sqlite3.Connection | None = self._reader if path == ":memory:" else None
        self._runner = runner if runner is not None else WriterThread(reactor)
        # The reactor is an IReactorTime too; its parameter's type names what the writer needs.
        timing: Clock = clock if clock is not None else reactor  # type: ignore[assignment]
        self._group = GroupCommit(self._runner, timing, self._commit, self._where)
        self._retention = Retention(self._runner, timing, self._purge, history_days, self._where)
        self._closed = False
        #: Set on the writer thread once its connection is closed for good.
        self._shut_down = False
        if path == ":memory:":
            self.log.info("keeping history in memory only (--db :memory:)")
        else:
            self.log.info("keeping history in the database {where}", where=self._where)

    @property
    def commits(self) -> int:
        """How many batches have been committed so far."""
        return self._group.commits

    @property
    def commit_seconds(self) -> LatencyCounts:
        """How long commits took, as a histogram (for the metrics)."""
        return self._group.commit_seconds

    @property
    def queued(self) -> int:
        """Lines waiting to be committed (for the metrics)."""
        return self._group.queued

    # -- the reactor thread's side --------------------------------------------------------

    def load(self, tail: int) -> list[RoomRecord]:
        db = self._reader
        if db is None:
            raise RuntimeError("SQLiteStore.load is called once, at start-up")
        records = []
        rooms = db.execute(
            "SELECT key, name, last_seq, topic, topic_setter, topic_at FROM rooms ORDER BY rowid"
        ).fetchall()
        for key, name, last_seq, text, setter, at in rooms:
            lines = _lines(
                key,
                db.execute(
                    f"SELECT {_LINE_COLUMNS} FROM lines WHERE room = ? ORDER BY seq DESC LIMIT ?",
                    (key, tail),
                ).fetchall()
                if tail > 0
                else [],
            )
            lines.reverse()
            topic = Topic(text, setter or "", at or 0.0) if text is not None else None
            last = max(last_seq, lines[-1].seq) if lines else last_seq
            records.append(RoomRecord(key, name, last, topic, lines))
        if db is not self._writer:
            db.close()
        self._reader = None
        self._retention.start()
        return records

    def add_room(self, key: str, name: str) -> None:
        self._group.add_room(key, name)

    def append(self, line: StoredLine, durable: Durable) -> None:
        if self._closed:
            raise RuntimeError("a line was appended to a closed store")
        self._group.append(line, durable)

    def set_topic(self, room: str, topic: Topic | None) -> None:
        if topic is None:
            self._group.set_topic(room, (None, None, None))
        else:
            self._group.set_topic(room, (topic.text, topic.setter, topic.at))

    def history(
        self, room: str, before: int, limit: int, found: Callable[[list[StoredLine]], None]
    ) -> None:
        if limit <= 0 or self._closed:
            found([])
            return

        def answer(rows: list[tuple]) -> None:
            lines = _lines(room, rows)
            lines.reverse()
            waiting = [line for line in self._group.pending(room) if line.seq < before]
            found(_with_pending(lines, waiting)[-limit:])

        self._read_history(room, self._read, before, limit, answer)

    def history_after(
        self, room: str, after: int, limit: int, found: Callable[[list[StoredLine]], None]
    ) -> None:
        if limit <= 0 or self._closed:
            found([])
            return

        def answer(rows: list[tuple]) -> None:
            waiting = [line for line in self._group.pending(room) if line.seq > after]
            found(_with_pending(_lines(room, rows), waiting)[:limit])

        self._read_history(room, self._read_after, after, limit, answer)

    def _read_history(
        self,
        room: str,
        read: Callable[[str, int, int], list[tuple]],
        seq: int,
        limit: int,
        answer: Callable[[list[tuple]], None],
    ) -> None:
        """Run ``read`` on the reader thread and ``answer`` its rows (none if it failed)."""

        def unreadable(failure) -> None:
            self.log.warn(
                "cannot read history of {room} from the database {where}: {error}",
                room=room,
                where=self._where,
                error=failure.getErrorMessage(),
            )
            answer([])

        self._runner.run(read, room, seq, limit).addCallbacks(answer, unreadable)

    def close(self, closed: Callable[[], None]) -> None:
        self._closed = True
        self._retention.stop()

        def written() -> None:
            self._runner.run(self._shut).addBoth(stopped)

        def stopped(_: object) -> None:
            self._runner.stop()
            closed()

        self._group.close(written)

    # Accounts, bans and mutes: read once at start-up, then each change written on its own, in
    # turn with the batches of lines (the runner keeps the order).

    def load_accounts(self) -> list[Account]:
        rows = self._startup_read("SELECT key, name, password_hash, created_at FROM accounts")
        return [Account(*row) for row in rows]

    def put_account(self, account: Account) -> None:
        self._change(
            "keep an account",
            "INSERT OR REPLACE INTO accounts (key, name, password_hash, created_at)"
            " VALUES (?, ?, ?, ?)",
            (account.key, account.name, account.password_hash, account.created_at),
        )

    def delete_account(self, key: str) -> None:
        self._change("delete an account", "DELETE FROM accounts WHERE key = ?", (key,))

    def load_bans(self) -> list[Ban]:
        rows = self._startup_read(
            "SELECT target, shown, set_by, set_at, expires, reason, address FROM bans"
        )
        return [Ban(*row) for row in rows]

    def put_ban(self, ban: Ban) -> None:
        self._change(
            "keep a ban",
            "INSERT OR REPLACE INTO bans (target, shown, set_by, set_at, expires, reason, address)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (ban.target, ban.shown, ban.set_by, ban.set_at, ban.expires, ban.reason, ban.address),
        )

    def delete_ban(self, target: str) -> None:
        self._change("delete a ban", "DELETE FROM bans WHERE target = ?", (target,))

    def load_mutes(self) -> list[Mute]:
        rows = self._startup_read("SELECT key, name, set_by, set_at, expires FROM mutes")
        return [Mute(*row) for row in rows]

    def put_mute(self, mute: Mute) -> None:
        self._change(
            "keep a mute",
            "INSERT OR REPLACE INTO mutes (key, name, set_by, set_at, expires)"
            " VALUES (?, ?, ?, ?, ?)",
            (mute.key, mute.name, mute.set_by, mute.set_at, mute.expires),
        )

    def delete_mute(self, key: str) -> None:
        self._change("delete a mute", "DELETE FROM mutes WHERE key = ?", (key,))

    def _startup_read(self, query: str) -> list[tuple]:
        if self._reader is None:
            raise RuntimeError("accounts, bans and mutes are loaded at start-up, before load()")
        return self._reader.execute(query).fetchall()

    def _change(self, what: str, statement: str, values: tuple) -> None:
        """Run ``statement`` in a transaction of its own on the writer thread; log a failure."""
        if self._closed:
            raise RuntimeError(f"cannot {what}: the store is closed")

        def failed(failure: Failure) -> None:
            self.log.error(
                "cannot {what} in the database {where}: {error}",
                what=what,
                where=self._where,
                error=failure.getErrorMessage(),
            )

        self._runner.run(self._execute, statement, values).addErrback(failed)

    # -- the writer thread's side ---------------------------------------------------------

    def _execute(self, statement: str, values: tuple) -> None:
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(statement, values)
            db.execute("COMMIT")
        except BaseException:
            self._abandon(db)
            raise

    def _connection(self) -> sqlite3.Connection:
        if self._shut_down:
            raise RuntimeError(f"the store of {self._where} is closed")
        if self._writer is None:
            self._writer = schema.connect(self._path, self._busy_timeout)
        return self._writer

    def _commit(self, batch: Batch) -> None:
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            if batch.rooms:
                db.executemany(
                    "INSERT OR IGNORE INTO rooms (key, name, last_seq, created_at)"
                    " VALUES (?, ?, 0, ?)",
                    batch.rooms,
                )
            if batch.topics:
                db.executemany(
                    "UPDATE rooms SET topic = ?, topic_setter = ?, topic_at = ? WHERE key = ?",
                    batch.topics.values(),
                )
            values, step = batch.values, LINES_PER_INSERT * LINE_COLUMNS
            for start in range(0, len(values), step):
                chunk = values[start : start + step]
                db.execute(_insert_lines(len(chunk) // LINE_COLUMNS), chunk)
            db.executemany(
                "UPDATE rooms SET last_seq = max(last_seq, ?) WHERE key = ?",
                [(seq, room) for room, seq in batch.last_seq.items()],
            )
            db.execute("COMMIT")
        except BaseException:
            self._abandon(db)
            raise

    def _abandon(self, db: sqlite3.Connection) -> None:
        """Roll back; a connection that cannot even do that is replaced on the next try."""
        try:
            if db.in_transaction:
                db.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        if db.in_transaction and self._path != ":memory:":
            db.close()
            self._writer = None

    def _read(self, room: str, before: int, limit: int) -> list[tuple]:
        return (
            self._connection()
            .execute(
                f"SELECT {_LINE_COLUMNS} FROM lines WHERE room = ? AND seq < ?"
                " ORDER BY seq DESC LIMIT ?",
                (room, before, limit),
            )
            .fetchall()
        )

    def _read_after(self, room: str, after: int, limit: int) -> list[tuple]:
        return (
            self._connection()
            .execute(
                f"SELECT {_LINE_COLUMNS} FROM lines WHERE room = ? AND seq > ?"
                " ORDER BY seq LIMIT ?",
                (room, after, limit),
            )
            .fetchall()
        )

    def _purge(self, before: float, count: int) -> int:
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            deleted = db.execute(
                "DELETE FROM lines WHERE (room, seq) IN"
                " (SELECT room, seq FROM lines WHERE at < ? LIMIT ?)",
                (before, count),
            ).rowcount
            db.execute("COMMIT")
        except BaseException:
            self._abandon(db)
            raise
        return deleted

    def _shut(self) -> None:
        for db in {db for db in (self._reader, self._writer) if db is not None}:
            db.close()
        self._reader = self._writer = None
        self._shut_down = True


@functools.cache
def _insert_lines(count: int) -> str:
    """The statement that inserts ``count`` lines, their values bound in one flat sequence.

    One statement for many lines, not ``executemany``: that binds and steps a line at a time,
    letting go of the GIL and taking it back around each step, and the writer thread shares a
    core with the reactor's; in bench scenario A this wrote the same lines with about a tenth
    less of the writer's CPU, and the relay kept about 8 % more throughput.
    OR REPLACE: a retry after a COMMIT that reported failure yet happened rewrites the same
    lines instead of failing on them for ever.
    """
    row = "(" + ", ".join("?" * LINE_COLUMNS) + ")"
    return "INSERT OR REPLACE INTO lines (room, seq, at, name, text, action) VALUES " + ", ".join(
        [row] * count
    )


def _lines(room: str, rows: list[tuple]) -> list[StoredLine]:
    return [
        StoredLine(room, seq, at, name, text, bool(action)) for seq, at, name, text, action in rows
    ]


def _with_pending(lines: list[StoredLine], waiting: list[StoredLine]) -> list[StoredLine]:
    """``lines`` read from the database, oldest first, with ``waiting`` merged in by seq.

    Lines not yet committed (a busy or failing disk) are history all the same.
    """
    if not waiting:
        return lines
    merged = {line.seq: line for line in lines}
    merged.update((line.seq, line) for line in waiting)
    return [merged[seq] for seq in sorted(merged)]
