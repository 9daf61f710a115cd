"""The peers seam: what a hub shares with the other nodes of a cluster, and what it hears back.

A hub alone has no peers (``Hub(peers=None)``) and decides everything itself.  Given a
:class:`Peers` (the Redis one is :class:`chatd.cluster.node.RedisPeers`), it still keeps its own
connections, limits and rooms in memory, but asks the peers for what must be decided once for the
whole cluster, and tells them what its users do:

* **Names.**  A name is the user's once :meth:`Peers.claim` says so; meanwhile the session holds
  its lines, as it does while a password is checked (:meth:`chatd.core.session.Session.hold`).
* **Lines.**  :meth:`Peers.publish` numbers a room's line for the whole cluster; every node, this
  one too, then hears it through :meth:`chatd.core.remote.Remote.heard` in sequence order, and
  only then shows it.  So everyone sees a room's lines in the same order.
* **Presence.**  :meth:`Peers.tell` shares a :data:`Fact` (someone arrived, left, was renamed,
  joined or left a room, set a topic); other nodes mirror the users of every node as sessions
  whose client is a :class:`RemoteClient`, so ``/who``, ``/rooms`` and name checks need nothing
  new.  A private message to such a user goes to its node through :meth:`Peers.deliver`, and so
  does an operator's kick, which that node carries out as its own (see
  :meth:`chatd.core.remote.Remote.kick`).
* **Mutes until lifted.**  No store keeps them, so they travel as facts too
  (:class:`MuteChanged`), and a node that (re)joins asks the others for theirs
  (:class:`MutesAsked`).

Like the store seam (:mod:`chatd.core.store`), answers come back through callbacks on the
reactor thread, exactly once, possibly before the call returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from chatd.core import events
from chatd.core.store import Mute, StoredLine, Topic

if TYPE_CHECKING:
    from chatd.core.session import Session

#: What a claim's answer is when the name is not ours: another user holds it, or the peers
#: cannot be asked now.  A delivery's answer may also be that its node is not listening.
TAKEN, RECONNECTING, UNREACHABLE = "taken", "reconnecting", "unreachable"

#: What users are told while the peers cannot be reached.
RECONNECTING_NAME = "the chat is reconnecting, try again in a moment"
RECONNECTING_LINE = "not delivered: the chat is reconnecting"
#: What an operator is told when the node of the user they kick does not listen (it died, or is
#: itself reconnecting): in a moment it is back, or its users are gone.
UNREACHABLE_NODE = "{name}'s node cannot be reached now, try again in a moment"


@dataclass(frozen=True, slots=True)
class Arrived:
    """A user called ``name`` (key ``key``) is online on node ``node``, in ``rooms``."""

    node: str
    key: str
    name: str
    rooms: tuple[str, ...] = (events.LOBBY,)


@dataclass(frozen=True, slots=True)
class Departed:
    """The user with key ``key`` left, for ``reason`` if they gave one; or was kicked by the
    operator called ``kicked_by``, for ``reason`` if the operator gave one."""

    key: str
    reason: str | None = None
    kicked_by: str | None = None


@dataclass(frozen=True, slots=True)
class Renamed:
    """The user with key ``old`` is now ``name`` (key ``key``)."""

    old: str
    key: str
    name: str


@dataclass(frozen=True, slots=True)
class Entered:
    """The user with key ``key`` joined room ``room`` (by name, as first created)."""

    key: str
    room: str


@dataclass(frozen=True, slots=True)
class Exited:
    """The user with key ``key`` left room ``room``, for ``reason`` if given."""

    key: str
    room: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class TopicChanged:
    """``topic`` is now that of room ``room``."""

    room: str
    topic: Topic


# The two facts below are about no user's presence, so they have no ``key`` field: a fact with
# one is kept as that user's record of presence (``RedisPeers.tell``).


@dataclass(frozen=True, slots=True)
class MuteChanged:
    """``mute``, one until lifted, now holds (``held``), or was lifted by hand."""

    mute: Mute
    held: bool


@dataclass(frozen=True, slots=True)
class MutesAsked:
    """A node (re)joined the cluster: the others tell it the mutes until lifted they hold."""


Fact = Arrived | Departed | Renamed | Entered | Exited | TopicChanged | MuteChanged | MutesAsked


class Peers(Protocol):
    """What a hub asks of, and tells, the other nodes.  Called on the reactor thread."""

    node: str
    #: Whether the peers can be told and asked things now (false while reconnecting).
    ready: bool

    def claim(self, key: str, done: Callable[[str | None], None]) -> None:
        """Make the name with key ``key`` this node's: ``done(None)`` once it is, else
        ``done(TAKEN)`` or ``done(RECONNECTING)``."""

    def release(self, key: str) -> None:
        """The name with key ``key`` is no longer used here."""

    def publish(self, line: StoredLine, sent: Callable[[StoredLine | None], None]) -> None:
        """Number ``line`` (its ``seq`` is ignored) and share it: ``sent(numbered)`` once it is
        in the room's stream, ``sent(None)`` if it was not delivered to anyone."""

    def tell(self, fact: Fact) -> None:
        """Share what a user of this node did."""

    def deliver(
        self,
        node: str,
        key: str,
        event: events.Event,
        done: Callable[[str | None], None] | None = None,
    ) -> None:
        """Show ``event`` (a private message, or a refusal) to the user with key ``key`` on
        ``node``; an :class:`~chatd.core.events.Kicked` event has ``node`` kick that user.
        ``done(None)`` once ``node`` has it, else ``done(UNREACHABLE)`` (it is not listening)
        or ``done(RECONNECTING)``."""


class RemoteClient:
    """The client of a user on another node: where they are, for what is sent to them.

    Nothing delivered to it goes anywhere.  What is meant for that one person (a private message,
    an operator's kick) goes to their node through :meth:`Peers.deliver`, which answers whether
    it arrived (see :class:`~chatd.core.remote.Remote`); broadcasts, and what their own node
    tells them of a change (a mute, say), reach them through that node.
    """

    __slots__ = ("key", "node", "peer")

    def __init__(self, node: str, key: str) -> None:
        self.node, self.key = node, key
        self.peer = f"node {node}"

    def deliver(self, event: events.Event) -> None:
        """Nothing: see the class."""

    def close(self) -> None:
        """Nothing to close here: the user's own node closes its connection."""


def is_remote(session: Session) -> bool:
    """Whether ``session`` is a user of another node (its client a :class:`RemoteClient`)."""
    return isinstance(session.client, RemoteClient)
