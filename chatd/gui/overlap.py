"""Which of the server's history lines a view already shows: for paging back and for rejoining.

Pure Python.  History lines carry no numbers, so lines are matched by what was said (``NAME:
TEXT`` or ``* NAME ACTION``, without the time).  ``/history #room N`` answers with the room's
newest N lines, oldest first, and the view's lines are the newest ones of the room that arrived
while we were there: so the answer ends with the view's first lines, and what comes before them
is older (:func:`older_lines`).  A rejoin (after reconnecting) replays the room's recent lines,
which begin with lines the view has and go on past its last one (:func:`new_lines`).
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["new_lines", "older_lines"]

#: How many lines must agree to accept a match that is not the whole overlap.
ENOUGH = 3


def older_lines(answer: Sequence[str], known: Sequence[str]) -> int | None:
    """How many of ``answer``'s first lines are older than everything in ``known``.

    The answer's tail should be the start of ``known``; the first place from which the rest of
    the answer is exactly a start of ``known`` is where they meet.  Failing that (a line of
    ours the server trimmed, say), the last place where the first :data:`ENOUGH` known lines
    appear in a row.  None when ``known`` is not in the answer at all.
    """
    if not known:
        return len(answer)
    for start in range(len(answer)):
        rest = answer[start:]
        if len(rest) <= len(known) and list(rest) == list(known[: len(rest)]):
            return start
    wanted = list(known[:ENOUGH])
    for start in range(len(answer) - len(wanted), -1, -1):
        if list(answer[start : start + len(wanted)]) == wanted:
            return start
    return None


def new_lines(replay: Sequence[str], known: Sequence[str]) -> int:
    """How many of ``replay``'s first lines ``known`` already ends with (the rest are new).

    The largest count whose lines are exactly the last lines of ``known``; 0 when none are.
    """
    for count in range(min(len(replay), len(known)), 0, -1):
        if list(replay[:count]) == list(known[-count:]):
            return count
    return 0
