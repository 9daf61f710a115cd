"""A Redis server in this process, for deterministic tests of :mod:`chatd.cluster`.

In the style of Synapse's fake Redis pub/sub server: one :class:`FakeRedis` holds the data and
the channels, and each node's connections are :class:`FakeLink` objects on it.  It knows the
commands chatd sends and runs chatd's Lua scripts as Python functions of the same meaning (the
real scripts run against a real ``redis-server`` in ``tests/e2e/test_cluster.py``).

A test can take a connection down (:meth:`FakeLink.drop`, :meth:`FakeLink.restore`), hold the
published messages to lose or reorder them (:attr:`FakeRedis.held`), or lose data
(:meth:`FakeRedis.flush`, :meth:`FakeRedis.trim`).  Time is the clock the test gives.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from twisted.internet import defer

from chatd.cluster.link import LinkDown
from chatd.cluster.scripts import Script


class FakeRedis:
    """The data and channels of one Redis server."""

    def __init__(self, clock: Any) -> None:
        self.clock = clock
        self.strings: dict[str, bytes] = {}
        self.hashes: dict[str, dict[bytes, bytes]] = {}
        self.sets: dict[str, set[bytes]] = {}
        self.zsets: dict[str, dict[bytes, float]] = {}
        self.streams: dict[str, list[tuple[int, bytes]]] = {}
        self.subscribers: dict[str, list[FakeLink]] = {}
        #: None: messages are delivered as published; a list: they are kept here instead, for
        #: the test to deliver (:meth:`release`), reorder or lose.
        self.held: list[tuple[str, bytes]] | None = None
        self.commands = 0

    # Test controls

    def flush(self) -> None:
        """Lose everything (a Redis restarted without its data)."""
        for table in (self.strings, self.hashes, self.sets, self.zsets, self.streams):
            table.clear()

    def trim(self, stream: str, keep: int) -> None:
        self.streams[stream] = self.streams.get(stream, [])[-keep:] if keep else []

    def release(self, messages: Sequence[tuple[str, bytes]] | None = None) -> None:
        """Deliver ``messages`` (all held ones by default) and stop holding."""
        held, self.held = self.held or [], None
        for channel, message in held if messages is None else messages:
            self._deliver(channel, message)

    # Commands

    def command(self, link: FakeLink, args: Sequence[Any]) -> Any:
        self.commands += 1
        name, *rest = args
        words = [_bytes(arg) for arg in rest]
        return getattr(self, "_" + str(name).lower())(*words)

    def _set(self, key: bytes, value: bytes, *flags: bytes) -> bytes | None:
        if b"NX" in flags and key.decode() in self.strings:
            return None
        self.strings[key.decode()] = value
        return b"OK"

    def _get(self, key: bytes) -> bytes | None:
        return self.strings.get(key.decode())

    def _hgetall(self, key: bytes) -> list[bytes]:
        return [part for pair in self.hashes.get(key.decode(), {}).items() for part in pair]

    def _hsetnx(self, key: bytes, field: bytes, value: bytes) -> int:
        table = self.hashes.setdefault(key.decode(), {})
        if field in table:
            return 0
        table[field] = value
        return 1

    def _hset(self, key: bytes, field: bytes, value: bytes) -> int:
        self.hashes.setdefault(key.decode(), {})[field] = value
        return 1

    def _hdel(self, key: bytes, field: bytes) -> int:
        return int(self.hashes.get(key.decode(), {}).pop(field, None) is not None)

    def _smembers(self, key: bytes) -> list[bytes]:
        return sorted(self.sets.get(key.decode(), set()))

    def _xrange(self, key: bytes, first: bytes, last: bytes, *count: bytes) -> list[Any]:
        low, high = _bound(first, 0), _bound(last, 2**62)
        entries = [e for e in self.streams.get(key.decode(), []) if low <= e[0] <= high]
        if count:
            entries = entries[: int(count[1])]
        return [[f"{seq}-0".encode(), [b"d", data]] for seq, data in entries]

    def _xrevrange(self, key: bytes, last: bytes, first: bytes, *count: bytes) -> list[Any]:
        low, high = _bound(first, 0), _bound(last, 2**62)
        entries = [e for e in self.streams.get(key.decode(), []) if low <= e[0] <= high][::-1]
        if count:
            entries = entries[: int(count[1])]
        return [[f"{seq}-0".encode(), [b"d", data]] for seq, data in entries]

    def _publish(self, channel: bytes, message: bytes) -> int:
        return self.publish(channel.decode(), message)

    def publish(self, channel: str, message: bytes) -> int:
        if self.held is not None:
            self.held.append((channel, message))
            return len(self.subscribers.get(channel, []))
        return self._deliver(channel, message)

    def _deliver(self, channel: str, message: bytes) -> int:
        listeners = [link for link in self.subscribers.get(channel, []) if link.up]
        for link in listeners:
            link.on_message(channel.encode(), message)
        return len(listeners)

    # The scripts, as Python

    def script(self, script: Script, keys: Sequence[str], args: Sequence[Any]) -> Any:
        self.commands += 1
        return getattr(self, "_script_" + script.name)(keys, [_bytes(arg) for arg in args])

    def _now(self) -> int:
        return int(self.clock.seconds() * 1000)

    def _script_publish(self, keys: Sequence[str], args: list[bytes]) -> int:
        seq = int(self.strings.get(keys[0], b"0")) + 1
        self.strings[keys[0]] = str(seq).encode()
        self.streams.setdefault(keys[1], []).append((seq, args[1]))
        self.publish(keys[2], args[0] + b"\n" + str(seq).encode() + b"\n" + args[1])
        return seq

    def _script_resequence(self, keys: Sequence[str], args: list[bytes]) -> int:
        seq = max(int(self.strings.get(keys[0], b"0")), int(args[0]))
        self.strings[keys[0]] = str(seq).encode()
        return seq

    def _script_claim(self, keys: Sequence[str], args: list[bytes]) -> int:
        names = self.hashes.setdefault(keys[0], {})
        holder = names.get(args[0])
        if holder is not None and holder != args[1]:
            lease = self.zsets.get(keys[1], {}).get(holder)
            if lease is not None and lease > self._now():
                return 0
        names[args[0]] = args[1]
        return 1

    def _script_release(self, keys: Sequence[str], args: list[bytes]) -> int:
        names = self.hashes.setdefault(keys[0], {})
        if names.get(args[0]) == args[1]:
            del names[args[0]]
        return 1

    def _script_presence(self, keys: Sequence[str], args: list[bytes]) -> int:
        users = self.hashes.setdefault(keys[0], {})
        members = self.sets.setdefault(keys[1], set())
        key, record, fact, old = args
        if old:
            users.pop(old, None)
            members.discard(old)
        if not record:
            users.pop(key, None)
            members.discard(key)
        else:
            users[key] = record
            members.add(key)
        self.publish(keys[2], fact)
        return 1

    def _script_renew(self, keys: Sequence[str], args: list[bytes]) -> int:
        now = self._now()
        nodes = self.zsets.setdefault(keys[0], {})
        lease = nodes.get(args[0])
        alive = int(lease is not None and lease > now)
        nodes[args[0]] = now + int(args[1])
        for node in [node for node, lease in nodes.items() if lease <= now]:
            del nodes[node]
            members = self.sets.pop(args[2].decode() + "node-users:" + node.decode(), set())
            for key in sorted(members):
                self.hashes.setdefault(keys[1], {}).pop(key, None)
                fact = {"t": "departed", "node": node.decode(), "key": key.decode()}
                self.publish(keys[2], json.dumps(fact).encode())
        return alive


class FakeLink:
    """One connection to a :class:`FakeRedis`: answers at once, or fails while down."""

    def __init__(
        self,
        server: FakeRedis,
        *,
        on_up: Callable[[], None] = lambda: None,
        on_down: Callable[[], None] = lambda: None,
        on_message: Callable[[bytes, bytes], None] = lambda channel, message: None,
    ) -> None:
        self.server = server
        self.on_up, self.on_down, self.on_message = on_up, on_down, on_message
        self.up = False

    def start(self) -> None:
        self.restore()

    def drop(self) -> None:
        """The connection is lost (its subscriptions with it)."""
        if self.up:
            self.up = False
            for links in self.server.subscribers.values():
                if self in links:
                    links.remove(self)
            self.on_down()

    def restore(self) -> None:
        """The connection is made again."""
        if not self.up:
            self.up = True
            self.on_up()

    def call(self, *args: Any) -> defer.Deferred[Any]:
        if not self.up:
            return defer.fail(LinkDown("fake redis is down"))
        return defer.succeed(self.server.command(self, args))

    def run(self, script: Script, keys: Sequence[str], args: Sequence[Any]) -> defer.Deferred[Any]:
        if not self.up:
            return defer.fail(LinkDown("fake redis is down"))
        return defer.succeed(self.server.script(script, keys, args))

    def subscribe(self, channels: Sequence[str]) -> defer.Deferred[Any]:
        if not self.up:
            return defer.fail(LinkDown("fake redis is down"))
        for channel in channels:
            self.server.subscribers.setdefault(channel, []).append(self)
        return defer.succeed(None)


def _bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


def _bound(text: bytes, default: int) -> int:
    if text in (b"-", b"+"):
        return default
    return int(text.split(b"-")[0])
