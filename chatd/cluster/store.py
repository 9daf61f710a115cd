"""The store of a clustered node: rooms, topics and history in Redis, shared by every node.

History is each room's capped stream (see :mod:`chatd.cluster.scripts`), written by the script
that numbers a line, so any node can serve ``/history``; its durability is Redis's (run it with
``appendonly yes``).  Rooms and topics are Redis hashes.  What is read at start-up comes from
:meth:`chatd.cluster.node.RedisPeers.resync` once connected, so :meth:`RedisStore.load` has
nothing to give.

Accounts, bans and mutes are Redis hashes too, and each change is also published on the facts
channel, so that every node's hub, which keeps them all in memory (see :mod:`chatd.core.store`),
learns it at once (:func:`apply_shared`); a node that (re)connects reads them all afresh
(:func:`load_shared`).  A mute until lifted is kept by no store, Redis included: it travels as a
fact (:class:`~chatd.core.peers.MuteChanged`), and a node that (re)connects announces those it
holds and asks the others for theirs, so it lasts while any node holds it, until lifted.
A clustered node keeps nothing on its own disk: ``--db`` is not opened.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from twisted.logger import Logger

from chatd.cluster import scripts
from chatd.cluster.facts import fact_json
from chatd.cluster.link import Link
from chatd.core.peers import MuteChanged, MutesAsked
from chatd.core.store import Account, Ban, Mute, RoomRecord, StoredLine, Topic

if TYPE_CHECKING:
    from chatd.core.hub import Hub

log = Logger()

#: The hashes of the accounts, bans and mutes, which every node keeps in memory.
ACCOUNTS, BANS, MUTES = (
    scripts.PREFIX + "accounts",
    scripts.PREFIX + "bans",
    scripts.PREFIX + "mutes",
)


def line_json(line: StoredLine) -> str:
    return json.dumps({"at": line.at, "name": line.name, "text": line.text, "action": line.action})


def line_of(room: str, seq: int, data: bytes | str) -> StoredLine:
    fields = json.loads(data)
    return StoredLine(room, seq, fields["at"], fields["name"], fields["text"], fields["action"])


def stream_lines(room: str, entries: list[Any]) -> list[StoredLine]:
    """The lines of an XRANGE reply (``[[b"SEQ-0", [b"d", JSON]], ...]``)."""
    return [line_of(room, int(entry_id.split(b"-")[0]), fields[1]) for entry_id, fields in entries]


class RedisStore:
    """Rooms, topics, history, accounts, bans and timed mutes in Redis."""

    def __init__(self, link: Link, node: str) -> None:
        self._link = link
        self._node = node

    def load(self, tail: int) -> list[RoomRecord]:
        return []  # read from Redis once connected (RedisPeers.resync)

    def add_room(self, key: str, name: str) -> None:
        self._write("HSETNX", scripts.ROOMS, key, name)

    def append(self, line: StoredLine, durable: Callable[[StoredLine], None]) -> None:
        raise RuntimeError("a clustered hub publishes lines through its peers, not its store")

    def set_topic(self, room: str, topic: Topic | None) -> None:
        if topic is None:
            self._write("HDEL", scripts.TOPICS, room)
        else:
            value = {"text": topic.text, "setter": topic.setter, "at": topic.at}
            self._write("HSET", scripts.TOPICS, room, json.dumps(value))

    def history(
        self, room: str, before: int, limit: int, found: Callable[[list[StoredLine]], None]
    ) -> None:
        if before <= 1 or limit <= 0:
            found([])
            return
        reply = self._link.call(
            "XREVRANGE", scripts.stream(room), f"{before - 1}-0", "-", "COUNT", limit
        )
        reply.addCallback(lambda entries: list(reversed(entries)))
        self._answer(reply, room, found)

    def history_after(
        self, room: str, after: int, limit: int, found: Callable[[list[StoredLine]], None]
    ) -> None:
        if limit <= 0:
            found([])
            return
        stream = scripts.stream(room)
        reply = self._link.call("XRANGE", stream, f"{after + 1}-0", "+", "COUNT", limit)
        self._answer(reply, room, found)

    def close(self, closed: Callable[[], None]) -> None:
        closed()  # nothing of its own to close: the links close with the node (see wiring)

    def load_accounts(self) -> list[Account]:
        return []  # read from Redis once connected (load_shared)

    def put_account(self, account: Account) -> None:
        self._share(ACCOUNTS, account.key, asdict(account))

    def delete_account(self, key: str) -> None:
        self._share(ACCOUNTS, key, None)

    def load_bans(self) -> list[Ban]:
        return []

    def put_ban(self, ban: Ban) -> None:
        self._share(BANS, ban.target, asdict(ban))

    def delete_ban(self, target: str) -> None:
        self._share(BANS, target, None)

    def load_mutes(self) -> list[Mute]:
        return []

    def put_mute(self, mute: Mute) -> None:
        self._share(MUTES, mute.key, asdict(mute))

    def delete_mute(self, key: str) -> None:
        self._share(MUTES, key, None)

    def _share(self, table: str, key: str, value: dict[str, Any] | None) -> None:
        """Keep (or delete) ``key`` of ``table`` and tell every node."""
        if value is None:
            self._write("HDEL", table, key)
        else:
            self._write("HSET", table, key, json.dumps(value))
        fact = {"t": "shared", "node": self._node, "table": table, "key": key, "value": value}
        self._write("PUBLISH", scripts.FACTS, json.dumps(fact))

    def _write(self, *command: Any) -> None:
        self._link.call(*command).addErrback(
            lambda failure: log.warn("cannot write to redis: {why}", why=failure.getErrorMessage())
        )

    def _answer(self, reply: Any, room: str, found: Callable[[list[StoredLine]], None]) -> None:
        def failed(failure: Any) -> list[Any]:
            log.warn(
                "cannot read the history of {room}: {why}", room=room, why=failure.getErrorMessage()
            )
            return []

        reply.addErrback(failed).addCallback(lambda entries: found(stream_lines(room, entries)))


def apply_shared(hub: Hub, table: str, key: str, value: dict[str, Any] | None) -> None:
    """Bring ``hub`` up to date with a change of an account, ban or mute made elsewhere."""
    if table == ACCOUNTS:
        if value is None:
            hub.accounts.book.forgot(key)
        else:
            hub.accounts.book.learned(Account(**value))
    elif table == BANS:
        if value is None:
            hub.moderation.forgot_ban(key)
        else:
            hub.moderation.learned_ban(Ban(**value))
    elif table == MUTES:
        if value is None:
            hub.moderation.forgot_mute(key)
        else:
            hub.moderation.learned_mute(Mute(**value))


async def load_shared(link: Link, hub: Hub) -> None:
    """Read every account, ban and mute afresh, and make ``hub``'s the same."""
    kept = {
        table: {
            key.decode(): json.loads(value)
            for key, value in _pairs(await link.call("HGETALL", table))
        }
        for table in (ACCOUNTS, BANS, MUTES)
    }
    book = hub.accounts.book
    had: dict[str, dict[str, dict[str, Any]]] = {
        ACCOUNTS: {key: asdict(account) for key in book.keys() if (account := book.exact(key))},
        BANS: {ban.target: asdict(ban) for ban in hub.moderation.bans()},
        MUTES: {m.key: asdict(m) for m in hub.moderation.mutes() if m.expires is not None},
    }
    for table, values in kept.items():
        for key in set(had[table]) - set(values):
            apply_shared(hub, table, key, None)
        for key, value in values.items():
            if had[table].get(key) != value:
                apply_shared(hub, table, key, value)
    # Mutes until lifted are in no table: this node says which it holds, and asks for the others'.
    node = hub.remote.peers.node if hub.remote.peers is not None else ""
    for mute in hub.moderation.mutes():
        if mute.expires is None:
            await link.call("PUBLISH", scripts.FACTS, fact_json(node, MuteChanged(mute, True)))
    await link.call("PUBLISH", scripts.FACTS, fact_json(node, MutesAsked()))


def _pairs(flat: list[Any]) -> list[tuple[Any, Any]]:
    return list(zip(flat[::2], flat[1::2], strict=True))
