"""Group commit: lines are queued on the reactor thread and written a batch at a time.

Whenever no batch is being written and something is queued, the whole queue becomes the next
batch, handed to the writer thread already in the shape its statements take (the lines' column
values in one flat list, the rest as tuples for ``executemany``) and committed in one
transaction.  While it is written, new work queues up for the batch after.
So an idle server commits each line at once, and a busy one writes bigger batches by itself,
without a timer.  Once a batch is committed, every ``durable`` callback of it runs in order in
one reactor callback, so the doors can send that batch's receipts together.

When a commit fails (read-only, full, locked, I/O error) the batch stays first in line, with
everything queued after it, and is tried again after a delay that doubles from
:data:`RETRY_FIRST` to :data:`RETRY_MOST`.  The chat goes on; receipts wait.  The log says so
once when it starts failing, again when the error changes or a minute has passed, and once
when writing works again; never once per line.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from typing import Any

from twisted.logger import Logger
from twisted.python.failure import Failure

from chatd.core.clock import Clock, Timer
from chatd.core.store import StoredLine
from chatd.store.runner import Runner

RETRY_FIRST = 1.0
RETRY_MOST = 10.0
#: How often a write that goes on failing is mentioned again in the log.
REMIND_EVERY = 60.0
#: How long :meth:`GroupCommit.close` keeps trying to write before it gives the lines up.
CLOSE_TIMEOUT = 15.0

Durable = Callable[[StoredLine], None]

#: The values a line takes in :attr:`Batch.values`: its ``lines`` columns.
LINE_COLUMNS = 6


class Batch:
    """Work for one transaction, in the shape the writer thread hands straight to SQLite."""

    __slots__ = ("durable", "last_seq", "rooms", "topics", "values")

    def __init__(self) -> None:
        #: ``(key, name, created_at)`` of rooms made.
        self.rooms: list[tuple[str, str, float]] = []
        #: The newest topic per room: ``(text, setter, at, key)``, ``None`` for none.
        self.topics: dict[str, tuple[str | None, str | None, float | None, str]] = {}
        #: ``room, seq, at, name, text, action`` of every line, in order, one after the other
        #: (:data:`LINE_COLUMNS` values a line): the writer thread binds slices of it to
        #: multi-row inserts without a Python step per line.
        self.values: list[str | int | float | bool] = []
        #: Whom to tell once the lines are committed, line for line.
        self.durable: list[tuple[Durable, StoredLine]] = []
        #: The highest sequence per room in :attr:`values`.
        self.last_seq: dict[str, int] = {}

    def __bool__(self) -> bool:
        return bool(self.durable or self.rooms or self.topics)

    @property
    def lines(self) -> int:
        """How many lines the batch holds."""
        return len(self.durable)

    def absorb(self, later: Batch) -> None:
        """Take ``later``'s work after this batch's own."""
        self.rooms += later.rooms
        self.topics.update(later.topics)
        self.values += later.values
        self.durable += later.durable
        for room, seq in later.last_seq.items():
            if seq > self.last_seq.get(room, 0):
                self.last_seq[room] = seq


class GroupCommit:
    """The queue in front of the writer thread; every method is called on the reactor thread.

    ``commit(batch)`` runs on the runner and either commits all of the batch or raises.
    """

    log = Logger()

    def __init__(
        self,
        runner: Runner,
        clock: Clock,
        commit: Callable[[Batch], Any],
        where: str,
        close_timeout: float = CLOSE_TIMEOUT,
    ) -> None:
        self._runner = runner
        self._clock = clock
        self._commit = commit
        self._where = where
        self._close_timeout = close_timeout
        self._queue = Batch()
        self._in_flight: Batch | None = None
        self._retry: Timer | None = None
        self._failures = 0
        self._failing_since = 0.0
        self._last_warning: tuple[str, float] | None = None
        self._closing: Callable[[], None] | None = None
        self._deadline: Timer | None = None
        #: How many transactions have been committed (for tests and benchmarks).
        self.commits = 0
        #: How long each committed batch took, from being handed to the writer thread until the
        #: reactor heard it was committed (what a receipt waits for): for the metrics.
        self.commit_seconds = LatencyCounts()
        self._flushed_at = 0.0

    # The reactor thread's share of an append is these few statements: keep it that way.
    def append(self, line: StoredLine, durable: Durable) -> None:
        queue = self._queue
        queue.values += (line.room, line.seq, line.at, line.name, line.text, line.action)
        queue.durable.append((durable, line))
        if line.seq > queue.last_seq.get(line.room, 0):
            queue.last_seq[line.room] = line.seq
        if self._in_flight is None and self._retry is None:
            self._flush()

    def add_room(self, key: str, name: str) -> None:
        self._queue.rooms.append((key, name, self._clock.seconds()))
        self._kick()

    def set_topic(self, room: str, topic: tuple[str | None, str | None, float | None]) -> None:
        self._queue.topics[room] = (*topic, room)
        self._kick()

    def pending(self, room: str) -> list[StoredLine]:
        """Lines of ``room`` appended but not yet known to be committed, oldest first."""
        batches = [self._in_flight, self._queue] if self._in_flight else [self._queue]
        return [line for batch in batches for _, line in batch.durable if line.room == room]

    def close(self, closed: Callable[[], None]) -> None:
        """Write everything queued, then call ``closed``.

        A database that still cannot be written after ``close_timeout`` seconds gets no more
        tries: the log says how many lines were lost, and ``closed`` is called all the same, so
        that a broken disk cannot keep the daemon from stopping.
        """
        self._closing = closed
        self._deadline = self._clock.callLater(self._close_timeout, self._give_up)
        if self._retry is not None:
            self._retry.reset(min(self._retry_delay(), RETRY_FIRST))
        self._kick()

    def _kick(self) -> None:
        if self._in_flight is None and self._retry is None:
            if self._queue:
                self._flush()
            elif self._closing is not None:
                self._finish()

    @property
    def queued(self) -> int:
        """Lines appended and not yet known to be committed."""
        in_flight = self._in_flight.lines if self._in_flight is not None else 0
        return in_flight + self._queue.lines

    def _flush(self) -> None:
        batch, self._queue = self._queue, Batch()
        self._in_flight = batch
        self._flushed_at = self._clock.seconds()
        self._runner.run(self._commit, batch).addCallbacks(self._committed, self._failed)

    def _committed(self, _: object) -> None:
        batch, self._in_flight = self._in_flight, None
        assert batch is not None
        self.commits += 1
        self.commit_seconds.observe(self._clock.seconds() - self._flushed_at)
        if self._failures:
            self.log.info(
                "writing to the database {where} again after {attempts} failed attempts"
                " over {seconds:.0f} s",
                where=self._where,
                attempts=self._failures,
                seconds=self._clock.seconds() - self._failing_since,
            )
            self._failures = 0
            self._last_warning = None
        for durable, line in batch.durable:
            try:
                durable(line)
            except Exception:
                self.log.failure("a durable callback failed for line {seq}", seq=line.seq)
        self._kick()

    def _failed(self, failure: Failure) -> None:
        batch, self._in_flight = self._in_flight, None
        assert batch is not None
        batch.absorb(self._queue)
        self._queue = batch
        if self._closing is not None and self._deadline is None:
            self._lose_queue()
            return
        now = self._clock.seconds()
        if not self._failures:
            self._failing_since = now
        self._failures += 1
        self._warn(failure, now)
        delay = RETRY_FIRST if self._closing else self._retry_delay()
        self._retry = self._clock.callLater(delay, self._try_again)

    def _retry_delay(self) -> float:
        return min(RETRY_FIRST * 2 ** max(self._failures - 1, 0), RETRY_MOST)

    def _warn(self, failure: Failure, now: float) -> None:
        error = f"{failure.type.__name__}: {failure.getErrorMessage()}"
        last = self._last_warning
        if last is not None and last[0] == error and now - last[1] < REMIND_EVERY:
            return
        self._last_warning = (error, now)
        self.log.warn(
            "cannot write to the database {where} ({error}); {count} lines wait to be written,"
            " and their receipts with them; trying again (attempt {attempts}, failing for"
            " {seconds:.0f} s)",
            where=self._where,
            error=error,
            count=self._queue.lines,
            attempts=self._failures,
            seconds=now - self._failing_since,
        )

    def _try_again(self) -> None:
        self._retry = None
        self._kick()

    def _give_up(self) -> None:
        self._deadline = None
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        if self._in_flight is None:
            self._lose_queue()
        # Otherwise the attempt under way decides: committed, or lost in _failed.

    def _lose_queue(self) -> None:
        self.log.error(
            "stopping without writing {count} lines to the database {where}: it could not be"
            " written for {seconds:.0f} s",
            count=self._queue.lines,
            where=self._where,
            seconds=self._close_timeout,
        )
        self._queue = Batch()
        self._finish()

    def _finish(self) -> None:
        closed, self._closing = self._closing, None
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        if closed is not None:
            closed()


#: Upper bounds, in seconds, of the commit-latency histogram's buckets (Prometheus' defaults
#: shifted down: an idle commit takes a millisecond or two).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class LatencyCounts:
    """A histogram as plain numbers: how many observations fell at or under each bound, and
    their sum; read whole by a metrics scrape, added to once per commit."""

    __slots__ = ("counts", "sum")

    def __init__(self) -> None:
        #: Observations per bucket (not cumulative), the last one for those over every bound.
        self.counts = [0] * (len(LATENCY_BUCKETS) + 1)
        self.sum = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.sum += seconds

    def cumulative(self) -> list[tuple[str, int]]:
        """``(le, count)`` pairs as Prometheus wants them, ending with ``+Inf``."""
        counts, total = list(self.counts), 0
        buckets = []
        for bound, count in zip((*map(str, LATENCY_BUCKETS), "+Inf"), counts, strict=True):
            total += count
            buckets.append((bound, total))
        return buckets
