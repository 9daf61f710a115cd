"""The open connections of a door: so a shutdown can wait for them to close, or drop them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from twisted.internet import defer

Connection = TypeVar("Connection")


class OpenSet(Generic[Connection]):
    """A door's connections that are still open, and Deferreds for when none is."""

    def __init__(self, abort: Callable[[Connection], None]) -> None:
        #: Drops one connection at once, without waiting for its unsent output.
        self._abort = abort
        self._open: set[Connection] = set()
        self._all_closed: list[defer.Deferred[None]] = []

    def __len__(self) -> int:
        return len(self._open)

    def __iter__(self) -> Iterator[Connection]:
        return iter(tuple(self._open))

    def add(self, connection: Connection) -> None:
        self._open.add(connection)

    def forget(self, connection: Connection) -> None:
        """``connection`` has closed."""
        self._open.discard(connection)
        if not self._open:
            waiting, self._all_closed = self._all_closed, []
            for d in waiting:
                d.callback(None)

    def all_closed(self) -> defer.Deferred[None]:
        """Fires once no connection is open."""
        if not self._open:
            return defer.succeed(None)
        d: defer.Deferred[None] = defer.Deferred()
        self._all_closed.append(d)
        return d

    def abort_all(self) -> None:
        """Drop every connection still open, without waiting for unsent output."""
        for connection in list(self._open):
            self._abort(connection)
