"""Flood control as a small object with an injected notion of time: a token bucket.

It decides; it does not wait.  A door asks it after each line how long that connection must now
pause, and stops reading from the connection for that long, so a flood is delayed rather than
dropped and costs the server no buffering.
"""

from __future__ import annotations


class TokenBucket:
    """Allows ``burst`` lines at once and ``rate`` lines per second on average after that."""

    __slots__ = ("_last", "_tokens", "burst", "rate")

    def __init__(self, rate: float, burst: int, now: float) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError(f"a token bucket needs rate > 0 and burst >= 1, not {rate}, {burst}")
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._last = now

    def spend(self, now: float, cost: float = 1.0) -> float:
        """Spend ``cost`` tokens (one per line); return the seconds to wait before the next."""
        tokens = min(self.burst, self._tokens + (now - self._last) * self.rate) - cost
        self._tokens, self._last = tokens, now
        if tokens >= 1.0:
            return 0.0
        return (1.0 - tokens) / self.rate
