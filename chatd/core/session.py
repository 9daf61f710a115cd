"""One connection's conversation with the hub, for doors whose users type lines of text.

A line door (TCP, TLS, and later WebSocket or SSH) decodes its wire into ``str`` lines and hands
each to :meth:`Session.receive`; the session does the username handshake, recognises ``<quit>``
and ``/commands``, and calls the hub.  A door with a grammar of its own (IRC) would call the
hub's methods directly instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from chatd.core import commands, events
from chatd.core.errors import ChatError
from chatd.core.text import clean

if TYPE_CHECKING:
    from chatd.core.audience import Audience
    from chatd.core.hub import Hub
    from chatd.core.policy import TokenBucket
    from chatd.core.rooms import Room

QUIT_WORD = "<quit>"


class Client(Protocol):
    """What the hub needs from a door's connection."""

    @property
    def peer(self) -> str:
        """A short description of the other end, for log events (``"tcp 127.0.0.1:50312"``)."""
        ...

    def deliver(self, event: events.Event) -> None:
        """Show ``event`` to the person at the other end."""

    def close(self) -> None:
        """Close the connection once everything delivered so far has been sent."""


class Session:
    """The hub's record of one connection: its client and, once chosen, its username."""

    __slots__ = (
        "_ended",
        "audience",
        "client",
        "hub",
        "inbox",
        "key",
        "name",
        "origin",
        "receipts",
        "rooms",
    )

    def __init__(self, hub: Hub, client: Client, origin: str | None, audience: Audience) -> None:
        self.hub = hub
        self.client = client
        #: Where the user hears broadcasts once named.
        self.audience = audience
        #: The address the connection came from, for per-address limits (None: not counted).
        self.origin = origin
        #: The username as the person typed it, or None during the handshake.
        self.name: str | None = None
        #: The name's comparison key (see :func:`chatd.core.names.name_key`).
        self.key: str | None = None
        #: The budget of private messages this user may receive, made with the first one.
        self.inbox: TokenBucket | None = None
        #: The rooms the user is in, the current one last (see :mod:`chatd.core.rooms`).
        self.rooms: tuple[Room, ...] = ()
        #: Whether each line the user says is answered with a receipt once stored.
        self.receipts = False
        self._ended = False

    def username(self) -> str:
        """The username of a session that has one: a room member, or someone on the user list.

        Raises :class:`RuntimeError` for a session still in the handshake, which would be a bug in
        the caller, not something the user did.
        """
        if self.name is None:
            raise RuntimeError(f"{self.client.peer} has no username yet")
        return self.name

    def receive(self, line: str) -> None:
        """Act on one line the person typed (already decoded, without its line ending)."""
        if self._ended:
            return
        if self.name is not None:
            self.hub.heard_from(self)
        text = clean(line).rstrip()
        trimmed = text.lstrip()  # chat keeps leading spaces; commands and names do not need them
        if not trimmed:
            return
        if trimmed == QUIT_WORD:
            self.quit()
        elif self.name is None:
            self._choose_name(trimmed)
        elif trimmed.startswith("//"):
            self.hub.say(self, trimmed[1:])
        elif trimmed.startswith("/"):
            commands.run(self, trimmed)
        else:
            self.hub.say(self, text)

    def lost(self) -> None:
        """The connection is gone, however that happened."""
        self._ended = True
        self.hub.disconnect(self)

    def quit(self, reason: str | None = None) -> None:
        self.hub.quit(self, reason)

    def finish(self, last: events.Event) -> None:
        """Deliver ``last``, ask the door to close, and ignore whatever arrives after it.

        Only the first call counts: a session that already said goodbye hears nothing more.
        """
        if self._ended:
            return
        self._ended = True
        self.client.deliver(last)
        self.client.close()

    def tell(self, event: events.Event) -> None:
        self.client.deliver(event)

    def refuse(self, reason: str, code: str = "refused") -> None:
        self.client.deliver(events.Refused(reason, code))

    def refuse_for(self, refusal: ChatError) -> None:
        """Tell the person why the hub refused what they asked."""
        self.client.deliver(events.Refused(str(refusal), refusal.code))

    def _choose_name(self, name: str) -> None:
        if name.startswith("/"):
            if commands.is_quit(name):
                self.quit()
            else:
                self.refuse("please choose a username first", "name_required")
            return
        try:
            self.hub.join(self, name)
        except ChatError as refusal:
            self.refuse_for(refusal)
