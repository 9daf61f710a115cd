"""Deadlines: many waits of one length on a single timer, each expiring on time."""

from __future__ import annotations

from twisted.internet.task import Clock

from chatd.core.deadlines import Deadlines


def make(seconds: float = 10):
    clock = Clock()
    expired: list[str] = []
    return clock, Deadlines(clock, seconds, expired.append), expired


def test_waits_expire_in_turn_on_one_timer():
    """Each waiter expires ``seconds`` after it started, and only one call is ever pending."""
    clock, deadlines, expired = make()
    for waiter in "abc":
        deadlines.start(waiter)
        clock.advance(1)
        assert len(clock.getDelayedCalls()) == 1
    clock.advance(7)  # t=10
    assert expired == ["a"]
    clock.advance(1)
    assert expired == ["a", "b"]
    clock.advance(1)
    assert expired == ["a", "b", "c"]
    assert clock.getDelayedCalls() == [] and len(deadlines) == 0


def test_starting_again_pushes_the_deadline_back():
    clock, deadlines, expired = make()
    deadlines.start("a")
    deadlines.start("b")
    clock.advance(9)
    deadlines.start("a")
    clock.advance(1)
    assert expired == ["b"]
    clock.advance(8.9)
    assert expired == ["b"]
    clock.advance(0.1)
    assert expired == ["b", "a"]


def test_a_stopped_wait_never_expires_and_the_last_stop_cancels_the_timer():
    clock, deadlines, expired = make()
    deadlines.start("a")
    deadlines.start("b")
    deadlines.stop("a")
    deadlines.stop("a")  # stopping twice is harmless
    clock.advance(10)
    assert expired == ["b"]
    deadlines.start("c")
    deadlines.stop("c")
    assert clock.getDelayedCalls() == []
    clock.advance(100)
    assert expired == ["b"]


def test_a_wait_started_by_an_expiry_does_not_delay_the_others():
    """An expiry that starts a new wait (a timed-out user reconnecting, say) leaves the next
    deadline where it was."""
    clock = Clock()
    expired: list[str] = []

    def expire(waiter: str) -> None:
        expired.append(waiter)
        if waiter == "a":
            deadlines.start("again")

    deadlines: Deadlines[str] = Deadlines(clock, 10, expire)
    deadlines.start("a")
    clock.advance(5)
    deadlines.start("b")
    clock.advance(5)
    assert expired == ["a"]
    clock.advance(5)
    assert expired == ["a", "b"]
    clock.advance(5)
    assert expired == ["a", "b", "again"]


def test_zero_seconds_means_no_waits_at_all():
    clock, deadlines, expired = make(0)
    deadlines.start("a")
    clock.advance(10**6)
    assert expired == [] and clock.getDelayedCalls() == [] and len(deadlines) == 0
