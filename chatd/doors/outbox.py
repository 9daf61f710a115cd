"""Flow control for what the server sends: a bounded outbox in front of each connection's transport.

A transport buffers whatever it is given.  The outbox registers with it as a streaming producer,
so the transport tells it when its buffer is full (``pauseProducing``) and when it has drained
(``resumeProducing``).  While paused the outbox holds further output itself.  Once that passes its
limit and the transport still has not drained after the reactor's next poll for I/O, the reader
cannot keep up with the chat, and the connection is dropped instead of letting one client grow the
server's memory.

Waiting for that poll matters: a transport writes only when the reactor polls, so a burst
delivered within one reactor turn can pass the limit even for a fast reader.  Waiting longer
would not: it would only let a stalled reader's backlog grow for that much longer.

On a plain TCP connection the outbox sends straight to the socket while the kernel takes
everything, and leaves the transport only what did not fit.  A Twisted transport never writes at
once: it asks the reactor to watch the socket, writes when the next poll finds it writable, and
stops watching again, which for a chat server is two extra system calls and a dispatch per reader
per turn, more than the send itself.  What the transport was left is tracked the way the
transport lets a pull producer know: it calls :meth:`Outbox.resumeProducing` once it has written
all of it, and until then the outbox holds further output, as while paused.

Every close the outbox starts finishes within :data:`CLOSE_LINGER_SECONDS`.  A transport asked to
close waits until its peer has taken everything written, and a peer that stopped reading (a zero
receive window) never does; so after the linger the connection is aborted, and its slot, its
descriptor and its unsent output are freed.

What is held is counted by the memory it takes, not only by its length: a held chunk costs its
bytes plus the object that carries them.  A reader that stopped reading is mostly sent short
lines, and counted by length alone, 1 MiB of them took three times that.
"""

from __future__ import annotations

import socket
import sys
from typing import Protocol

from twisted.internet.interfaces import (
    IPullProducer,
    IPushProducer,
    ISSLTransport,
    ITCPTransport,
)
from zope.interface import implementer

from chatd.core.clock import Clock, Timer
from chatd.doors.peer import Departed, Transport

#: Seconds a connection chatd closes may take to send what it was given (a goodbye, a refusal)
#: before it is aborted.  Enough for a slow link to take a few lines; short enough that peers who
#: stop reading cannot keep their slots, descriptors and output for long.
CLOSE_LINGER_SECONDS = 5.0

#: What holding one chunk costs beyond its bytes: the bytes object's header and the list slot.
CHUNK_OVERHEAD = sys.getsizeof(b"") + 8


def plain_socket(transport: Transport) -> socket.socket | None:
    """The socket under a TCP transport that writes bytes to it unchanged, or None (TLS)."""
    if not ITCPTransport.providedBy(transport) or ISSLTransport.providedBy(transport):
        return None
    handle = transport.getHandle()  # type: ignore[attr-defined]  # ITCPTransport, checked above
    return handle if isinstance(handle, socket.socket) else None


class Reader(Protocol):
    """The connection an outbox writes for."""

    def too_slow(self, held: int) -> None:
        """Drop the connection: ``held`` bytes wait for a reader that does not read."""


@implementer(IPushProducer, IPullProducer)
class Outbox:
    """Output for one connection: written through while the transport keeps up, held while not."""

    __slots__ = (
        "_abort",
        "_clock",
        "_closed",
        "_dropped",
        "_held",
        "_held_bytes",
        "_judgement",
        "_limit",
        "_paused",
        "_reader",
        "_socket",
        "_transport",
    )

    def __init__(
        self,
        transport: Transport,
        limit: int,
        reader: Reader,
        clock: Clock,
    ) -> None:
        self._transport = transport
        self._limit = limit
        #: Told when it is judged too slow (not a bound method: that would be 64 bytes more).
        self._reader = reader
        self._clock = clock
        #: What waits for the transport; None rather than an empty list, which is 56 bytes.
        self._held: list[bytes] | None = None
        self._held_bytes = 0
        self._paused = False
        self._dropped = False
        self._closed = False
        self._judgement: Timer | None = None
        #: Aborts the connection if a close has not finished in time.
        self._abort: Timer | None = None
        #: Where to send directly; None to leave every write to the transport.
        self._socket = plain_socket(transport)
        # Streaming: the transport pauses us when its buffer is full.  Pulling: it resumes us
        # whenever it has written everything it was given.
        transport.registerProducer(self, self._socket is None)

    @property
    def held(self) -> int:
        """Memory taken by what waits here for the transport to drain, in bytes."""
        return self._held_bytes

    def write(self, data: bytes) -> None:
        if not self._paused:
            if self._socket is None or self._closed:
                self._transport.write(data)
            else:
                self._send(self._socket, data)
        elif not self._dropped:
            if self._held is None:
                self._held = []
            self._held.append(data)
            self._held_bytes += len(data) + CHUNK_OVERHEAD
            if self._held_bytes > self._limit and self._judgement is None:
                self._judgement = self._clock.callLater(0, self._after_next_poll)

    def close(self, linger: float = CLOSE_LINGER_SECONDS) -> None:
        """Close the connection once what it was given is sent, or abort it after ``linger``.

        Everything held goes to the transport, and the outbox steps aside, since a transport with
        a registered producer never finishes closing; what is held is bounded by the limit.
        """
        if self._closed:
            return
        self._closed = True
        self._release(at_once=False)
        self._paused = False
        self._transport.unregisterProducer()
        self._transport.loseConnection()
        if not self._dropped:
            self._abort = self._clock.callLater(linger, self._transport.abortConnection)

    # IPushProducer and IPullProducer, called by the transport

    def pauseProducing(self) -> None:
        self._paused = True

    def resumeProducing(self) -> None:
        self._paused = False
        self._release(at_once=True)

    def stopProducing(self) -> None:
        # The connection is gone: nothing held or written from now on can be sent any more, and
        # the transport (with what it still holds) must not be kept alive from here.
        self._paused = True
        self._dropped = True
        self._closed = True
        self._forget()
        self._socket = None
        self._transport = Departed(self._transport.getPeer())

    def _after_next_poll(self) -> None:
        # A delayed call made now runs once the reactor has polled for I/O again (the first hop,
        # made during this turn's I/O, ran before that poll), so the transport had its chance.
        self._judgement = self._clock.callLater(0, self._judge)

    def _judge(self) -> None:
        self._judgement = None
        if self._paused and self._held_bytes > self._limit:
            # Whatever else arrives before the connection is gone is dropped with it.
            self._dropped = True
            held = self._held_bytes
            self._forget()
            self._reader.too_slow(held)

    def _release(self, at_once: bool) -> None:
        if self._judgement is not None:  # the transport drained: the reader keeps up
            self._judgement.cancel()
            self._judgement = None
        held, self._held, self._held_bytes = self._held, None, 0
        if not held:
            return
        if at_once and self._socket is not None:
            self._send(self._socket, b"".join(held))
        else:
            # Writing may fill the transport again, which pauses us before this returns.
            self._transport.writeSequence(held)

    def _send(self, sock: socket.socket, data: bytes) -> None:
        """Send ``data`` now; leave the transport what the kernel would not take yet."""
        try:
            sent = sock.send(data)
        except OSError:
            # It would block (BlockingIOError), or the connection is failing: either way the
            # transport gets it all, and its own write finds out about a failure and closes.
            sent = 0
        if sent < len(data):
            self._paused = True  # until the transport has written the rest
            self._transport.write(data[sent:])

    def _forget(self) -> None:
        if self._judgement is not None:
            self._judgement.cancel()
            self._judgement = None
        if self._abort is not None:
            if self._abort.active():
                self._abort.cancel()
            self._abort = None
        self._held, self._held_bytes = None, 0
