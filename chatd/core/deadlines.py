"""Waits of one fixed length for many things at once, on a single timer.

The hub gives each connection a limited time to choose a name and, optionally, each user a limited
time between lines.  A delayed call per connection costs a few hundred bytes, and a cancelled one
stays in the reactor's queue until the queue is next compacted; with ten thousand connections that
was the largest thing each one kept after its handshake.  Since every wait of a kind is equally
long, the deadlines fall in the order the waits began: an insertion-ordered dict holds them, a
restart moves an entry to the end, and one timer is set for the earliest.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar

from chatd.core.clock import Clock, Timer

Waiter = TypeVar("Waiter", bound=Hashable)


class Deadlines(Generic[Waiter]):
    """Calls ``expired(waiter)`` once ``seconds`` have passed since ``start(waiter)``, unless it
    was stopped or started again meanwhile.  ``seconds`` of 0 turns the waits off."""

    def __init__(self, clock: Clock, seconds: float, expired: Callable[[Waiter], object]) -> None:
        self._clock = clock
        self._seconds = seconds
        self._expired = expired
        #: Each waiter's deadline, earliest first.
        self._due: dict[Waiter, float] = {}
        self._timer: Timer | None = None

    def __len__(self) -> int:
        return len(self._due)

    def start(self, waiter: Waiter) -> None:
        """Start ``waiter``'s wait, or start it again from now."""
        if self._seconds <= 0:
            return
        self._due.pop(waiter, None)
        self._due[waiter] = self._clock.seconds() + self._seconds
        if self._timer is None:
            self._timer = self._clock.callLater(self._seconds, self._expire)

    def stop(self, waiter: Waiter) -> None:
        self._due.pop(waiter, None)
        if not self._due and self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def change(self, seconds: float, waiting: Iterable[Waiter]) -> None:
        """Make every wait ``seconds`` long, counted from when it began, without losing any.

        All waits shift by the same amount, so they stay in deadline order.  When waits were off
        (0 seconds) nobody was being timed: ``waiting`` names who should be, and their waits
        begin now.  ``seconds`` of 0 turns the waits off.
        """
        if seconds <= 0:
            self._due.clear()
            self._seconds = seconds
            self._reschedule()
            return
        if self._seconds > 0:
            shift = seconds - self._seconds
            self._due = {waiter: due + shift for waiter, due in self._due.items()}
        self._seconds = seconds
        for waiter in waiting:
            if waiter not in self._due:
                self._due[waiter] = self._clock.seconds() + seconds
        self._reschedule()

    def _reschedule(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._due:
            earliest = next(iter(self._due.values()))
            self._timer = self._clock.callLater(
                max(0.0, earliest - self._clock.seconds()), self._expire
            )

    def _expire(self) -> None:
        self._timer = None
        now = self._clock.seconds()
        while self._due:
            waiter, due = next(iter(self._due.items()))
            if due > now:
                if self._timer is not None:  # set by a wait that an expiry started
                    self._timer.cancel()
                self._timer = self._clock.callLater(due - now, self._expire)
                return
            del self._due[waiter]
            self._expired(waiter)
