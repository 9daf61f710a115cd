"""Audiences: who hears a broadcast, and how it reaches them.

Relaying one line to everyone is what a chat server does most, so the hub hands each broadcast to
an audience once instead of to every user in turn.  A broadcast has a *scope*: a room (its
members hear it) or a set of rooms (everyone in any of them hears it once: a user who leaves the
chat is announced to everyone who shares a room with them).  The audience below delivers to each
member at once, which is all a client needs that has nothing to gain from doing it in bulk.  A
door may bring its own audience for its connections (the line door encodes a broadcast once and
writes everything a reader gets in one reactor turn at once); whatever it does, each member must
see broadcasts and the events delivered to it directly in the order the hub produced them.

Before a member's rooms change, the hub asks its audience to :meth:`~Audience.catch_up` with it:
so an audience that delivers later may judge who hears what, and how it looks, by each member's
rooms as they are when it delivers.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Protocol

from chatd.core import events

if TYPE_CHECKING:
    from chatd.core.rooms import Room
    from chatd.core.session import Session


def hears(rooms: tuple[Room, ...], scope: Room | frozenset[Room]) -> bool:
    """Whether a member in ``rooms`` hears a broadcast to ``scope``."""
    if isinstance(scope, frozenset):
        return not scope.isdisjoint(rooms)
    return scope in rooms


class Audience(Protocol):
    """Named users who hear broadcasts, as the hub sees them."""

    def add(self, session: Session) -> None:
        """``session`` hears every broadcast to its rooms from now on."""

    def remove(self, session: Session) -> None:
        """``session`` hears no broadcast made from now on; those made before still reach it."""

    def broadcast(
        self, event: events.Event, exclude: Session | None, scope: Room | frozenset[Room]
    ) -> None:
        """Deliver ``event`` to every member who hears ``scope``, but ``exclude``."""

    def catch_up(self, session: Session) -> None:
        """Deliver to ``session`` now every broadcast it has not had yet."""


class DirectAudience:
    """An audience that delivers each broadcast to each member straight away."""

    def __init__(self) -> None:
        self._members: dict[Session, None] = {}

    def add(self, session: Session) -> None:
        self._members[session] = None

    def remove(self, session: Session) -> None:
        del self._members[session]

    def broadcast(
        self, event: events.Event, exclude: Session | None, scope: Room | frozenset[Room]
    ) -> None:
        # A snapshot: a delivery may end a connection, which takes its member out meanwhile.
        for session in tuple(self._members):
            if session is not exclude and session in self._members and hears(session.rooms, scope):
                session.client.deliver(event)

    def catch_up(self, session: Session) -> None:
        pass  # everything was delivered at once


class Audiences:
    """The audiences of the users online: the hub's broadcasts go through each of them once.

    Each audience is counted by its members, and goes when its last member does.
    """

    def __init__(self) -> None:
        self._members: Counter[Audience] = Counter()
        #: The same audiences as a tuple, made again when one comes or goes: what a broadcast
        #: goes through, unchanged while it does (a delivery that ends a connection may take its
        #: audience out meanwhile), without copying them for every line.
        self._each: tuple[Audience, ...] = ()

    def add(self, session: Session) -> None:
        """``session``'s user is online: it hears broadcasts through its audience."""
        audience = session.audience
        audience.add(session)
        self._members[audience] += 1
        if self._members[audience] == 1:
            self._each = tuple(self._members)

    def remove(self, session: Session) -> None:
        """``session``'s user has left: it hears no broadcast made from now on."""
        audience = session.audience
        audience.remove(session)
        self._members[audience] -= 1
        if not self._members[audience]:
            del self._members[audience]
            self._each = tuple(self._members)

    def broadcast(
        self, event: events.Event, exclude: Session | None, scope: Room | frozenset[Room]
    ) -> None:
        """Deliver ``event`` to everyone online who hears ``scope``, but ``exclude``."""
        for audience in self._each:
            audience.broadcast(event, exclude, scope)
