"""The plain face, for pipes and files: one server line out per line, one typed line in per line.

Used whenever standard input or output is not a terminal (``printf 'hello\\n' | chatd-client``,
or output captured by a script).  End of input means leave: the core sends ``<quit>`` after
everything read so far.  Server lines are written as they are, except that, when standard output
is a terminal, control characters are removed and colours may be added.
"""

from __future__ import annotations

import sys
from typing import TextIO

from twisted.internet import defer
from twisted.internet.interfaces import IHalfCloseableProtocol, ITransport
from twisted.internet.protocol import connectionDone
from twisted.protocols.basic import LineReceiver
from twisted.python.failure import Failure
from zope.interface import implementer

from chatd.client.lines import ServerLine
from chatd.client.outgoing import Outgoing
from chatd.client.protocol import ChatClientProtocol
from chatd.client.render import styled

__all__ = ["PlainFace"]


@implementer(IHalfCloseableProtocol)
class PlainFace(LineReceiver):
    """Standard input and output as lines, on a :class:`~twisted.internet.stdio.StandardIO`.

    It is half-closeable: the end of standard input must not close standard output, because the
    server's goodbye is still to come.
    """

    delimiter = b"\n"
    #: Standard input and output, set before any line is read or written.
    transport: ITransport
    MAX_LENGTH = 1 << 20  # a pasted paragraph is fine; the server refuses what is too long
    #: No person is watching who could type another name if the server refuses one.
    interactive = False

    def __init__(
        self, to_terminal: bool = False, colour: bool = False, notes: TextIO | None = None
    ) -> None:
        self.to_terminal = to_terminal
        self.colour = colour
        #: Where lines from chatd-client itself go: standard error, not the server's lines.
        self.notes = notes
        self.outgoing = Outgoing()
        self._closing = False
        self._closed: defer.Deferred[None] = defer.Deferred()

    @property
    def client(self) -> ChatClientProtocol | None:
        """The client core typed lines go to, once attached."""
        return self.outgoing.client

    def attach(self, client: ChatClientProtocol) -> None:
        """From now on, typed lines go to ``client``."""
        self.outgoing.attach(client)

    # The core's side

    def show_line(self, line: ServerLine) -> None:
        if self.to_terminal:
            text = styled(line, self.colour, self.client.name if self.client else None)
        else:
            text = line.text
        self.transport.write(text.encode("utf-8", "replace") + b"\n")

    def show_note(self, text: str) -> None:
        """A line from chatd-client itself (a hint), on standard error, apart from the chat."""
        notes = self.notes or sys.stderr
        try:
            notes.write(text + "\n")
            notes.flush()
        except OSError:
            pass  # a hint is not worth failing over: standard error is closed or full

    def close(self) -> defer.Deferred[None]:
        """Stop reading, write out what is buffered; fires once standard output is flushed."""
        if not self._closing and not self._closed.called:
            self._closing = True
            self.transport.loseConnection()
        return self._closed

    # Twisted's side

    def lineReceived(self, data: bytes) -> None:
        if data.endswith(b"\r"):
            data = data[:-1]
        self.outgoing.send(data.decode("utf-8", "replace"))

    def lineLengthExceeded(self, line: bytes) -> None:
        # LineReceiver has dropped the line and whatever it had buffered after it.  Keep reading
        # rather than close standard input and output, which is what the default does.
        pass

    def readConnectionLost(self) -> None:
        rest = self.clearLineBuffer()  # a last line without its newline still counts
        if rest.rstrip(b"\r"):
            self.lineReceived(rest)
        self.outgoing.end()

    def writeConnectionLost(self) -> None:
        # Nobody reads what the server says any more: leave.
        self.outgoing.end()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        if not self._closing:
            self.outgoing.end()
        if not self._closed.called:
            self._closed.callback(None)
