"""The store of a clustered node: rooms, topics and history in Redis, shared by every node.

History is each room's capped stream (see :mod:`chatd.cluster.scripts`), written by the script
that numbers a line, so any node can serve ``/history``; its durability is Redis's (run it with
``appendonly yes``).  Rooms and topics are Redis hashes.  What is read at start-up comes from
:meth:`chatd.cluster.node.RedisPeers.resync` once connected, so :meth:`RedisStore.load` has
nothing to give.  Accounts, bans and mutes are kept by ``local`` (the ``--db`` store).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from twisted.logger import Logger

from chatd.cluster import scripts
from chatd.cluster.link import Link
from chatd.cluster.node import stream_lines
from chatd.core.store import Account, Ban, Mute, RoomRecord, Store, StoredLine, Topic

log = Logger()


class RedisStore:
    """Rooms, topics and history in Redis; accounts, bans and mutes in ``local``."""

    def __init__(self, link: Link, local: Store) -> None:
        self._link = link
        self._local = local

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
        self._local.close(closed)

    def load_accounts(self) -> list[Account]:
        return self._local.load_accounts()

    def put_account(self, account: Account) -> None:
        self._local.put_account(account)

    def delete_account(self, key: str) -> None:
        self._local.delete_account(key)

    def load_bans(self) -> list[Ban]:
        return self._local.load_bans()

    def put_ban(self, ban: Ban) -> None:
        self._local.put_ban(ban)

    def delete_ban(self, target: str) -> None:
        self._local.delete_ban(target)

    def load_mutes(self) -> list[Mute]:
        return self._local.load_mutes()

    def put_mute(self, mute: Mute) -> None:
        self._local.put_mute(mute)

    def delete_mute(self, key: str) -> None:
        self._local.delete_mute(key)

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
