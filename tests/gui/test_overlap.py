"""Telling server history lines from those a view shows, and receipts from lines, without Tk."""

from __future__ import annotations

from chatd.gui.overlap import new_lines, older_lines
from chatd.gui.receipts import PendingLines, Waiting


def test_older_lines_are_those_before_the_views_first():
    """The answer's tail is the view's start; what comes before it is older."""
    assert older_lines(["a", "b", "c", "d"], ["c", "d", "e"]) == 2
    assert older_lines(["a", "b", "c", "d"], ["c", "d"]) == 2
    assert older_lines(["a", "b"], []) == 2  # an empty view: everything is older
    assert older_lines(["a", "b"], ["x", "y"]) is None  # the view is not in the answer


def test_repeated_lines_do_not_confuse_the_meeting_point():
    """With the same words said twice, the tail that matches the view's start wins."""
    assert older_lines(["hi", "hi", "hi", "bye"], ["hi", "bye"]) == 2


def test_a_line_of_ours_the_server_changed_still_meets_on_enough_lines():
    """When one of our lines differs from the server's copy, three lines in a row still meet."""
    answer = ["o1", "o2", "v1", "v2", "v3", "server's copy"]
    assert older_lines(answer, ["v1", "v2", "v3", "what we typed  "]) == 2


def test_new_lines_after_a_rejoin():
    """A replay's first lines that the view ends with are not new; the rest are."""
    assert new_lines(["c", "d", "x"], ["a", "b", "c", "d"]) == 2
    assert new_lines(["c", "d"], ["a", "b", "c", "d"]) == 2
    assert new_lines(["x", "y"], ["a", "b"]) == 0
    assert new_lines(["a"], []) == 0


def test_receipts_confirm_the_oldest_waiting_line_of_their_room():
    """Receipts match our lines per room, in order; the rest are dropped at the end."""
    pending = PendingLines()
    first, second, other = Waiting("#dev", "m1"), Waiting("#dev", "m2"), Waiting("#ops", "m3")
    for room, waiting in (("#dev", first), ("#ops", other), ("#Dev", second)):
        pending.sent(room, waiting)
    assert pending.confirmed("#DEV") == first
    assert pending.confirmed("#lobby") is None
    assert len(pending) == 2
    assert pending.drop_all() == [second, other]
    assert len(pending) == 0


def test_a_line_refused_as_too_long_waits_no_more():
    """The refusal names the limit: the waiting line longer than it is the one refused."""
    pending = PendingLines()
    short, long = Waiting("#dev", "m1", 10), Waiting("#dev", "m2", 90)
    pending.sent("#dev", short)
    pending.sent("#dev", long)
    assert pending.refused_as_too_long(60) == long
    assert pending.refused_as_too_long(60) is None
    assert pending.confirmed("#dev") == short
