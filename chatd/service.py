"""The running daemon: the hub, its listeners, and a shutdown that tells people why they go."""

from __future__ import annotations

from collections.abc import Sequence

from twisted.application.service import MultiService
from twisted.internet import defer
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger

from chatd.core.hub import Hub
from chatd.doors.line import LineDoorFactory

#: How long connections get to flush their goodbyes before they are dropped.
SHUTDOWN_GRACE_SECONDS = 3.0


class ChatService(MultiService):
    """Owns the hub; its children are the listening endpoints of the doors.

    Stopping first stops every listener, then tells each connection the server is shutting down,
    waits for the connections to close, and drops any that have not after the grace period.
    twistd waits for the Deferred that :meth:`stopService` returns before it exits.
    """

    log = Logger()

    def __init__(
        self,
        hub: Hub,
        doors: Sequence[LineDoorFactory],
        grace: float = SHUTDOWN_GRACE_SECONDS,
        reactor: IReactorTime | None = None,
    ) -> None:
        super().__init__()
        self.hub = hub
        self.doors = tuple(doors)
        self.grace = grace
        self._reactor = reactor

    def stopService(self) -> defer.Deferred[None]:
        d = defer.maybeDeferred(super().stopService)
        d.addCallback(lambda _: self._close_connections())
        return d

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

            return reactor  # type: ignore[return-value]
        return self._reactor
