"""A hub with fake clients: what each person would see, as event objects, with no I/O at all."""

from __future__ import annotations

import pytest

from chatd.core import Hub, Session
from chatd.core.events import Event


class FakeClient:
    """Records what the hub delivers and whether it asked for the connection to close."""

    def __init__(self, peer: str = "test") -> None:
        self.peer = peer
        self.events: list[Event] = []
        self.closed = False

    def deliver(self, event: Event) -> None:
        assert not self.closed, f"{event!r} delivered after close()"
        self.events.append(event)

    def close(self) -> None:
        self.closed = True

    def take(self) -> list[Event]:
        """The events delivered since the last take."""
        taken, self.events = self.events, []
        return taken


class Clock:
    """Time that moves only when a test says so."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Room:
    """A hub, its clock, and helpers to connect and name fake clients."""

    def __init__(self, **options) -> None:
        self.clock = Clock()
        self.hub = Hub(clock=self.clock, **options)
        self.clients: list[FakeClient] = []

    def connect(self) -> tuple[Session, FakeClient]:
        client = FakeClient(peer=f"test-{len(self.clients)}")
        session = self.hub.connect(client)
        self.clients.append(client)
        return session, client

    def join(self, name: str) -> tuple[Session, FakeClient]:
        """A named user; everyone's recorded events are cleared afterwards."""
        session, client = self.connect()
        session.receive(name)
        assert session.name == name
        self.settle()
        return session, client

    def settle(self) -> None:
        for client in self.clients:
            client.take()


@pytest.fixture
def room() -> Room:
    return Room()


@pytest.fixture
def make_room():
    return Room
