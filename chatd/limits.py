"""Every operating limit of a chatd server, with its default and the reason for it, in one place.

The hub enforces the limits on people (how many, from where, how long without a name); the doors
enforce the limits on bytes (line length, unsent output, lines per second).  ``twistd chatd``
exposes each one as an option (see :mod:`chatd.tap` and the README's "Operating limits").
"""

from __future__ import annotations

from dataclasses import dataclass

#: File descriptors a running server needs besides its connections: stdio, the log, the
#: listeners, the reactor's own, Twisted's spare for EMFILE recovery, and refusals in flight.
RESERVED_DESCRIPTORS = 32


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits one server runs with; 0 switches off the ones documented as optional."""

    #: Connections served at once, named or not; one more is told the server is full.
    max_clients: int = 10000
    #: Connections from one address at once (0: no limit).  Loopback counts like any address, and
    #: IPv6 addresses count by their /64.  Ten lets a household or a small office behind one
    #: address chat together, and means one attacker needs a thousand addresses, not one, to
    #: take the 10,000 slots of a default server.
    max_per_address: int = 10
    #: New connections (and name changes) one address may make per second on average (0: no
    #: limit).  Every arrival and every rename is announced to everyone, so a client cycling
    #: through joins and quits would otherwise multiply its traffic by the number of users.
    arrival_rate: float = 1.0
    #: Arrivals one address may make at once before ``arrival_rate`` applies.
    arrival_burst: int = 10
    #: Seconds a connection may take to choose a username (0: no limit).  Keeps idle port
    #: scanners from holding slots.
    handshake_timeout: float = 60.0
    #: Seconds a named user may stay without sending a line (0: no limit).
    idle_timeout: float = 0.0
    #: Longest line a client may send, in bytes, without its line ending.
    max_line_length: int = 4096
    #: Output held for a client whose connection is not taking it, in bytes; past this the
    #: client is disconnected rather than allowed to grow the server's memory.
    max_send_buffer: int = 1024 * 1024
    #: Lines per second a connection may send on average (0: no limit).  Faster lines are not
    #: dropped: the server stops reading from that connection until the budget allows.
    rate: float = 5.0
    #: Lines a connection may send at once before ``rate`` applies (a pasted paragraph).
    burst: int = 20
    #: Private messages one user may receive per second on average, from everyone together (0:
    #: no limit).  Flood control paces each sender, but twenty senders aimed at one user would
    #: bury them; past this budget senders are told to try again.
    private_rate: float = 5.0
    #: Private messages a user may receive at once before ``private_rate`` applies.
    private_burst: int = 20
    #: Rooms one user may be in at once.
    max_rooms_per_user: int = 20
    #: Rooms with people in them at once, server-wide; empty rooms do not count.
    max_rooms: int = 1000
