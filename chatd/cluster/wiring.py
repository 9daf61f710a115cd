"""Joining a node to the cluster that meets at a Redis server: what ``--redis`` builds.

:func:`join_cluster` makes the two connections (commands, and pub/sub), the peers and the store,
and :class:`ClusterLinks`, the service that starts the connections with the daemon.  Stopping
is the store's last step (:meth:`ClusterLinks.leave`), after the hub has said goodbye to its users:
the node buries itself (its lease ends now, so what is left of it is swept at once), then closes
its connections.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twisted.application.service import Service
from twisted.internet import defer, endpoints

from chatd.cluster import scripts
from chatd.cluster.lease import RENEW_KEYS
from chatd.cluster.link import RedisLink
from chatd.cluster.node import RedisPeers
from chatd.cluster.store import RedisStore


class ClusterLinks(Service):
    """The node's two connections to Redis, and its lease, started and stopped with the daemon."""

    def __init__(self, peers: RedisPeers, commands: RedisLink, subscriber: RedisLink) -> None:
        self.peers, self.commands, self.subscriber = peers, commands, subscriber

    def startService(self) -> None:
        super().startService()
        self.commands.start()
        self.subscriber.start()
        self.peers.start()

    def leave(self) -> defer.Deferred[Any]:
        """End this node's lease now and close both connections."""
        self.peers.stop()
        args = (self.peers.node, -1, scripts.PREFIX)
        up = self.commands.up
        d = self.commands.run(scripts.RENEW, RENEW_KEYS, args) if up else defer.succeed(0)
        d.addErrback(lambda _: None)
        d.addCallback(lambda _: defer.gatherResults([self.subscriber.stop(), self.commands.stop()]))
        d.addErrback(lambda _: None)
        return d


class LeavingStore(RedisStore):
    """The cluster's store, whose closing also takes the node out of the cluster."""

    links: ClusterLinks | None = None

    def close(self, closed: Callable[[], None]) -> None:
        links = self.links
        if links is None:
            super().close(closed)
            return
        links.leave().addBoth(lambda _: super(LeavingStore, self).close(closed))


def join_cluster(
    reactor: Any, description: str, password: str | None, node: str, tail: int
) -> tuple[RedisPeers, LeavingStore, ClusterLinks]:
    """The peers, store and service of a node joining the cluster at Redis ``description``."""

    def commands_up() -> None:
        if subscriber.up:  # only the commands' connection was lost: catch up over it
            peers.resync()

    commands = RedisLink(
        reactor,
        endpoints.clientFromString(reactor, description),
        name="commands",
        password=password,
        on_up=commands_up,
        on_down=lambda: peers.down(),
    )
    peers = RedisPeers(reactor, commands, node, tail=tail)
    subscriber = RedisLink(
        reactor,
        endpoints.clientFromString(reactor, description),
        name="pub/sub",
        password=password,
        on_up=lambda: peers.subscriber_up(subscriber.subscribe),
        on_down=peers.down,
        on_message=peers.heard,
    )
    store = LeavingStore(commands, node)
    links = ClusterLinks(peers, commands, subscriber)
    store.links = links
    return peers, store, links
