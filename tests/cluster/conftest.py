"""Clustered hubs on one fake Redis: nodes whose people are fake clients, with no I/O at all."""

from __future__ import annotations

import pytest
from core.conftest import FAST_SCRYPT, Clock, FakeClient, PasswordRunner
from fake_redis import FakeLink, FakeRedis

from chatd.cluster.node import RedisPeers
from chatd.cluster.store import RedisStore
from chatd.core import Hub, Session
from chatd.core.accounts import AccountBook
from chatd.core.events import Event
from chatd.portal import CredPasswords


class Node:
    """One chatd node on the fake Redis: its hub, its two connections, its people."""

    def __init__(self, server: FakeRedis, clock: Clock, name: str) -> None:
        self.name = name
        self.clock = clock
        self.commands = FakeLink(server)
        self.peers = RedisPeers(clock, self.commands, name, tail=5)
        self.subscriber = FakeLink(
            server,
            on_up=lambda: self.peers.subscriber_up(self.subscriber.subscribe),
            on_down=self.peers.down,
            on_message=self.peers.heard,
        )
        self.commands.on_down = self.peers.down
        self.commands.on_up = lambda: self.peers.resync() if self.subscriber.up else None
        self.store = RedisStore(self.commands, name)
        self.runner = PasswordRunner()
        book = AccountBook(self.store)
        self.hub = Hub(
            clock=clock,
            store=self.store,
            peers=self.peers,
            history_size=5,
            accounts=book,
            passwords=CredPasswords(book, self.runner, FAST_SCRYPT),
            operators=["oper"],
        )
        self.peers.attach(self.hub)
        self.clients: list[FakeClient] = []

    def start(self) -> Node:
        self.commands.start()
        self.subscriber.start()
        self.peers.start()
        return self

    def die(self) -> None:
        """The process is killed: its connections to Redis are gone, its lease not renewed."""
        self.peers.stop()
        self.subscriber.drop()
        self.commands.drop()

    def redis_down(self) -> None:
        self.subscriber.drop()
        self.commands.drop()

    def redis_up(self) -> None:
        self.commands.restore()
        self.subscriber.restore()

    def connect(self) -> tuple[Session, FakeClient]:
        client = FakeClient(peer=f"{self.name}-{len(self.clients)}")
        session = self.hub.connect(client, None, door="nc")
        client.on_close = session.lost
        self.clients.append(client)
        client.take()
        return session, client

    def join(self, name: str) -> tuple[Session, FakeClient]:
        session, client = self.connect()
        session.receive(name)
        assert session.name == name, client.events
        client.take()
        return session, client


class Cluster:
    """A fake Redis, a clock, and the nodes on them."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.redis = FakeRedis(self.clock)
        self.nodes: list[Node] = []

    def node(self, name: str) -> Node:
        node = Node(self.redis, self.clock, name).start()
        self.nodes.append(node)
        return node

    def settle(self) -> None:
        for node in self.nodes:
            for client in node.clients:
                client.take()


@pytest.fixture
def cluster() -> Cluster:
    return Cluster()


def texts(events: list[Event]) -> list[str]:
    """The text of each chat line among ``events``."""
    return [event.text for event in events if hasattr(event, "text") and hasattr(event, "seq")]
