"""Retention: lines older than ``--history-days`` are deleted, a small batch at a time.

Each batch is one short transaction on the writer thread, and the next is asked for only once
the last is done, so batches of lines queued meanwhile get the thread in between: a purge of a
year of history never holds the chat's writes up for longer than one batch.  A purge runs once
at start (after the rooms are loaded) and then every :data:`EVERY` seconds.  Rooms and their
sequence numbers are never purged: a room emptied by retention goes on counting where it was.
"""

from __future__ import annotations

from collections.abc import Callable

from twisted.logger import Logger
from twisted.python.failure import Failure

from chatd.core.clock import Clock, Timer
from chatd.store.runner import Runner

EVERY = 600.0
BATCH = 1000
DAY = 86400.0


class Retention:
    """Runs ``purge(before, count)`` (on the runner) until it deletes fewer than ``count``."""

    log = Logger()

    def __init__(
        self,
        runner: Runner,
        clock: Clock,
        purge: Callable[[float, int], int],
        days: float,
        where: str,
        batch: int = BATCH,
    ) -> None:
        self._runner = runner
        self._clock = clock
        self._purge = purge
        self._days = days
        self._where = where
        self._batch = batch
        self._timer: Timer | None = None
        self._stopped = False
        self._deleted = 0

    def start(self) -> None:
        if self._days > 0 and not self._stopped:
            self._timer = self._clock.callLater(0, self._run)

    def stop(self) -> None:
        self._stopped = True
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = None

    def _run(self) -> None:
        self._timer = None
        self._deleted = 0
        self._next(self._clock.seconds() - self._days * DAY)

    def _next(self, before: float) -> None:
        self._runner.run(self._purge, before, self._batch).addCallbacks(
            self._purged, self._failed, callbackArgs=(before,)
        )

    def _purged(self, deleted: int, before: float) -> None:
        self._deleted += deleted
        if self._stopped:
            return
        if deleted >= self._batch:
            self._next(before)
            return
        if self._deleted:
            self.log.info(
                "retention: deleted {count} lines older than {days} days from {where}",
                count=self._deleted,
                days=self._days,
                where=self._where,
            )
        self._again()

    def _failed(self, failure: Failure) -> None:
        if not self._stopped:
            self.log.warn(
                "retention: cannot delete old lines from {where} ({error}); trying again later",
                where=self._where,
                error=failure.getErrorMessage(),
            )
            self._again()

    def _again(self) -> None:
        self._timer = self._clock.callLater(EVERY, self._run)
