"""The token bucket behind flood control: bursts pass, then lines are spaced at the rate."""

from __future__ import annotations

import pytest

from chatd.core.policy import PerKey, TokenBucket


def test_a_burst_passes_then_the_next_line_waits_one_interval():
    """``burst`` lines in the same instant cost nothing; the last of them leaves 1/rate to wait."""
    bucket = TokenBucket(rate=5, burst=3, now=100.0)
    assert [bucket.spend(100.0) for _ in range(3)] == [0.0, 0.0, pytest.approx(0.2)]


def test_lines_at_the_rate_never_wait_after_the_burst():
    """Once spent, the bucket refills at ``rate``: one line per interval keeps flowing."""
    bucket = TokenBucket(rate=4, burst=2, now=0.0)
    bucket.spend(0.0)
    assert bucket.spend(0.0) == pytest.approx(0.25)
    for step in range(1, 20):
        assert bucket.spend(step * 0.25) == pytest.approx(0.25)


def test_waiting_the_advised_time_is_always_enough():
    """A sender that waits exactly what the bucket says is never further behind."""
    bucket = TokenBucket(rate=10, burst=5, now=0.0)
    now, waits = 0.0, []
    for _ in range(50):
        wait = bucket.spend(now)
        waits.append(wait)
        now += wait
    assert waits[:4] == [0.0] * 4
    assert all(wait == pytest.approx(0.1) for wait in waits[4:])
    assert now == pytest.approx(4.6)


def test_idle_time_refills_only_up_to_the_burst():
    """A long silence earns one burst, not an hour's worth of lines."""
    bucket = TokenBucket(rate=1, burst=3, now=0.0)
    for _ in range(3):
        bucket.spend(0.0)
    assert [bucket.spend(3600.0) for _ in range(3)] == [0.0, 0.0, pytest.approx(1.0)]


@pytest.mark.parametrize("rate, burst", [(0, 5), (-1, 5), (5, 0)])
def test_a_bucket_that_could_never_refill_is_refused(rate, burst):
    """Rate 0 or burst 0 is a configuration error, not a bucket that blocks for ever."""
    with pytest.raises(ValueError, match="token bucket"):
        TokenBucket(rate=rate, burst=burst, now=0.0)


def test_a_costly_spend_waits_as_long_as_that_many_lines_would():
    """Spending several tokens at once (telnet commands in one packet) owes the same time."""
    one_by_one = TokenBucket(rate=5, burst=20, now=0.0)
    at_once = TokenBucket(rate=5, burst=20, now=0.0)
    for _ in range(99):
        one_by_one.spend(0.0)
    assert at_once.spend(0.0, cost=100) == pytest.approx(one_by_one.spend(0.0))


def test_try_spend_refuses_without_running_into_debt():
    """An admission check: a refused attempt costs nothing, so waiting 1/rate is enough."""
    bucket = TokenBucket(rate=1, burst=2, now=0.0)
    assert [bucket.try_spend(0.0) for _ in range(4)] == [True, True, False, False]
    assert bucket.try_spend(1.0)
    assert not bucket.try_spend(1.5)


def test_per_key_buckets_are_independent():
    """One key's spent budget does not touch another's."""
    buckets = PerKey(rate=1, burst=1)
    assert buckets.try_spend("a", 0.0)
    assert not buckets.try_spend("a", 0.0)
    assert buckets.try_spend("b", 0.0)


def test_per_key_forgets_refilled_buckets_so_the_table_stays_small():
    """Keys that come once and go do not pile up: full buckets are swept as the table grows."""
    buckets = PerKey(rate=1, burst=2)
    for number in range(10_000):
        buckets.try_spend(f"192.0.2.{number}", now=float(number))
    assert len(buckets) <= 2 * PerKey.SWEEP_AT
