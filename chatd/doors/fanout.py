"""Fan-out for line doors: each broadcast encoded once, each reader written to once per pass.

The hub hands a broadcast to the audience once (see :mod:`chatd.core.audience`).  This one
encodes it to bytes there and then and appends it to a journal; a *pass*, starting at the end of
the reactor turn, then writes each member everything it has not had of the journal in one write.
Most members get the very same bytes object: only the senders (who do not hear themselves) and
members who joined or were written to directly since the pass began need a share of their own.
So the cost of a line is one encode plus a list append, and the cost of a pass is one write per
reader, however many lines it carries.

A pass goes on in slices, one per reactor turn: a slice ends after ``slice_size`` members or
once it has written ``slice_bytes``, whichever comes first.  With ten thousand people online one
write to each takes tens of milliseconds; in slices, the reactor reads between them, so a
newcomer's name or a line typed meanwhile is answered within a slice rather than a pass.
Broadcasts made during a pass wait in the journal for the next one, and the journal forgets a
broadcast once every member has had it.

Order is kept per member: each member has a position in the journal, and before anything is
delivered to it directly (a welcome, a private message, an error), :meth:`Fanout.catch_up`
writes the broadcasts before that event which it has not had yet.  Every write goes through the
member's :class:`~chatd.doors.outbox.Outbox`, so the limit on a slow reader's output applies to
broadcasts as it does to everything else.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from twisted.internet.interfaces import IDelayedCall, IReactorTime

from chatd.core import events
from chatd.doors.render import encode

if TYPE_CHECKING:
    from chatd.doors.line import LineDoor

#: Members written to per reactor turn at most.  64 short sends take a few tenths of a
#: millisecond; in bench scenario C (10,000 users joining at 1000/s) 256 gave a handshake p50 of
#: 8 ms, 64 gave 2 ms and 32 little more, while the throughput of scenarios A and B did not change.
SLICE_SIZE = 64

#: Bytes written per reactor turn at most (the member that crosses it is written in full).  A send
#: on loopback costs a few microseconds plus about a nanosecond per byte, so big writes make a
#: slice of 64 long: late in scenario C every member is owed 5 to 8 KB of join notices a pass,
#: 64 of them took a millisecond per turn, and handshakes waited two such turns (p50 2.4 ms,
#: p99 5 to 10 ms).  With 64 KiB a turn: p50 0.8 ms, p99 2.4 to 3 ms; 128 KiB gave p99 4 to 6 ms
#: (three runs each, one after the other, the generator at real-time priority).
SLICE_BYTES = 64 * 1024


class Fanout:
    """The :class:`~chatd.core.audience.Audience` of a line door's named users."""

    def __init__(
        self, clock: IReactorTime, slice_size: int = SLICE_SIZE, slice_bytes: int = SLICE_BYTES
    ) -> None:
        self._clock = clock
        self._slice_size = slice_size
        self._slice_bytes = slice_bytes
        #: Each member and the position of the first broadcast in the journal it has not had.
        self._members: dict[LineDoor, int] = {}
        #: The broadcasts some member has not had yet, and who sent each (who must not hear it
        #: back); ``_base`` is the position of the first.
        self._journal: list[bytes] = []
        self._senders: list[LineDoor] = []
        self._base = 0
        self._pass: Iterator[bool] | None = None
        self._next_slice: IDelayedCall | None = None
        #: Broadcast lines written to members, and their bytes, since the start: for the metrics,
        #: added up per slice and per share rather than per member.
        self.deliveries = 0
        self.bytes_sent = 0

    @property
    def backlog(self) -> int:
        """Broadcasts that some member has not had yet."""
        return len(self._journal)

    @property
    def member_count(self) -> int:
        """The named users who hear broadcasts through this fan-out."""
        return len(self._members)

    def add(self, door: LineDoor) -> None:
        self._members[door] = self._end()

    def remove(self, door: LineDoor) -> None:
        self.catch_up(door)
        del self._members[door]

    def broadcast(self, event: events.Event, exclude: LineDoor) -> None:
        self._journal.append(encode(event))
        self._senders.append(exclude)
        if self._next_slice is None:
            self._next_slice = self._clock.callLater(0, self._write_slice)

    def catch_up(self, door: LineDoor) -> None:
        """Write to ``door`` now the broadcasts it has not had yet."""
        position = self._members.get(door)
        end = self._end()
        if position is not None and position < end:
            self._members[door] = end
            self._write_share(door, position, end)

    def _end(self) -> int:
        """The position the next broadcast will take."""
        return self._base + len(self._journal)

    def _write_slice(self) -> None:
        self._next_slice = None
        if self._pass is None:
            self._pass = self._write_pass()
        more = next(self._pass, False)
        if not more:
            self._pass = None
        # A write that ended a connection may have scheduled the next slice already.
        if (more or self._journal) and self._next_slice is None:
            self._next_slice = self._clock.callLater(0, self._write_slice)

    def _write_pass(self) -> Iterator[bool]:
        """Bring every member up to the journal's present end, a slice of members a turn.

        Yields True between slices; a member that leaves or is caught up meanwhile is skipped.
        """
        start, end = self._base, self._end()
        everyone = b"".join(self._journal)
        senders = set(self._senders)
        seen = written = whole = 0  # in this slice; whole: members written ``everyone``
        for door in list(self._members):
            if seen == self._slice_size or written >= self._slice_bytes:
                self._count_whole(whole, end - start, len(everyone))
                yield True
                seen = written = whole = 0
            seen += 1
            position = self._members.get(door, end)
            if position < end:
                self._members[door] = end
                if position == start and door not in senders:
                    door.outbox.write(everyone)
                    written += len(everyone)
                    whole += 1
                else:
                    written += self._write_share(door, position, end)
        self._count_whole(whole, end - start, len(everyone))
        # Every member is now at ``end`` or past it (those who came during the pass started at
        # the journal's end), so what comes before ``end`` is not needed any more.
        del self._journal[: end - start]
        del self._senders[: end - start]
        self._base = end

    def _write_share(self, door: LineDoor, position: int, end: int) -> int:
        """Write to ``door`` the broadcasts from ``position`` to ``end``, but for its own.

        Returns how many bytes that was.
        """
        first, last = position - self._base, end - self._base
        share = b"".join(
            data
            for data, sender in zip(
                self._journal[first:last], self._senders[first:last], strict=True
            )
            if sender is not door
        )
        if share:
            door.outbox.write(share)
            self.deliveries += last - first - self._senders[first:last].count(door)
            self.bytes_sent += len(share)
        return len(share)

    def _count_whole(self, members: int, lines: int, size: int) -> None:
        """Count ``members`` written the whole pass: ``lines`` broadcasts of ``size`` bytes."""
        self.deliveries += members * lines
        self.bytes_sent += members * size
