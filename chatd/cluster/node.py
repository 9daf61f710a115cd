"""A node's peers, through Redis: names, presence, and every room's lines in one order.

:class:`RedisPeers` is the :class:`chatd.core.peers.Peers` of a clustered hub.  It follows
Centrifugo's Redis engine:

* A line is numbered, kept in its room's capped stream and published by one Lua script
  (:data:`~chatd.cluster.scripts.PUBLISH`).  Each node shows a room's lines in sequence order,
  filling gaps from the stream (:class:`~chatd.cluster.ordering.LineOrder`).
* A node renews a lease every few seconds (a sorted set scored by expiry); the same script buries
  the nodes whose lease ran out, announcing their users' departure.  A name is claimed with a
  compare-and-set that a name of a buried node loses.
* After any reconnection (Redis restarted, a pub/sub connection cut) the node subscribes again,
  reads the rooms and who is online afresh, claims its users' names and announces them again,
  and fills every room's gap from the streams.  An epoch key, made once, tells a Redis that came
  back with less data: then the lines since cannot be recovered, and members are told so.

While Redis cannot be reached, claims and lines are refused at once (see
:data:`chatd.core.peers.RECONNECTING`): nothing waits, and nothing is dropped silently.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from twisted.internet import defer
from twisted.logger import Logger

from chatd.cluster import scripts
from chatd.cluster.facts import apply_delivery, apply_fact, delivery_json, fact_json, fact_of
from chatd.cluster.lease import LEASE, LEASE_LOST, RENEW_EVERY, RENEW_KEYS, Lease
from chatd.cluster.link import Link
from chatd.cluster.ordering import LineOrder
from chatd.cluster.store import apply_shared, line_json, line_of, load_shared, stream_lines
from chatd.core import events
from chatd.core.lookalike import lookalike_key
from chatd.core.peers import (
    RECONNECTING,
    TAKEN,
    UNREACHABLE,
    Arrived,
    Departed,
    Fact,
    Renamed,
    TopicChanged,
    is_remote,
)
from chatd.core.store import RoomRecord, StoredLine, Topic

if TYPE_CHECKING:
    from chatd.core.hub import Hub
    from chatd.core.session import Session

#: Lines kept in each room's stream (about: trimmed with MAXLEN ~).
STREAM_LINES = 10_000
#: The channels as pub/sub messages name them.
_LINES, _FACTS = scripts.LINES.encode(), scripts.FACTS.encode()


def new_node_name() -> str:
    """A random node name, for a node started without ``--node-name``."""
    return uuid.uuid4().hex[:8]


class RedisPeers:
    """The other nodes of a cluster, as one node sees them through Redis."""

    log = Logger()

    def __init__(
        self,
        clock: Any,
        link: Link,
        node: str,
        *,
        tail: int = 20,
        lease: float = LEASE,
        renew_every: float = RENEW_EVERY,
    ) -> None:
        self.node = node
        self._clock = clock
        self._link = link
        self._tail = tail
        #: This node's lease, renewed every few seconds.
        self.lease = Lease(
            clock,
            link,
            node,
            seconds=lease,
            renew_every=renew_every,
            lapsed=self._lease_lapsed,
            expiring=self._let_go,
        )
        self.hub: Hub | None = None
        #: Subscribed and caught up: messages are acted on, claims and lines go through.
        self.ready = False
        #: Messages that came while catching up, acted on after.
        self._early: list[tuple[bytes, bytes]] = []
        #: Each room's lines in sequence order, gaps filled from the streams.
        self.order = LineOrder(link, node)
        self._epoch: bytes | None = None
        #: The sweep of other nodes' users, due a lease after Redis came back empty.
        self._sweep: Any = None
        self._syncing = False

    def attach(self, hub: Hub) -> None:
        self.hub = self.order.hub = hub

    # The links' news (wired by chatd.cluster.wiring)

    def start(self) -> None:
        self.lease.start()

    def stop(self) -> None:
        self.lease.stop()
        if self._sweep is not None and self._sweep.active():
            self._sweep.cancel()

    def subscriber_up(self, subscribe: Callable[[list[str]], defer.Deferred[Any]]) -> None:
        """The pub/sub connection is (again) up: subscribe, then catch up."""
        self.ready = False
        channels = [scripts.LINES, scripts.FACTS, scripts.node_channel(self.node)]
        subscribe(channels).addCallbacks(lambda _: self.resync(), self._failed("subscribe"))

    def down(self) -> None:
        """A connection to Redis was lost: refuse until subscribed and caught up again."""
        if self.ready:
            self.log.warn("node {node}: lost Redis, refusing names and lines", node=self.node)
        self.ready = False

    def heard(self, channel: bytes, message: bytes) -> None:
        """A pub/sub message."""
        if not self.ready:
            self._early.append((channel, message))
            return
        try:
            self._act(channel, message)
        except Exception:
            self.log.failure("node {node}: cannot act on a message", node=self.node)

    # Peers

    def claim(self, key: str, done: Callable[[str | None], None]) -> None:
        if not self._can_write():
            done(RECONNECTING)
            return
        args = (lookalike_key(key), self.node)
        self._link.run(scripts.CLAIM, (scripts.NAMES, scripts.NODES), args).addCallbacks(
            lambda won: done(None if int(won) else TAKEN), lambda _: done(RECONNECTING)
        )

    def release(self, key: str) -> None:
        args = (lookalike_key(key), self.node)
        self._link.run(scripts.RELEASE, (scripts.NAMES,), args).addErrback(lambda _: None)

    def publish(self, line: StoredLine, sent: Callable[[StoredLine | None], None]) -> None:
        if not self._can_write():
            sent(None)
            return
        keys = (scripts.sequence(line.room), scripts.stream(line.room), scripts.LINES)
        args = (line.room, line_json(line), STREAM_LINES)
        self._link.run(scripts.PUBLISH, keys, args).addCallbacks(
            lambda seq: sent(replace(line, seq=int(seq))), lambda _: sent(None)
        )

    def tell(self, fact: Fact) -> None:
        if not self._can_write():
            return  # announced again, as it is then, once caught up
        key = fact.old if isinstance(fact, Renamed) else getattr(fact, "key", None)
        if isinstance(fact, TopicChanged) or key is None:
            self._publish_fact(fact)
            return
        user = self._user(fact.key if isinstance(fact, Renamed) else key)
        self._present(fact, user, old=fact.old if isinstance(fact, Renamed) else "")

    def deliver(
        self,
        node: str,
        key: str,
        event: events.Event,
        done: Callable[[str | None], None] | None = None,
    ) -> None:
        message = delivery_json(key, event)
        if message is None:
            return
        sent = self._link.call("PUBLISH", scripts.node_channel(node), message)
        if done is None:
            sent.addErrback(self._failed(f"deliver to node {node}"))
        else:  # PUBLISH answers how many heard it: none, if that node is not subscribed
            sent.addCallbacks(
                lambda heard: done(None if int(heard) else UNREACHABLE),
                lambda _: done(RECONNECTING),
            )

    # Messages

    def _act(self, channel: bytes, message: bytes) -> None:
        hub = self.hub
        assert hub is not None
        if channel == _LINES:
            room, seq, data = message.split(b"\n", 2)
            self.order.heard(line_of(room.decode(), int(seq), data))
        elif channel == _FACTS:
            fields = json.loads(message)
            if fields["t"] == "shared":
                if fields["node"] != self.node:
                    apply_shared(hub, fields["table"], fields["key"], fields["value"])
                return
            if fields.get("node") == self.node:
                if fields["t"] == "departed" and self._user(fields["key"]) is not None:
                    self.log.warn("node {node} was buried: announcing again", node=self.node)
                    self.resync()
                return
            fact = fact_of(fields)
            if fact is not None:
                apply_fact(hub, fact)
        else:
            apply_delivery(hub, json.loads(message))

    # Catching up

    def resync(self) -> None:
        """Read what Redis knows afresh, announce this node's users again, fill every gap."""
        if self._syncing:
            return
        self._syncing = True
        self.ready = False
        d = defer.ensureDeferred(self._resync())
        d.addErrback(self._failed("catch up"))

    async def _resync(self) -> None:
        hub = self.hub
        assert hub is not None
        link = self._link
        try:
            await link.call("SET", scripts.EPOCH, uuid.uuid4().hex, "NX")
            epoch = await link.call("GET", scripts.EPOCH)
            lost_data = self._epoch is not None and epoch != self._epoch
            await load_shared(link, hub)  # accounts and bans first: names are claimed next
            self._epoch = epoch
            for made in (hub.rooms.lobby, *hub.rooms.occupied()):  # made while disconnected
                await link.call("HSETNX", scripts.ROOMS, made.key, made.name)
            names = await link.call("HGETALL", scripts.ROOMS)
            topics = dict(_pairs(await link.call("HGETALL", scripts.TOPICS)))
            for key, name in _pairs(names):
                room_key = key.decode()
                seq = int(await link.call("GET", scripts.sequence(room_key)) or 0)
                room = hub.rooms.get(name.decode())
                topic = topics.get(key)
                if room is None or (not room.members and room.last_seq == 0):
                    tail = await link.call(
                        "XREVRANGE", scripts.stream(room_key), "+", "-", "COUNT", self._tail
                    )
                    record = RoomRecord(room_key, name.decode(), seq, _topic(topic))
                    record.tail = stream_lines(room_key, list(reversed(tail)))
                    hub.remote.restore(record)
                    continue
                if topic is not None:
                    room.topic = _topic(topic)
                if lost_data or seq < room.last_seq:  # Redis lost lines: number on from ours
                    keys, floor = (scripts.sequence(room_key),), (room.last_seq,)
                    seq = int(await link.run(scripts.RESEQUENCE, keys, floor))
                    self.order.forget(room_key)
                    if room.members:
                        hub.remote.lost(room_key, room.last_seq)
                if seq > room.last_seq:
                    self.order.fill(room_key, seq)
            await self._reassert(hub)
            if lost_data:  # the other nodes have yet to announce their users again: wait for them
                self._sweep = self._clock.callLater(self.lease.seconds, self._sweep_later)
            else:
                await self._mirror(hub)
        finally:
            self._syncing = False
        self.ready = True
        self.log.info("node {node}: caught up with the cluster", node=self.node)
        early, self._early = self._early, []
        for channel, message in early:
            self.heard(channel, message)

    async def _mirror(self, hub: Hub) -> None:
        """Mirror the users of other nodes as Redis lists them: those it no longer lists left (or
        their node was buried) while this node was away."""
        users = _pairs(await self._link.call("HGETALL", scripts.USERS))
        online = {key.decode(): json.loads(record) for key, record in users}
        for session in hub.remote.mirrored():
            if session.key not in online or online[session.key]["node"] != _node_of(session):
                hub.remote.departed(Departed(session.key or ""))
        for key, record in online.items():
            if record["node"] != self.node:
                fact = Arrived(record["node"], key, record["name"], tuple(record["rooms"]))
                hub.remote.arrived(fact)

    def _sweep_later(self) -> None:
        """Mirror the other nodes' users, a lease after Redis came back without them: by then
        every live node has announced its users again, and those still missing are gone."""
        self._sweep = None
        if self.hub is not None and self._can_write():
            defer.ensureDeferred(self._mirror(self.hub)).addErrback(self._failed("catch up"))

    async def _reassert(self, hub: Hub) -> None:
        """Claim every name of this node again, and announce its users: a name another node
        took meanwhile is not held twice, its user here is disconnected.

        Users Redis still lists for this node but it does not have (it was restarted under the
        same name, or they left while Redis was away) are announced gone, their names freed.
        """
        await self._link.run(scripts.RENEW, RENEW_KEYS, self.lease.args)
        here = {session.key for session in hub.remote.local()}
        for raw in await self._link.call("SMEMBERS", scripts.node_users(self.node)):
            key = raw.decode()
            if key not in here:
                self.release(key)
                self._present(Departed(key), None)
        for session in hub.remote.local():
            key = session.key
            assert key is not None
            won = await self._link.run(
                scripts.CLAIM, (scripts.NAMES, scripts.NODES), (lookalike_key(key), self.node)
            )
            if not int(won):
                self.log.warn("{name} was taken elsewhere meanwhile", name=session.name)
                hub.remove(
                    session,
                    events.Refused("your name was taken while the chat reconnected", "name_lost"),
                    how="name lost while reconnecting",
                )
                continue
            rooms = tuple(room.name for room in session.rooms)
            self._present(Arrived(self.node, key, session.username(), rooms), session)

    def _lease_lapsed(self) -> None:
        """A renewal found the lease had run out: this node was buried, announce its users again."""
        if self.ready and self.hub and self.hub.remote.local():
            self.log.warn("node {node}: lease had run out, announcing again", node=self.node)
            self.resync()

    def _let_go(self, seconds: float) -> None:
        """Disconnect this node's users: its lease, not renewed for ``seconds``, is about to run
        out, after which another node may give their names to someone else (see
        :mod:`chatd.cluster.lease`)."""
        hub = self.hub
        users = hub.remote.local() if hub is not None else []
        if hub is None or not users:
            return
        self.log.warn(
            "node {node}: no lease for {seconds:.0f} s, disconnecting {count} users",
            node=self.node,
            seconds=seconds,
            count=len(users),
        )
        for session in users:
            hub.remove(
                session,
                events.Refused(LEASE_LOST, "reconnecting"),
                how="the node's lease ran out",
            )

    # Internals

    def _can_write(self) -> bool:
        """Whether claims, lines and news can go to Redis now: the commands' connection is up,
        and this node has caught up once.  A pub/sub connection that is being made again does
        not stop them: what it missed meanwhile is read from the streams once it is back."""
        return self._link.up and self._epoch is not None

    def _user(self, key: str) -> Session | None:
        """The user of this node with key ``key``."""
        hub = self.hub
        assert hub is not None
        session = hub.find_user(key)
        return session if session is not None and not is_remote(session) else None

    def _present(self, fact: Fact, user: Session | None, old: str = "") -> None:
        """Keep ``user``'s record (none: they are gone) and publish ``fact``."""
        key = user.key if user is not None else getattr(fact, "key", "")
        record = ""
        if user is not None and user.name is not None:
            rooms = [room.name for room in user.rooms]
            record = json.dumps({"node": self.node, "name": user.name, "rooms": rooms})
        keys = (scripts.USERS, scripts.node_users(self.node), scripts.FACTS)
        args = (key, record, fact_json(self.node, fact), old)
        self._link.run(scripts.PRESENCE, keys, args).addErrback(self._failed("announce"))

    def _publish_fact(self, fact: Fact) -> None:
        self._link.call("PUBLISH", scripts.FACTS, fact_json(self.node, fact)).addErrback(
            self._failed("announce")
        )

    def _failed(self, what: str) -> Callable[[Any], None]:
        def failed(failure: Any) -> None:
            self.log.warn(
                "node {node}: cannot {what}: {why}",
                node=self.node,
                what=what,
                why=failure.getErrorMessage(),
            )

        return failed


def _pairs(flat: list[Any]) -> list[tuple[Any, Any]]:
    """The field-value pairs of an HGETALL reply."""
    return list(zip(flat[::2], flat[1::2], strict=True))


def _topic(raw: bytes | None) -> Topic | None:
    if raw is None:
        return None
    fields = json.loads(raw)
    return Topic(fields["text"], fields["setter"], fields["at"])


def _node_of(session: Session) -> str:
    return str(getattr(session.client, "node", ""))
