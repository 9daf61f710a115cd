"""Fan-out for line doors: each broadcast encoded once, each reader written to once per turn.

The hub hands a broadcast to the audience once (see :mod:`chatd.core.audience`).  This one
encodes it to bytes there and then and appends it to the turn's journal; at the end of the
reactor turn it joins the journal and writes the result to every member.  Most members get the
very same bytes object: only the senders of the turn (who do not hear themselves) and members
who joined or were written to directly during the turn need a share of their own.  So the cost
of a line is one encode plus a list append, and the cost of a turn is one write per reader,
however many lines the turn carried.

Order is kept per member: before anything is delivered to a member directly (a welcome, a
private message, an error), :meth:`Fanout.catch_up` writes the broadcasts it has not had yet.
Every write goes through the member's :class:`~chatd.doors.outbox.Outbox`, so the limit on a
slow reader's output applies to broadcasts as it does to everything else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from twisted.internet.interfaces import IDelayedCall, IReactorTime

from chatd.core import events
from chatd.doors.render import encode

if TYPE_CHECKING:
    from chatd.doors.line import LineDoor


class Fanout:
    """The :class:`~chatd.core.audience.Audience` of a line door's named users."""

    def __init__(self, clock: IReactorTime) -> None:
        self._clock = clock
        #: Each member and the write method of its outbox.
        self._members: dict[LineDoor, Callable[[bytes], None]] = {}
        #: This turn's broadcasts: the bytes, and who sent each (who must not hear it back).
        self._journal: list[bytes] = []
        self._senders: list[LineDoor] = []
        #: Members whose share of this turn starts later than its first line, and where.
        self._start: dict[LineDoor, int] = {}
        self._flush: IDelayedCall | None = None

    def add(self, door: LineDoor) -> None:
        self._members[door] = door.outbox.write
        if self._journal:
            self._start[door] = len(self._journal)

    def remove(self, door: LineDoor) -> None:
        self.catch_up(door)
        del self._members[door]
        self._start.pop(door, None)

    def broadcast(self, event: events.Event, exclude: LineDoor) -> None:
        self._journal.append(encode(event))
        self._senders.append(exclude)
        if self._flush is None:
            self._flush = self._clock.callLater(0, self._end_turn)

    def catch_up(self, door: LineDoor) -> None:
        """Write to ``door`` now the broadcasts of this turn it has not had yet."""
        write = self._members.get(door)
        start = self._start.get(door, 0)
        if write is not None and start < len(self._journal):
            self._start[door] = len(self._journal)
            share = _share(door, self._journal[start:], self._senders[start:])
            if share:
                write(share)

    def _end_turn(self) -> None:
        self._flush = None
        journal, senders, start = self._journal, self._senders, self._start
        self._journal, self._senders, self._start = [], [], {}
        everyone = b"".join(journal)
        irregular = start.keys() | senders
        # A copy: a write is not expected to end a connection at once, but if one did, the
        # member would leave this dict while the loop runs.
        for door, write in list(self._members.items()):
            if door not in irregular:
                write(everyone)
            else:
                first = start.get(door, 0)
                share = _share(door, journal[first:], senders[first:])
                if share:
                    write(share)


def _share(door: LineDoor, journal: list[bytes], senders: list[LineDoor]) -> bytes:
    """What ``door`` hears of ``journal``: every line but its own."""
    return b"".join(
        data for data, sender in zip(journal, senders, strict=True) if sender is not door
    )
