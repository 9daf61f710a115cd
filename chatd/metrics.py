"""Prometheus metrics: what the hub and the doors count, served at ``/metrics`` (``--metrics``).

Counting must cost the chat nothing it would notice, so nothing here runs while people chat.
The hub and the doors keep plain integers that they add to per pass, per packet or per rare event
(a refusal, a dropped reader): see :attr:`Hub.refusals <chatd.core.hub.Hub.refusals>`,
:class:`~chatd.doors.line.LineDoorFactory` and :class:`~chatd.doors.fanout.Fanout`.  The
:class:`ChatCollector` turns them into metric families only when Prometheus scrapes, and
``prometheus_client`` renders the text format.

``prometheus_client``'s Twisted resource answers from the reactor's thread pool, so
:meth:`ChatCollector.collect` runs in a worker thread while the reactor goes on.  It only reads:
integers and lengths, which the GIL reads whole, and one copy of the hub's small dictionary of
refusals, which ``dict()`` makes in one step without running Python code in between.  A scrape
therefore never stops the chat, and sees each count as it was at some instant of the scrape.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Protocol

from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.twisted import MetricsResource
from twisted.web.http import Request
from twisted.web.resource import Resource
from twisted.web.server import Site

from chatd.core.hub import Hub
from chatd.doors.fanout import Fanout
from chatd.store import SQLiteStore

__all__ = ["ChatCollector", "MetricsSite", "metrics_registry"]


class CountedDoor(Protocol):
    """What the metrics read of a door (the line door's factory, the web door's)."""

    fanout: Fanout
    lines_received: int
    deliveries: int
    bytes_sent: int
    flood_delays: int
    slow_readers_dropped: int

    @property
    def open_count(self) -> int: ...


#: The ``reason`` label values of ``chatd_refusals_total``, so that every one is exported from
#: the start (at 0) and a rate over it needs no "absent" special case.
REFUSAL_REASONS = (
    "max_clients",
    "shutting_down",
    "max_per_ip",
    "arrival_rate",
    "banned",
    "name_change_rate",
    "private_rate",
)


class ChatCollector:
    """Reads the hub's and the doors' counts at scrape time; ``doors`` maps a label to a door."""

    def __init__(self, hub: Hub, doors: Mapping[str, CountedDoor], store: object = None) -> None:
        self.hub = hub
        self.doors = dict(doors)
        #: The SQLite store, whose commits are timed; other stores have no queue to watch.
        self.store = store if isinstance(store, SQLiteStore) else None

    def collect(self) -> Iterator[Metric]:
        per_door = [
            (
                "connections",
                GaugeMetricFamily,
                "Open connections, counting refused ones until they have closed.",
                lambda door: door.open_count,
            ),
            (
                "users_online",
                GaugeMetricFamily,
                "Connections that have chosen a username.",
                lambda door: door.fanout.member_count,
            ),
            (
                "lines_received",
                CounterMetricFamily,
                "Lines (web: messages) read from clients: names, chat, commands, refused ones too.",
                lambda door: door.lines_received,
            ),
            (
                "deliveries",
                CounterMetricFamily,
                "Lines written to connections: each broadcast counts once per recipient.",
                lambda door: door.deliveries + door.fanout.deliveries,
            ),
            (
                "bytes_sent",
                CounterMetricFamily,
                "Bytes of output handed to connections (what a dropped reader held included).",
                lambda door: door.bytes_sent + door.fanout.bytes_sent,
            ),
            (
                "flood_delays",
                CounterMetricFamily,
                "Times flood control (--rate, --burst) stopped reading from a connection.",
                lambda door: door.flood_delays,
            ),
            (
                "slow_readers_dropped",
                CounterMetricFamily,
                "Connections dropped for holding over --max-send-buffer of unread output.",
                lambda door: door.slow_readers_dropped,
            ),
        ]
        for name, family, documentation, read in per_door:
            metric = family(f"chatd_{name}", documentation, labels=["door"])
            for label, door in self.doors.items():
                metric.add_metric([label], read(door))
            yield metric

        yield GaugeMetricFamily(
            "chatd_rooms",
            "Rooms with at least one user in them, the lobby included.",
            value=self.hub.rooms.active_count,
        )
        yield CounterMetricFamily(
            "chatd_handshake_timeouts",
            "Connections closed for choosing no username within --handshake-timeout.",
            value=self.hub.handshake_timeouts,
        )
        refusals = CounterMetricFamily(
            "chatd_refusals",
            "Connections, name changes and private messages refused by a limit, by reason.",
            labels=["reason"],
        )
        counted = dict(self.hub.refusals)  # one step: the reactor may add to it meanwhile
        for reason in (*REFUSAL_REASONS, *sorted(counted.keys() - set(REFUSAL_REASONS))):
            refusals.add_metric([reason], counted.get(reason, 0))
        yield refusals
        peers = self.hub.remote.peers
        if peers is not None:  # a node of a cluster (--redis)
            yield from _cluster_metrics(peers)
        if self.store is not None:
            latency = self.store.commit_seconds
            yield HistogramMetricFamily(
                "chatd_store_commit_seconds",
                "Time from a batch of lines going to the database's thread to its commit.",
                buckets=latency.cumulative(),
                sum_value=latency.sum,
            )
            yield GaugeMetricFamily(
                "chatd_store_queue_lines",
                "Lines received and not yet committed to the database (their receipts wait).",
                value=self.store.queued,
            )


def _cluster_metrics(peers: object) -> Iterator[Metric]:
    """A cluster node's name, whether it is in step with Redis, and its gaps."""
    order = getattr(peers, "order", None)  # the node's LineOrder
    info = GaugeMetricFamily(
        "chatd_cluster_node", "This node of a cluster (--redis), named.", labels=["node"]
    )
    info.add_metric([str(getattr(peers, "node", ""))], 1)
    yield info
    yield GaugeMetricFamily(
        "chatd_cluster_ready",
        "1 while the node is subscribed and caught up with Redis, 0 while it reconnects.",
        value=int(bool(getattr(peers, "ready", False))),
    )
    yield CounterMetricFamily(
        "chatd_cluster_gaps_filled",
        "Gaps in a room's lines (a lost or late message) read back from the room's stream.",
        value=getattr(order, "refilled", 0),
    )
    yield CounterMetricFamily(
        "chatd_cluster_lines_lost",
        "Lines that could not be recovered from the streams (trimmed, or lost by Redis).",
        value=getattr(order, "lost_lines", 0),
    )


def metrics_registry(
    hub: Hub, doors: Mapping[str, CountedDoor], store: object = None
) -> CollectorRegistry:
    """A registry of chatd's metrics and the process's (CPU, memory, descriptors, GC, Python).

    A registry of its own rather than ``prometheus_client``'s global one, so that two hubs in one
    process (tests do that) do not collide.
    """
    registry = CollectorRegistry()
    registry.register(ChatCollector(hub, doors, store))
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


class MetricsSite(Site):
    """Serves ``/metrics`` from ``registry``; every other path is 404.

    Scrapes are not logged: Prometheus asks every few seconds, and the chat's log would be
    mostly scrapes.
    """

    noisy = False  # nor is "Starting factory"; Twisted still logs the port it listens on

    def __init__(self, registry: CollectorRegistry) -> None:
        root = Resource()
        root.putChild(b"metrics", MetricsResource(registry=registry))
        super().__init__(root)

    def log(self, request: Request) -> None:
        pass
