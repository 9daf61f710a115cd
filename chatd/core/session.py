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
    from chatd.core.accounts import Purpose
    from chatd.core.audience import Audience
    from chatd.core.hub import Hub
    from chatd.core.policy import TokenBucket
    from chatd.core.rooms import Room

QUIT_WORD = "<quit>"
#: Lines held while a password is checked, at most; more are refused.
MAX_HELD_LINES = 100


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
        "_held",
        "_holds",
        "account",
        "address",
        "audience",
        "awaiting",
        "client",
        "connected_at",
        "door",
        "hub",
        "inbox",
        "key",
        "last_heard",
        "name",
        "origin",
        "receipts",
        "rooms",
    )

    def __init__(
        self,
        hub: Hub,
        client: Client,
        origin: str | None,
        audience: Audience,
        address: str | None = None,
        door: str = "unknown",
    ) -> None:
        self.hub = hub
        self.client = client
        #: Where the user hears broadcasts once named.
        self.audience = audience
        #: The address the connection came from, for per-address limits (None: not counted).
        self.origin = origin
        #: The peer's own address (``origin`` counts an IPv6 peer by its /64), for bans and for
        #: operators' ``/whois``; never shown to anyone else.
        self.address = address if address is not None else origin
        #: How the connection came (``nc``, ``telnet``, ``TLS``, ``web``), for ``/whois``; a
        #: door may change it (a line connection becomes ``telnet`` once it speaks telnet).
        self.door = door
        #: When the connection was made, and when its user last typed a line.
        self.connected_at = self.last_heard = hub.clock.seconds()
        #: The key of the account the user logged into (or registered), or None.
        self.account: str | None = None
        #: ``(account key, purpose)`` while the connection must give that account's password.
        self.awaiting: tuple[str, Purpose] | None = None
        #: Lines that arrived while a password was being checked, and how many checks run.
        self._held: list[str] = []
        self._holds = 0
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
        if self._holds:
            if len(self._held) < MAX_HELD_LINES:
                self._held.append(line)
            else:
                self.refuse("please wait: a password is being checked", "checking_password")
            return
        if self.name is not None:
            self.hub.heard_from(self)
        text = clean(line).rstrip()
        trimmed = text.lstrip()  # chat keeps leading spaces; commands and names do not need them
        if not trimmed:
            return
        if trimmed == QUIT_WORD:
            self.quit()
        elif self.awaiting is not None:
            # Whatever is typed now is the password, unless it is /quit (a password has no space).
            if trimmed.startswith("/") and commands.is_quit(trimmed):
                self.quit(trimmed.partition(" ")[2].strip() or None)
            else:
                self.hub.give_password(self, trimmed)
        elif self.name is None:
            self._choose_name(trimmed)
        elif trimmed.startswith("/") and not trimmed.startswith("//"):
            commands.run(self, trimmed)
        else:
            try:
                self.hub.say(self, trimmed[1:] if trimmed.startswith("//") else text)
            except ChatError as refusal:  # a muted user, say
                self.refuse_for(refusal)

    @property
    def ended(self) -> bool:
        """Whether the connection is gone or closing: nothing is delivered to it any more."""
        return self._ended

    @property
    def is_operator(self) -> bool:
        """Whether the user is logged into an account the server lists as an operator."""
        return self.account is not None and self.account in self.hub.operators

    def hold(self) -> None:
        """Keep the lines that arrive from now on until :meth:`release` (a password is checked:
        what follows it must wait for the answer, in order)."""
        self._holds += 1

    def release(self) -> None:
        """End a :meth:`hold`; after the last one, act on the lines held, in order."""
        self._holds -= 1
        if self._holds or not self._held:
            return
        held, self._held = self._held, []
        for index, line in enumerate(held):
            if self._holds:  # a line held again (another password to check): keep the rest
                self._held[:0] = held[index:]
                return
            self.receive(line)

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
