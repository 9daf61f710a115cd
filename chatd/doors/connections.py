"""What every door keeps of its connections: which are open, and what the metrics count.

A door's factory (the line door's, the web door's) inherits :class:`DoorConnections`: the
service waits on it for every connection to close at shutdown, or drops them all; the metrics
read its counts, kept as plain integers here rather than on each connection, whose memory is a
benchmark target; and it ends a connection whose reader does not keep up, the same way for
every door.
"""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar

from twisted.internet import defer
from twisted.internet.interfaces import IAddress
from twisted.logger import Logger

from chatd.core import events
from chatd.core.errors import ChatError
from chatd.core.hub import Hub
from chatd.core.session import Session
from chatd.doors.fanout import Fanout
from chatd.doors.peer import Transport, host, origin


class Connection(Protocol):
    """A door's connection, as far as its factory needs to know it: a client of the hub."""

    @property
    def peer(self) -> str: ...

    @property
    def transport(self) -> Transport: ...

    def deliver(self, event: events.Event) -> None: ...

    def close(self) -> None: ...


C = TypeVar("C", bound=Connection)


class DoorConnections(Generic[C]):
    """The open connections of one door, and its counts since the start."""

    log = Logger()

    def __init__(self, hub: Hub, fanout: Fanout) -> None:
        self.hub = hub
        #: How broadcasts reach this door's named users.
        self.fanout = fanout
        self._open: set[C] = set()
        self._all_closed: list[defer.Deferred[None]] = []
        #: Lines (web: messages) read from this door's connections, whatever became of them.
        self.lines_received = 0
        #: Events delivered to one connection directly, not through the fan-out, and the bytes
        #: written outside the fan-out (those events, and the line door's telnet answers).
        self.deliveries = 0
        self.bytes_sent = 0
        #: Times flood control stopped reading from a connection.
        self.flood_delays = 0
        #: Connections dropped because they did not read their output.
        self.slow_readers_dropped = 0

    @property
    def open_count(self) -> int:
        """This door's open connections, including refused ones not closed yet."""
        return len(self._open)

    def admit(self, connection: C, door: str, client: IAddress | None = None) -> Session | None:
        """Ask the hub to admit a new connection (``door`` names how it came, for ``/whois``)
        from ``client``, by default its TCP peer; if it refuses, say why and close."""
        peer = client if client is not None else connection.transport.getPeer()
        try:
            return self.hub.connect(
                connection, origin(peer), self.fanout, address=host(peer), door=door
            )
        except ChatError as refusal:
            connection.deliver(events.Refused(str(refusal), refusal.code))
            connection.close()
            return None

    def opened(self, connection: C) -> C:
        self._open.add(connection)
        return connection

    def forget(self, connection: C) -> None:
        """``connection`` has closed."""
        self._open.discard(connection)
        if not self._open:
            waiting, self._all_closed = self._all_closed, []
            for d in waiting:
                d.callback(None)

    def connections(self) -> tuple[C, ...]:
        """The connections open now."""
        return tuple(self._open)

    def all_closed(self) -> defer.Deferred[None]:
        """Fires once no connection of this door is open."""
        if not self._open:
            return defer.succeed(None)
        d: defer.Deferred[None] = defer.Deferred()
        self._all_closed.append(d)
        return d

    def abort_all(self) -> None:
        """Drop every connection still open, without waiting for unsent output."""
        for connection in tuple(self._open):
            connection.transport.abortConnection()

    def drop_slow_reader(self, connection: C, held: int) -> None:
        """Drop ``connection``: ``held`` bytes of output wait for a reader that does not read."""
        self.log.warn(
            "dropping {peer}: {held} bytes of output waiting, over the limit of {limit}",
            peer=connection.peer,
            held=held,
            limit=self.hub.limits.max_send_buffer,
        )
        self.slow_readers_dropped += 1
        connection.transport.abortConnection()
