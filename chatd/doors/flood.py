"""Flood control for a door: a token bucket that stops reading from a connection while it is spent.

Lines (and telnet commands) over the budget are not dropped or buffered: the door stops reading,
so they wait in the peer's and the kernel's buffers until the bucket allows them.  While reading is
stopped the door would not see the peer hang up, since the FIN comes after everything the peer sent
before it; so the gate asks the door every :data:`HANGUP_CHECK_SECONDS` whether the peer is still
there, and a peer that left is not kept online (with its queued lines relayed) for minutes after.
"""

from __future__ import annotations

from typing import Protocol

from chatd.core.clock import Clock, Timer
from chatd.core.policy import TokenBucket

#: Longest a paused connection goes without being checked for a hang-up.
HANGUP_CHECK_SECONDS = 1.0


class Paced(Protocol):
    """The connection a flood gate paces."""

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...

    def peer_hung_up(self) -> bool:
        """Whether the peer has gone, though what it sent before is still unread."""

    def gone_while_paused(self) -> None:
        """End the connection: the peer left, and what it queued is not to be relayed."""


class FloodGate(TokenBucket):
    """One connection's budget of lines, and the pause that enforces it."""

    __slots__ = ("_clock", "_connection", "_timer", "_until")

    def __init__(self, rate: float, burst: int, clock: Clock, connection: Paced) -> None:
        super().__init__(rate, burst, clock.seconds())
        self._clock = clock
        self._connection = connection
        self._timer: Timer | None = None
        #: When reading may resume, while paused.
        self._until: float | None = None

    @property
    def paused(self) -> bool:
        return self._until is not None

    def charge(self, cost: float = 1.0) -> None:
        """Count ``cost`` lines against the budget; pause reading for as long as that owes."""
        now = self._clock.seconds()
        wait = self.spend(now, cost)
        if not wait:
            return
        if self._until is None:
            self._connection.pause_reading()
        elif self._timer is not None:
            self._timer.cancel()
        self._until = now + wait
        self._timer = self._clock.callLater(min(wait, HANGUP_CHECK_SECONDS), self._check)

    def stop(self) -> None:
        """The connection is gone: forget the pause."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._until = None

    def _check(self) -> None:
        self._timer = None
        if self._connection.peer_hung_up():
            self._until = None
            self._connection.gone_while_paused()
            return
        assert self._until is not None  # the timer runs only while paused
        remaining = self._until - self._clock.seconds()
        if remaining > 0:
            self._timer = self._clock.callLater(min(remaining, HANGUP_CHECK_SECONDS), self._check)
        else:
            self._until = None
            self._connection.resume_reading()
