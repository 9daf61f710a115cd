"""Fan-out for doors: each broadcast encoded once, each reader written to once per pass.

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

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from chatd.core import events
from chatd.core.clock import Clock, Timer
from chatd.doors.render import encode, encode_marked

if TYPE_CHECKING:
    from chatd.core.rooms import Room
    from chatd.core.session import Session

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
        self,
        clock: Clock,
        slice_size: int = SLICE_SIZE,
        slice_bytes: int = SLICE_BYTES,
        encode: Callable[[events.Event], bytes] = encode,
        encode_marked: Callable[[events.Event], bytes] | None = encode_marked,
    ) -> None:
        """``encode`` and ``encode_marked`` give a broadcast's bytes as seen from its room and
        from another room: protocol v2's lines by default.  A door with another wire brings its
        own; one whose wire names the room in every event passes None for ``encode_marked``,
        and every member hears the same bytes of a broadcast, encoded once."""
        self._clock = clock
        self._encode = encode
        self._encode_marked = encode_marked
        self._slice_size = slice_size
        self._slice_bytes = slice_bytes
        #: Each member and the position of the first broadcast in the journal it has not had.
        self._members: dict[Session, int] = {}
        #: The broadcasts some member has not had yet, ``_base`` being the position of the first:
        #: each one's event, its bytes as seen from its room, who hears it (a room or a set of
        #: rooms), and who sent it (who must not hear it back).  How it looks from another room
        #: is encoded only if a member needs it.
        self._events: list[events.Event] = []
        self._journal: list[bytes] = []
        self._marked: list[bytes | None] = []
        self._scopes: list[Room | frozenset[Room]] = []
        self._senders: list[Session | None] = []
        self._base = 0
        self._pass: Iterator[bool] | None = None
        self._next_slice: Timer | None = None
        #: Broadcast lines written to members, and their bytes, since the start: for the metrics,
        #: added to local integers in a pass, and to these per slice and per member's own share.
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

    def add(self, session: Session) -> None:
        self._members[session] = self._end()

    def remove(self, session: Session) -> None:
        self.catch_up(session)
        del self._members[session]

    def broadcast(
        self, event: events.Event, exclude: Session | None, scope: Room | frozenset[Room]
    ) -> None:
        self._events.append(event)
        self._journal.append(self._encode(event))
        self._marked.append(None)
        self._scopes.append(scope)
        self._senders.append(exclude)
        if self._next_slice is None:
            self._next_slice = self._clock.callLater(0, self._write_slice)

    def catch_up(self, session: Session) -> None:
        """Write to ``session`` now the broadcasts it has not had yet."""
        position = self._members.get(session)
        end = self._end()
        if position is not None and position < end:
            self._members[session] = end
            self._write_share(session, position, end)

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
        Members in the same rooms, with the same one current, who were owed the whole journal
        and sent none of it, get the very same bytes: in a chat where everyone is in the lobby,
        that is everyone but this pass's senders.  What each broadcast looks like to a view is
        worked out once per pass, so a sender's share is those pieces without its own lines.
        """
        start, end = self._base, self._end()
        members = self._members
        slice_size, slice_bytes = self._slice_size, self._slice_bytes
        # Per view: what it hears of each broadcast, those pieces joined, and their lines (for
        # the metrics).  Consecutive members mostly share one view (the lobby's readers share
        # one tuple of rooms), so the last one found is kept at hand: this loop runs once per
        # member and pass, and a lookup in ``views`` hashes the tuple each time.
        views: dict[tuple[Room, ...], tuple[list[bytes | None], bytes, int]] = {}
        last_view: tuple[Room, ...] | None = None
        pieces: list[bytes | None] = []
        data, size, lines = b"", 0, 0
        senders = set(self._senders)
        seen = written = 0  # in this slice
        whole_lines = whole_bytes = 0  # written to members owed the whole journal, this slice
        for session in list(members):
            if seen == slice_size or written >= slice_bytes:
                self.deliveries += whole_lines
                self.bytes_sent += whole_bytes
                yield True
                seen = written = whole_lines = whole_bytes = 0
            seen += 1
            position = members.get(session, end)
            if position >= end:
                continue
            members[session] = end
            if position != start:
                written += self._write_share(session, position, end)
                continue
            view = session.rooms
            if view is not last_view:
                seen_from = views.get(view)
                if seen_from is None:
                    heard = self._heard(view, start, end)
                    kept = [piece for piece in heard if piece is not None]
                    seen_from = views[view] = (heard, b"".join(kept), len(kept))
                last_view = view
                pieces, data, lines = seen_from
                size = len(data)
            if session in senders:
                written += self._write(session, self._without(pieces, session, start))
            elif size:
                # (Members are line doors' sessions, whose clients have an outbox.)
                session.client.outbox.write(data)  # type: ignore[attr-defined]
                whole_lines += lines
                whole_bytes += size
                written += size
        self.deliveries += whole_lines
        self.bytes_sent += whole_bytes
        # Every member is now at ``end`` or past it (those who came during the pass started at
        # the journal's end), so what comes before ``end`` is not needed any more.
        done = end - start
        for journal in (self._events, self._journal, self._marked, self._scopes, self._senders):
            del journal[:done]
        self._base = end

    def _write_share(self, session: Session, position: int, end: int) -> int:
        """Write to ``session`` what it hears of the broadcasts from ``position`` to ``end``.

        Returns how many bytes that was.
        """
        pieces = self._heard(session.rooms, position, end)
        return self._write(session, self._without(pieces, session, position))

    def _write(self, session: Session, share: list[bytes]) -> int:
        """Write ``share``, a member's own share of the journal, to it; returns its length."""
        if not share:
            return 0
        data = b"".join(share)
        # (Members are line doors' sessions, whose clients have an outbox.)
        session.client.outbox.write(data)  # type: ignore[attr-defined]
        self.deliveries += len(share)
        self.bytes_sent += len(data)
        return len(data)

    def _heard(self, rooms: tuple[Room, ...], position: int, end: int) -> list[bytes | None]:
        """For each broadcast from ``position`` to ``end``, the bytes a member in ``rooms`` hears
        of it, or None if it hears nothing of it; whoever sent it included."""
        current = rooms[-1] if rooms else None
        pieces: list[bytes | None] = []
        for index in range(position - self._base, end - self._base):
            scope = self._scopes[index]
            if scope is current or isinstance(scope, frozenset):
                if isinstance(scope, frozenset) and scope.isdisjoint(rooms):
                    pieces.append(None)
                else:
                    pieces.append(self._journal[index])
            elif scope in rooms:
                marked = self._marked[index]
                if marked is None:
                    encode_marked = self._encode_marked
                    marked = self._marked[index] = (
                        self._journal[index]
                        if encode_marked is None
                        else encode_marked(self._events[index])
                    )
                pieces.append(marked)
            else:
                pieces.append(None)
        return pieces

    def _without(self, pieces: list[bytes | None], member: Session, position: int) -> list[bytes]:
        """``pieces`` (of the broadcasts from ``position`` on), but for those ``member`` sent:
        the sender's own share, made from the pieces its room's readers share."""
        senders = self._senders[position - self._base :]
        return [
            piece
            for piece, sender in zip(pieces, senders, strict=False)
            if piece is not None and sender is not member
        ]
