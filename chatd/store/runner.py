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
#: shares with the reactor, the relay goes first and the store catches up in bigger batches.
#: In bench scenario A (100 users, plain chat, server pinned to one CPU) that made 1.69 to
#: 1.81 million deliveries/s against 1.48 to 1.54 million without, every line still stored; with
#: every sender's receipts on, receipts waited longer (p50 11 ms against 7.6 ms).  A niceness
#: of 10 still gives the thread about a tenth of a saturated core, and SQLite writes a big batch
#: at half the cost per line of a small one, so it keeps up.  Where the reactor leaves its core
#: idle, or another core is free, the thread runs at once as before.
WRITER_NICENESS = 10


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
