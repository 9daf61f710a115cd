"""Each room's lines shown in sequence order on one node, whatever order pub/sub brings them in.

The script that numbers a line also publishes it (see :mod:`chatd.cluster.scripts`), so a node
normally hears a room's lines one after the other.  When it does not (its pub/sub connection was
cut, or Redis restarted), :class:`LineOrder` drops a line already shown, holds one that came
early, and reads the gap before it from the room's stream (XRANGE), as Centrifugo's Redis engine
does.  What the stream no longer holds (trimmed, or Redis lost it) is announced to the room's
members as lost, and the room goes on from there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.logger import Logger

from chatd.cluster import scripts
from chatd.cluster.link import Link
from chatd.cluster.store import stream_lines
from chatd.core.store import StoredLine

if TYPE_CHECKING:
    from chatd.core.hub import Hub
    from chatd.core.rooms import Room


class LineOrder:
    """The rooms' lines, shown by ``hub`` in sequence order, gaps filled over ``link``."""

    log = Logger()

    def __init__(self, link: Link, node: str) -> None:
        self._link = link
        self._node = node
        self.hub: Hub | None = None
        #: Lines that came before the one a room awaits, by room and seq.
        self._ahead: dict[str, dict[int, StoredLine]] = {}
        #: Rooms whose gap is being read from the stream.
        self._filling: set[str] = set()
        #: How many gaps were filled from the streams, and how many lines were lost: metrics.
        self.refilled = self.lost_lines = 0

    def heard(self, line: StoredLine) -> None:
        """Show ``line`` if it is the next of its room; hold it and fill the gap if early."""
        room = self._room(line.room)
        if line.seq <= room.last_seq:
            return
        ahead = self._ahead.setdefault(line.room, {})
        ahead[line.seq] = line
        self._drain(line.room)
        if ahead:
            self.fill(line.room, min(ahead) - 1)

    def forget(self, room_key: str) -> None:
        """Drop the lines held for ``room_key``: its numbering started again."""
        self._ahead.pop(room_key, None)

    def fill(self, room_key: str, through: int) -> None:
        """Read the lines of ``room_key`` after the last one shown, up to seq ``through``, from
        its stream; what the stream no longer has is announced as lost."""
        if room_key in self._filling:
            return
        first = self._room(room_key).last_seq + 1
        if first > through:
            return
        self._filling.add(room_key)

        def got(entries: list[Any]) -> None:
            self._filling.discard(room_key)
            room = self._room(room_key)
            remote = self._hub.remote
            self.refilled += 1
            for line in stream_lines(room_key, entries):
                if line.seq > room.last_seq + 1:
                    self._lose(room_key, line.seq - 1)
                if line.seq > room.last_seq:
                    remote.heard(line)
            if room.last_seq < through:
                self._lose(room_key, through)
            self._drain(room_key)
            ahead = self._ahead.get(room_key)
            if ahead:
                self.fill(room_key, min(ahead) - 1)

        def failed(failure: Any) -> None:
            self._filling.discard(room_key)  # tried again after the next reconnection

        self._link.call(
            "XRANGE", scripts.stream(room_key), f"{first}-0", f"{through}-0"
        ).addCallbacks(got, failed)

    def _drain(self, room_key: str) -> None:
        """Show the held lines of ``room_key`` that are next in turn; drop those already shown."""
        room = self._room(room_key)
        ahead = self._ahead.get(room_key, {})
        while (line := ahead.pop(room.last_seq + 1, None)) is not None:
            self._hub.remote.heard(line)
        for seq in [seq for seq in ahead if seq <= room.last_seq]:
            del ahead[seq]

    def _lose(self, room_key: str, through: int) -> None:
        room = self._room(room_key)
        self.lost_lines += through - room.last_seq
        self.log.warn(
            "node {node}: lines {first} to {last} of {room} cannot be recovered",
            node=self._node,
            first=room.last_seq + 1,
            last=through,
            room=room_key,
        )
        self._hub.remote.lost(room_key, through)

    @property
    def _hub(self) -> Hub:
        assert self.hub is not None, "attached to a hub before any line comes"
        return self.hub

    def _room(self, room_key: str) -> Room:
        return self._hub.rooms.known(room_key)
