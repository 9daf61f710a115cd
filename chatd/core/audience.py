"""Audiences: who hears a broadcast, and how it reaches them.

Relaying one line to everyone is what a chat server does most, so the hub hands each broadcast to
an audience once instead of to every user in turn.  The audience below delivers to each member
at once, which is all a client needs that has nothing to gain from doing it in bulk.  A door may
bring its own audience for its connections (the line door encodes a broadcast once and writes
everything a reader gets in one reactor turn at once); whatever it does, each member must see
broadcasts and the events delivered to it directly in the order the hub produced them.
"""

from __future__ import annotations

from typing import Protocol

from chatd.core import events
from chatd.core.session import Client


class Audience(Protocol):
    """Named users who hear broadcasts, as the hub sees them."""

    def add(self, client: Client) -> None:
        """``client`` hears every broadcast from now on."""

    def remove(self, client: Client) -> None:
        """``client`` hears no broadcast made from now on; those made before still reach it."""

    def broadcast(self, event: events.Event, exclude: Client) -> None:
        """Deliver ``event`` to every member but ``exclude``."""


class DirectAudience:
    """An audience that delivers each broadcast to each member straight away."""

    def __init__(self) -> None:
        self._members: dict[Client, None] = {}

    def add(self, client: Client) -> None:
        self._members[client] = None

    def remove(self, client: Client) -> None:
        del self._members[client]

    def broadcast(self, event: events.Event, exclude: Client) -> None:
        for client in self._members:
            if client is not exclude:
                client.deliver(event)
