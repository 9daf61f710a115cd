"""Rate limits as small objects with an injected notion of time: token buckets.

They decide; they do not wait.  A door asks its connection's bucket after each line how long that
connection must now pause, and stops reading from the connection for that long, so a flood is
delayed rather than dropped and costs the server no buffering.  The hub asks a bucket per address
whether a new connection may come in, and a bucket per user whether another private message may
reach them; those it refuses, with a reason, rather than queue.
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

    def try_spend(self, now: float) -> bool:
        """Spend one token if one is there; refuse (and spend nothing) if not."""
        tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if tokens < 1.0:
            self._tokens = tokens
            return False
        self._tokens = tokens - 1.0
        return True

    def full(self, now: float) -> bool:
        """Whether the bucket has refilled: it then behaves exactly like a new one."""
        return self._tokens + (now - self._last) * self.rate >= self.burst


class PerKey:
    """A token bucket per key (an address, say), each forgotten once it has refilled.

    Forgetting full buckets keeps the table as small as the set of keys active in the last
    ``burst / rate`` seconds, however many keys come and go.
    """

    __slots__ = ("_buckets", "_sweep_at", "burst", "rate")

    #: The table is swept whenever it reaches this size, or twice its size after the last sweep.
    SWEEP_AT = 64

    def __init__(self, rate: float, burst: int) -> None:
        TokenBucket(rate, burst, 0.0)  # the same checks on rate and burst
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, TokenBucket] = {}
        self._sweep_at = self.SWEEP_AT

    def __len__(self) -> int:
        return len(self._buckets)

    def try_spend(self, key: str, now: float) -> bool:
        """Spend one of ``key``'s tokens if it has one; False if it must wait."""
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._sweep_at:
                self._sweep(now)
            bucket = self._buckets[key] = TokenBucket(self.rate, self.burst, now)
        return bucket.try_spend(now)

    def _sweep(self, now: float) -> None:
        for key in [key for key, bucket in self._buckets.items() if bucket.full(now)]:
            del self._buckets[key]
        self._sweep_at = max(self.SWEEP_AT, 2 * len(self._buckets))
