"""The store seam: what must outlive the process (history, topics, sequences, accounts, bans).

The hub talks to a :class:`Store`; it never knows which one it has.  :class:`MemoryStore` keeps
everything in this process (``--db :memory:`` and the unit tests); the SQLite store in
:mod:`chatd.store.sqlite` writes to disk off the reactor thread; a Redis one will share a chat
between nodes.  The same scenarios run against each.

**Work that finishes later.**  Some answers come back after the call that asked for them: a line
is durable only once a batch has been committed, older history is read on another thread, and with
Redis a line's sequence number comes from the server.  The hub is synchronous and imports nothing
from ``twisted.internet``, so the seam does not hand out Deferreds: a call that finishes later
takes a callback, which the store calls on the reactor thread, exactly once, possibly before the
call returns (the memory store does).  The hub is written so that either order is correct.

**Accounts, bans and mutes** are few and read far more often than written (every login, every
connection's ban check), so the hub keeps them all in memory: the store hands them over once, at
start-up (``load_accounts``, ``load_bans``, ``load_mutes``, called before :meth:`Store.load`),
and is told of each change after that, without an answer to wait for.

**Sequence numbers** belong to the hub's side of the seam for a single node: :meth:`Store.load`
says where each room's sequence stands, and the hub numbers each new line from there.  A store
must remember the highest number it was given for a room even after retention has deleted every
line of it, so that a number is never used twice, across restarts and purges alike.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(slots=True)
class StoredLine:
    """A chat or action line as it is kept: the room's key, its sequence number, and the line.

    Not frozen, though nothing changes one once made: one is made per line said (see
    :class:`chatd.core.events.Said`).
    """

    room: str
    seq: int
    at: float
    name: str
    text: str
    action: bool = False


@dataclass(frozen=True, slots=True)
class Topic:
    """A room's topic, who set it and when."""

    text: str
    setter: str
    at: float


@dataclass(slots=True)
class RoomRecord:
    """What a store knows of a room when the hub starts: enough to serve it at once."""

    key: str
    #: The name as first created (``#Dev``), shown to everyone.
    name: str
    #: The highest sequence number ever given to a line of this room (0: none yet).
    last_seq: int = 0
    topic: Topic | None = None
    #: The newest lines, oldest first, at most as many as :meth:`Store.load` was asked for.
    tail: list[StoredLine] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Account:
    """A registered name: its key (see :func:`chatd.core.names.name_key`), the name as
    registered, the password's hash (see :mod:`chatd.passwords`) and when it was registered."""

    key: str
    name: str
    password_hash: str
    created_at: float


@dataclass(frozen=True, slots=True)
class Ban:
    """A ban: of a name (``target`` is its key) or of addresses (``target`` is a network, such as
    ``203.0.113.7/32``).  A name's ban also holds the ``address`` its user had when banned.

    ``expires`` is None for a permanent ban.
    """

    target: str
    shown: str
    set_by: str
    set_at: float
    expires: float | None = None
    reason: str | None = None
    address: str | None = None

    @property
    def of_name(self) -> bool:
        return "/" not in self.target


@dataclass(frozen=True, slots=True)
class Mute:
    """A mute of the name whose key is ``key``; ``expires`` is None until lifted by hand."""

    key: str
    name: str
    set_by: str
    set_at: float
    expires: float | None = None


class Store(Protocol):
    """What the hub needs from durable storage.  Every method is called on the reactor thread."""

    def load(self, tail: int) -> list[RoomRecord]:
        """Every room known, each with its newest ``tail`` lines; called once, at start-up."""

    def add_room(self, key: str, name: str) -> None:
        """Remember a room created now, shown as ``name`` from now on (and after a restart)."""

    def append(self, line: StoredLine, durable: Callable[[StoredLine], None]) -> None:
        """Keep ``line``, of a room already added; call ``durable(line)`` once it is safe.

        Safe means it would survive the process being killed.

        Lines are made durable in the order they were appended.  A store that cannot write keeps
        the line and tries again: it never calls ``durable`` for a line it has not stored.
        """

    def set_topic(self, room: str, topic: Topic | None) -> None:
        """Keep room ``room``'s topic, or that it has none."""

    def history(
        self, room: str, before: int, limit: int, found: Callable[[list[StoredLine]], None]
    ) -> None:
        """Call ``found`` with up to ``limit`` lines of ``room`` older than seq ``before``,
        oldest first."""

    def history_after(
        self, room: str, after: int, limit: int, found: Callable[[list[StoredLine]], None]
    ) -> None:
        """Call ``found`` with up to ``limit`` lines of ``room`` newer than seq ``after``,
        oldest first: what a client that saw line ``after`` missed."""

    def close(self, closed: Callable[[], None]) -> None:
        """Write everything appended so far, then call ``closed``; nothing is appended after."""

    def load_accounts(self) -> list[Account]:
        """Every registered account; called once, at start-up, before :meth:`load`."""

    def put_account(self, account: Account) -> None:
        """Keep ``account``, replacing the one with the same key if there is one."""

    def delete_account(self, key: str) -> None:
        """Forget the account with key ``key``."""

    def load_bans(self) -> list[Ban]:
        """Every ban kept (expired ones too); called once, at start-up, before :meth:`load`."""

    def put_ban(self, ban: Ban) -> None:
        """Keep ``ban``, replacing the one with the same target if there is one."""

    def delete_ban(self, target: str) -> None:
        """Forget the ban of ``target``."""

    def load_mutes(self) -> list[Mute]:
        """Every mute kept; called once, at start-up, before :meth:`load`."""

    def put_mute(self, mute: Mute) -> None:
        """Keep ``mute`` (one with an end: a mute until lifted ends with the process)."""

    def delete_mute(self, key: str) -> None:
        """Forget the mute of the name with key ``key``."""


class MemoryStore:
    """A store that keeps what it is given in this process: durable as soon as appended.

    It keeps the newest ``keep`` lines of each room (enough for the longest ``/history``), so a
    server that runs for months on it does not grow with everything ever said.
    """

    def __init__(self, keep: int = 500) -> None:
        self._keep = keep
        self._rooms: dict[str, RoomRecord] = {}
        self._lines: dict[str, deque[StoredLine]] = {}
        self._accounts: dict[str, Account] = {}
        self._bans: dict[str, Ban] = {}
        self._mutes: dict[str, Mute] = {}

    def load(self, tail: int) -> list[RoomRecord]:
        return [
            RoomRecord(
                record.key,
                record.name,
                record.last_seq,
                record.topic,
                list(self._lines.get(record.key, ()))[-tail:] if tail else [],
            )
            for record in self._rooms.values()
        ]

    def add_room(self, key: str, name: str) -> None:
        self._rooms.setdefault(key, RoomRecord(key, name))

    def append(self, line: StoredLine, durable: Callable[[StoredLine], None]) -> None:
        record = self._rooms[line.room]
        record.last_seq = max(record.last_seq, line.seq)
        lines = self._lines.get(line.room)
        if lines is None:
            lines = self._lines[line.room] = deque(maxlen=self._keep)
        lines.append(line)
        durable(line)

    def set_topic(self, room: str, topic: Topic | None) -> None:
        self._rooms[room].topic = topic

    def history(
        self, room: str, before: int, limit: int, found: Callable[[list[StoredLine]], None]
    ) -> None:
        older = [line for line in self._lines.get(room, ()) if line.seq < before]
        found(older[-limit:] if limit else [])

    def history_after(
        self, room: str, after: int, limit: int, found: Callable[[list[StoredLine]], None]
    ) -> None:
        newer = [line for line in self._lines.get(room, ()) if line.seq > after]
        found(newer[:limit])

    def close(self, closed: Callable[[], None]) -> None:
        closed()

    def load_accounts(self) -> list[Account]:
        return list(self._accounts.values())

    def put_account(self, account: Account) -> None:
        self._accounts[account.key] = account

    def delete_account(self, key: str) -> None:
        self._accounts.pop(key, None)

    def load_bans(self) -> list[Ban]:
        return list(self._bans.values())

    def put_ban(self, ban: Ban) -> None:
        self._bans[ban.target] = ban

    def delete_ban(self, target: str) -> None:
        self._bans.pop(target, None)

    def load_mutes(self) -> list[Mute]:
        return list(self._mutes.values())

    def put_mute(self, mute: Mute) -> None:
        self._mutes[mute.key] = mute

    def delete_mute(self, key: str) -> None:
        self._mutes.pop(key, None)
