"""Our own lines waiting for their receipt, per room: which line a ``+ SEQ #room`` confirms.

Pure Python.  With receipts on, the server answers each line we say in a room with one
``+ SEQ #room TIME``, in the order of our lines, once the line is stored.  So the oldest line
still waiting in that room is the one confirmed.  A line the server refuses (``! REASON``)
gets no receipt: a line refused as too long is recognised by its size (the refusal names the
limit); any other waits until the connection ends, when every line still waiting is reported
as not confirmed.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from chatd.client.lines import name_key

__all__ = ["PendingLines", "Waiting"]


@dataclass(frozen=True)
class Waiting:
    """One line of ours waiting for its receipt: the view it is shown in and its mark's name."""

    view: str
    mark: str
    #: The line's size as sent, in bytes of UTF-8 (without its line ending).
    size: int = 0


class PendingLines:
    """Lines sent, by room, oldest first, until their receipts arrive."""

    def __init__(self) -> None:
        self._rooms: dict[str, deque[Waiting]] = {}

    def sent(self, room: str, waiting: Waiting) -> None:
        self._rooms.setdefault(name_key(room), deque()).append(waiting)

    def confirmed(self, room: str) -> Waiting | None:
        """The line a receipt for ``room`` confirms; None if none of ours was waiting there."""
        waiting = self._rooms.get(name_key(room))
        return waiting.popleft() if waiting else None

    def refused_as_too_long(self, limit: int) -> Waiting | None:
        """A line waiting that is longer than ``limit`` bytes (the server refused it): it waits
        no more."""
        for waiting in self._rooms.values():
            for line in waiting:
                if line.size > limit:
                    waiting.remove(line)
                    return line
        return None

    def drop_all(self) -> list[Waiting]:
        """Every line still waiting, oldest first per room; none is waiting afterwards."""
        dropped = [line for waiting in self._rooms.values() for line in waiting]
        self._rooms.clear()
        return dropped

    def __len__(self) -> int:
        return sum(len(waiting) for waiting in self._rooms.values())
