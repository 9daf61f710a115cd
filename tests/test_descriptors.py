"""Fitting --max-clients under the open-file limit: raise the soft limit, say what happened."""

from __future__ import annotations

import pytest
from twisted.logger import formatEvent, globalLogPublisher

from chatd.descriptors import RESERVED_DESCRIPTORS, fit_open_files


@pytest.fixture
def logged():
    """The text of each log event from now on."""
    events: list[dict] = []
    globalLogPublisher.addObserver(events.append)
    yield lambda: [formatEvent(event) for event in events]
    globalLogPublisher.removeObserver(events.append)


def limits(soft: int, hard: int):
    """A fake getrlimit and setrlimit, and the list of what setrlimit was asked."""
    asked: list[tuple[int, int]] = []
    return (lambda _: (soft, hard)), (lambda _, pair: asked.append(pair)), asked


def test_a_limit_that_fits_is_left_alone(logged):
    get, set_, asked = limits(4096, 4096)
    assert fit_open_files(100, getrlimit=get, setrlimit=set_) == 100
    assert asked == [] and logged() == []


def test_the_soft_limit_is_raised_as_far_as_needed(logged):
    get, set_, asked = limits(1024, 65536)
    assert fit_open_files(2000, getrlimit=get, setrlimit=set_) == 2000
    wanted = 2000 + RESERVED_DESCRIPTORS
    assert asked == [(wanted, 65536)]
    assert logged() == [f"raised the open-file limit from 1024 to {wanted}"]


def test_at_the_hard_limit_nothing_is_raised_and_the_shortfall_is_told(logged):
    """No "raised from N to N": the only news is how many clients fit."""
    get, set_, asked = limits(1000, 1000)
    assert fit_open_files(5000, getrlimit=get, setrlimit=set_) == 1000 - RESERVED_DESCRIPTORS
    assert asked == []
    [warning] = logged()
    assert warning.startswith("the open-file limit (1000) cannot fit --max-clients 5000")


def test_a_refused_raise_is_told_and_the_old_limit_kept(logged):
    def refuse(_, pair):
        raise ValueError("not allowed")

    get, _, _ = limits(256, 1 << 20)
    assert fit_open_files(1000, getrlimit=get, setrlimit=refuse) == 256 - RESERVED_DESCRIPTORS
    assert logged()[0] == "could not raise the open-file limit from 256: not allowed"
