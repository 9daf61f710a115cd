"""Logging that one address cannot flood: the first event per address per window, then a count.

A connection storm from one address would otherwise write a few hundred bytes of log per
connection, a megabyte a second; an operator needs to know that it happened, from where, and how
much, not every instance.  So each address gets one logged event per :data:`WINDOW_SECONDS`, and
when a window in which events were held back ends, one line says how many.
"""

from __future__ import annotations

from twisted.logger import Logger

from chatd.core.clock import Clock, Timer

#: Seconds during which one address gets a single log line of a kind.
WINDOW_SECONDS = 10.0


class LogQuota:
    """Decides which of the events of one kind, per address, reach the log."""

    log = Logger()

    def __init__(self, clock: Clock, what: str, window: float = WINDOW_SECONDS) -> None:
        self._clock = clock
        #: What the events are, in the plural, for the summary ("refused connections").
        self._what = what
        self._window = window
        #: Per address in a window: how many of its events were held back, and the window's end.
        self._held: dict[str, int] = {}
        self._timers: dict[str, Timer] = {}

    def allow(self, address: str | None) -> bool:
        """Whether to log this event from ``address``; if not, it is counted for the summary."""
        if address is None:
            return True
        if address not in self._timers:
            self._held[address] = 0
            self._timers[address] = self._clock.callLater(self._window, self._summarise, address)
            return True
        self._held[address] += 1
        return False

    def stop(self) -> None:
        """Say what was held back so far, now (the server is stopping)."""
        for address in list(self._timers):
            self._timers[address].cancel()
            self._summarise(address)

    def _summarise(self, address: str) -> None:
        del self._timers[address]
        held = self._held.pop(address)
        if held:
            self.log.warn(
                "{count} more {what} from {origin} in the last {window:g} s"
                " (not logged one by one)",
                count=held,
                what=self._what,
                origin=address,
                window=self._window,
            )
