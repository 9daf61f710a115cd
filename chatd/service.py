"""The running daemon: the hub, its listeners, and a shutdown that tells people why they go."""

from __future__ import annotations

import gc
import signal
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Protocol

from twisted.application.service import MultiService
from twisted.internet import defer
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger

from chatd.core.hub import Hub
from chatd.core.store import Store

#: How long connections get to flush their goodbyes before they are dropped.
SHUTDOWN_GRACE_SECONDS = 3.0


class Door(Protocol):
    """What the service needs of a door (a factory of connections): to know when all are closed,
    and to drop them all."""

    def all_closed(self) -> defer.Deferred[None]: ...

    def abort_all(self) -> None: ...


class ChatService(MultiService):
    """Owns the hub; its children are the listening endpoints of the doors.

    Stopping first stops every listener, then tells each connection the server is shutting down,
    waits for the connections to close, and drops any that have not after the grace period; then
    it closes the store, which writes every line it was given first.  twistd waits for the
    Deferred that :meth:`stopService` returns before it exits.

    With ``freeze_startup_objects``, starting also takes the objects that exist by then out of the
    cyclic garbage collector's sight until the service stops.  A full collection walks every
    object the collector tracks while everything else waits; in a running daemon about 47,000 of
    them are modules, classes and functions that live as long as the process.  With 10,000 users
    online a full collection took 20 to 27 ms, and 9 to 11 ms with those frozen.  Reference
    counting still frees frozen objects; only cycles among them would wait for the thaw.
    """

    log = Logger()

    def __init__(
        self,
        hub: Hub,
        doors: Sequence[Door],
        grace: float = SHUTDOWN_GRACE_SECONDS,
        reactor: IReactorTime | None = None,
        freeze_startup_objects: bool = False,
        store: Store | None = None,
        reload: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self.hub = hub
        #: Closed last, once every connection is: so every line received is written first.
        self.store = store
        self.doors = tuple(doors)
        self.grace = grace
        self.freeze_startup_objects = freeze_startup_objects
        self._reactor = reactor
        #: Called on SIGHUP, in the reactor's thread (see :mod:`chatd.reload`); None: no handler.
        self.reload = reload
        self._previous_hangup: object = None
        self._hangup_installed = False

    def privilegedStartService(self) -> None:
        # Before the listeners: once a port is open, a SIGHUP must not kill the process (the
        # default action), and twistd opens ports here, well before startService.
        self._install_hangup()
        super().privilegedStartService()

    def startService(self) -> None:
        self._install_hangup()
        super().startService()
        if self.freeze_startup_objects:
            gc.collect()
            gc.freeze()
            self.log.info(
                "left {count} start-up objects out of garbage collection",
                count=gc.get_freeze_count(),
            )

    def _install_hangup(self) -> None:
        if self.reload is not None and not self._hangup_installed:
            self._previous_hangup = signal.signal(signal.SIGHUP, self._hangup)
            self._hangup_installed = True

    def _hangup(self, signum: int, frame: FrameType | None) -> None:
        """SIGHUP: reload once the reactor is between events.

        A signal handler runs wherever the main thread happened to be, perhaps halfway through
        a broadcast; callFromThread queues the reload and wakes the reactor, as Twisted's own
        SIGINT handler does with its shutdown.
        """
        self._clock().callFromThread(self._reload)  # type: ignore[attr-defined]

    def _reload(self) -> None:
        if self.running and self.reload is not None:
            self.reload()

    def stopService(self) -> defer.Deferred[None]:
        if self._hangup_installed:
            # None: installed outside Python, which cannot be restored; the default is closest.
            previous = self._previous_hangup
            if previous is None:
                previous = signal.SIG_DFL
            signal.signal(signal.SIGHUP, previous)  # type: ignore[arg-type]
            self._hangup_installed = False
        if self.freeze_startup_objects:
            gc.unfreeze()
        d = defer.maybeDeferred(super().stopService)
        d.addCallback(lambda _: self._close_connections())
        d.addBoth(self._close_store)
        return d

    def _close_store(self, result: object) -> object:
        if self.store is None:
            return result
        closed: defer.Deferred[None] = defer.Deferred()
        self.store.close(lambda: closed.callback(None))
        return closed.addCallback(lambda _: result)

    def _close_connections(self) -> defer.Deferred[None]:
        self.hub.shutdown()
        closed = self._all_closed()
        # No cancellation: dropping the stragglers makes their connections close, which fires
        # ``closed`` like any other close would.
        deadline = self._clock().callLater(self.grace, self._abort_stragglers)
        return closed.addBoth(self._stop_deadline, deadline)

    def _abort_stragglers(self) -> None:
        self.log.warn("connections still open after {grace}s; dropping them", grace=self.grace)
        for door in self.doors:
            door.abort_all()

    @staticmethod
    def _stop_deadline(result: object, deadline: IDelayedCall) -> object:
        if deadline.active():
            deadline.cancel()
        return result

    def _all_closed(self) -> defer.Deferred[None]:
        d = defer.gatherResults([door.all_closed() for door in self.doors], consumeErrors=True)
        return d.addCallback(lambda _: None)

    def _clock(self) -> IReactorTime:
        if self._reactor is None:
            from twisted.internet import reactor

            return reactor
        return self._reactor
