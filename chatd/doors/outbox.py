"""Flow control for what the server sends: a bounded outbox in front of each connection's transport.

A transport buffers whatever it is given.  The outbox registers with it as a streaming producer,
so the transport tells it when its buffer is full (``pauseProducing``) and when it has drained
(``resumeProducing``).  While paused the outbox holds further output itself, and once that passes
its limit the reader is too slow to keep up with the chat: the connection is dropped instead of
letting one client grow the server's memory.
"""

from __future__ import annotations

from collections.abc import Callable

from twisted.internet.interfaces import IPushProducer, ITransport
from zope.interface import implementer


@implementer(IPushProducer)
class Outbox:
    """Output for one connection: written through while the transport keeps up, held while not."""

    __slots__ = (
        "_closed",
        "_dropped",
        "_held",
        "_held_bytes",
        "_limit",
        "_overflow",
        "_paused",
        "_transport",
    )

    def __init__(self, transport: ITransport, limit: int, overflow: Callable[[int], None]) -> None:
        self._transport = transport
        self._limit = limit
        #: Called with the bytes held once they pass ``limit``; expected to drop the connection.
        self._overflow = overflow
        self._held: list[bytes] = []
        self._held_bytes = 0
        self._paused = False
        self._dropped = False
        self._closed = False
        transport.registerProducer(self, True)

    @property
    def held(self) -> int:
        """Bytes waiting here for the transport to drain."""
        return self._held_bytes

    def write(self, data: bytes) -> None:
        if not self._paused:
            self._transport.write(data)
        elif not self._dropped:
            self._held.append(data)
            self._held_bytes += len(data)
            if self._held_bytes > self._limit:
                # Whatever else arrives before the connection is gone is dropped with it.
                self._dropped = True
                self._overflow(self._held_bytes)
                self._held, self._held_bytes = [], 0

    def close(self) -> None:
        """Hand everything held to the transport and step aside, so that it can close.

        A transport with a registered producer never finishes closing, and what is held here is
        already bounded by the limit.
        """
        if self._closed:
            return
        self._closed = True
        self._release()
        self._paused = False
        self._transport.unregisterProducer()

    # IPushProducer, called by the transport

    def pauseProducing(self) -> None:
        self._paused = True

    def resumeProducing(self) -> None:
        self._paused = False
        self._release()

    def stopProducing(self) -> None:
        # The connection is gone: nothing held can be sent any more.
        self._paused = True
        self._held, self._held_bytes = [], 0

    def _release(self) -> None:
        held, self._held, self._held_bytes = self._held, [], 0
        if held:
            # Writing may fill the transport again, which pauses us before this returns.
            self._transport.writeSequence(held)
