"""Where the store's disk work runs: one thread of its own, in the order it was asked for.

SQLite allows one writer at a time, and a connection must not be used by two threads at once;
a pool of one thread gives both for free, and its FIFO order is what keeps a history read, a
retention purge and a batch of lines from overtaking each other.  The reactor's own pool is
shared with name resolution and anything else, so the store does not use it.

Tests hand the store another :class:`Runner` that runs work when they say so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorCore, IReactorThreads
from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool

T = TypeVar("T")


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
