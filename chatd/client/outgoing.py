"""What the person typed, on its way to the client core, for any face (terminal, pipe, GUI).

A face reads input before the connection exists; lines typed by then wait here and go to the
core, in order, once it is attached.  The end of input (Ctrl-D, the end of a pipe, a closed
window) becomes a quit, whenever it comes.
"""

from __future__ import annotations

from chatd.client.protocol import ChatClientProtocol

__all__ = ["Outgoing"]


class Outgoing:
    """Typed lines for one client core: held until it is attached, then passed straight on."""

    def __init__(self) -> None:
        self.client: ChatClientProtocol | None = None
        #: Whether the person has finished typing (the quit is sent, or will be on attach).
        self.ended = False
        self._early: list[str] = []

    def attach(self, client: ChatClientProtocol) -> None:
        """From now on, typed lines go to ``client``; those typed before go first."""
        self.client = client
        early, self._early = self._early, []
        for line in early:
            client.send(line)
        if self.ended:
            client.quit()

    def send(self, line: str) -> None:
        if self.client is None:
            self._early.append(line)
        else:
            self.client.send(line)

    def end(self) -> None:
        """The person has nothing more to type: leave, once."""
        if self.ended:
            return
        self.ended = True
        if self.client is not None:
            self.client.quit()
