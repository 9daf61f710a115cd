"""The log quota: one line per address per window, then a count of what was held back."""

from __future__ import annotations

from twisted.internet import task

from chatd.core.logquota import LogQuota


def test_the_first_event_per_window_is_logged_and_the_rest_counted(log_capture):
    """A storm from one address writes one event, then one summary when the window ends."""
    clock = task.Clock()
    quota = LogQuota(clock, "refused connections", window=10)
    assert [quota.allow("192.0.2.7") for _ in range(500)] == [True] + [False] * 499
    assert quota.allow("198.51.100.1")  # another address has its own window
    clock.advance(10)
    summaries = [line for line in log_capture.formatted() if "not logged" in line]
    assert summaries == [
        "499 more refused connections from 192.0.2.7 in the last 10 s (not logged one by one)"
    ]
    assert quota.allow("192.0.2.7")  # a new window


def test_a_quiet_window_ends_without_a_summary(log_capture):
    """An address with a single event gets no summary line."""
    clock = task.Clock()
    quota = LogQuota(clock, "refused connections", window=10)
    quota.allow("192.0.2.7")
    clock.advance(10)
    assert not [line for line in log_capture.formatted() if "not logged" in line]
    assert not clock.getDelayedCalls()


def test_stopping_says_what_was_held_back(log_capture):
    """On shutdown the counts so far are logged rather than lost."""
    clock = task.Clock()
    quota = LogQuota(clock, "refused connections", window=10)
    quota.allow("192.0.2.7")
    quota.allow("192.0.2.7")
    quota.stop()
    assert any("1 more refused connections" in line for line in log_capture.formatted())
    assert not clock.getDelayedCalls()
