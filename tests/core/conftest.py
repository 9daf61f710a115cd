"""A hub with fake clients: what each person would see, as event objects, with no I/O at all."""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable
from typing import Any

import pytest
from twisted.internet import task
from twisted.internet.defer import Deferred, maybeDeferred

from chatd.core import Hub, Session
from chatd.core.accounts import AccountBook
from chatd.core.events import Event
from chatd.core.store import MemoryStore
from chatd.limits import Limits
from chatd.passwords import Scrypt
from chatd.portal import CredPasswords

#: scrypt at its cheapest: the hashes are real, and each costs microseconds.
FAST_SCRYPT = Scrypt(log_n=4, r=1, p=1)


class PasswordRunner:
    """Runs the password work at once, or, with ``auto`` off, when the test says so."""

    def __init__(self) -> None:
        self.auto = True
        self.waiting: deque[tuple[Callable[..., Any], tuple, Deferred]] = deque()

    def run(self, work: Callable[..., Any], *args: Any) -> Deferred:
        if self.auto:
            return maybeDeferred(work, *args)
        done: Deferred = Deferred()
        self.waiting.append((work, args, done))
        return done

    def stop(self) -> None:
        pass

    def finish(self) -> None:
        """Run every piece of work waiting, in order (and whatever that adds)."""
        while self.waiting:
            work, args, done = self.waiting.popleft()
            maybeDeferred(work, *args).chainDeferred(done)


class FakeClient:
    """Records what the hub delivers, how often it asked to close, and anything sent after that."""

    def __init__(self, peer: str = "test") -> None:
        self.peer = peer
        self.events: list[Event] = []
        #: Events delivered after close(): a door would write them to a closing connection.
        self.late: list[Event] = []
        self.close_calls = 0
        #: Called from close(), to imitate a door whose connection drops synchronously.
        self.on_close: Callable[[], None] | None = None

    @property
    def closed(self) -> bool:
        return self.close_calls > 0

    def deliver(self, event: Event) -> None:
        (self.late if self.closed else self.events).append(event)

    def close(self) -> None:
        self.close_calls += 1
        if self.on_close is not None:
            self.on_close()

    def take(self) -> list[Event]:
        """The events delivered since the last take."""
        taken, self.events = self.events, []
        return taken


class Clock(task.Clock):
    """Twisted's test clock, starting at a fixed wall-clock time; ``now`` reads and sets it."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        super().__init__()
        self.rightNow = now

    @property
    def now(self) -> float:
        return self.rightNow

    @now.setter
    def now(self, value: float) -> None:
        self.rightNow = value


def hub_options(options: dict[str, object]) -> dict[str, object]:
    """Hub keyword arguments from a flat mapping in which limits may appear by name."""
    names = {field.name for field in dataclasses.fields(Limits)}
    limits = {name: options.pop(name) for name in list(options) if name in names}
    return {**options, "limits": Limits(**limits)}


class Room:
    """A hub, its clock, and helpers to connect and name fake clients."""

    def __init__(self, **options) -> None:
        self.clock = Clock()
        self.store = options.pop("store", None) or MemoryStore()
        self.runner = PasswordRunner()
        book = AccountBook(self.store)
        self.hub = Hub(
            clock=self.clock,
            store=self.store,
            accounts=book,
            passwords=CredPasswords(book, self.runner, FAST_SCRYPT),
            **hub_options(options),
        )
        self.clients: list[FakeClient] = []

    def connect(
        self,
        *,
        drop_on_close: bool = False,
        origin: str | None = None,
        audience=None,
        address: str | None = None,
    ) -> tuple[Session, FakeClient]:
        """A new connection; with ``drop_on_close`` its close() reports the loss at once."""
        client = FakeClient(peer=f"test-{len(self.clients)}")
        session = self.hub.connect(client, origin, audience, address=address, door="nc")
        if drop_on_close:
            client.on_close = session.lost
        self.clients.append(client)
        return session, client

    def join(self, name: str, **connect_options) -> tuple[Session, FakeClient]:
        """A named user; everyone's recorded events are cleared afterwards."""
        session, client = self.connect(**connect_options)
        session.receive(name)
        assert session.name == name
        self.settle()
        return session, client

    def settle(self) -> None:
        for client in self.clients:
            client.take()

    def late_events(self) -> dict[str, list[Event]]:
        return {client.peer: client.late for client in self.clients if client.late}


@pytest.fixture
def make_room():
    """Build rooms with hub options; afterwards no client may have had events after close()."""
    rooms: list[Room] = []

    def make(**options) -> Room:
        room = Room(**options)
        rooms.append(room)
        return room

    yield make
    for room in rooms:
        assert room.late_events() == {}, "events were delivered after close()"


@pytest.fixture
def room(make_room) -> Room:
    """A room with the hub's default options."""
    return make_room()
