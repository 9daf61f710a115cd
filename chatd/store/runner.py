"""Where the store's disk work runs: one thread of its own, in the order it was asked for.

SQLite allows one writer at a time, and a connection must not be used by two threads at once;
a pool of one thread gives both for free, and its FIFO order is what keeps a history read, a
retention purge and a batch of lines from overtaking each other.  The reactor's own pool is
shared with name resolution and anything else, so the store does not use it.

Tests hand the store another :class:`Runner` that runs work when they say so.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorCore, IReactorThreads
from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool

T = TypeVar("T")

#: How much nicer than the rest of the process the writer thread runs, on Linux: on a core it
#: shares with the reactor, the relay goes first and the store catches up in bigger batches,
#: yet the store can always take about a quarter of the core (a weight of 335 against the
#: reactor's 1024), more than it needs to keep up.  Measured with bench scenario R (1,000 users
#: in 100 rooms, 50 talking, every sender's receipts on, the server pinned to one CPU and at
#: 100 % of it): at a niceness of 10 the thread got a tenth of the core, fell 3 to 5 s behind
#: (receipt p50 and p99) and further for as long as the load lasted, and its huge catch-up
#: batches held the GIL long enough to take the relay's p99 from 60 to 180 ms; at 5, receipts
#: took 50 to 60 ms (p99 100 to 120 ms) and kept pace with the lines; at 0, 30 ms (66 ms).  In
#: scenario A, 5 relays about a tenth less than 10 (three runs each) and a tenth more than 0:
#: the difference at 10 was the store's work put off past the measurement, not saved.  Where
#: the reactor leaves its core idle, or another core is free, the thread runs at once.
WRITER_NICENESS = 5


class Runner(Protocol):
    """Runs callables one at a time, in order, away from the reactor thread."""

    def run(self, work: Callable[..., T], *args: Any) -> Deferred[T]:
        """Run ``work(*args)``; the Deferred fires on the reactor thread with its result."""

    def stop(self) -> None:
        """Finish; called once the last work's result has arrived."""


class WriterThread:
    """A :class:`Runner` on a one-thread :class:`ThreadPool`.

    The thread starts only once the reactor runs, as the reactor's own pool does: twistd forks
    to become a daemon after the service is made, and a thread started before the fork would
    not exist in the daemon.  Work asked for earlier waits in the pool's queue.  If the reactor
    stops without :meth:`stop` having been called, the pool is stopped then, so that its
    (non-daemon) thread cannot keep the process alive.
    """

    def __init__(self, reactor: IReactorCore, name: str = "chatd-store") -> None:
        self._reactor = reactor
        self._pool = ThreadPool(1, 1, name)
        self._stopped = False
        reactor.callWhenRunning(self._start)
        self._trigger = reactor.addSystemEventTrigger("during", "shutdown", self._stop_pool)

    def _start(self) -> None:
        if not self._stopped:
            self._pool.start()
            if sys.platform.startswith("linux"):
                self._pool.callInThread(_be_nicer, WRITER_NICENESS)

    def run(self, work: Callable[..., T], *args: Any) -> Deferred[T]:
        reactor: IReactorThreads = self._reactor  # type: ignore[assignment]
        return deferToThreadPool(reactor, self._pool, work, *args)

    def stop(self) -> None:
        if not self._stopped:
            self._reactor.removeSystemEventTrigger(self._trigger)
            self._stop_pool()

    def _stop_pool(self) -> None:
        if not self._stopped:
            self._stopped = True
            if self._pool.started:
                self._pool.stop()


def _be_nicer(increment: int) -> None:
    """Lower the calling thread's scheduling priority by ``increment`` (Linux only).

    On Linux, ``setpriority`` with a thread's own id changes that thread alone.  Niceness is set
    relative to the thread's present one (raising it needs no privilege, lowering it would), and
    a refusal (a sandbox's system call filter) leaves the thread as it was.
    """
    thread = threading.get_native_id()
    try:
        nice = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, min(nice + increment, 19))
    except OSError:
        pass
