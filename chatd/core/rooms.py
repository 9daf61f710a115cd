"""Rooms: which rooms exist, who is in each, what each has said, and its topic.

Every user starts in :data:`~chatd.core.events.LOBBY` and may join others; one of their rooms is
current, and plain lines go there.  A session's rooms are a tuple, most recently current last, so
that the room to return to after ``/part`` is the one before it; the tuple of a user who is only
in the lobby is one shared object, since that is almost everyone.

Lines get their sequence number here, from the room's last one, and go to the store, which says
later when each is durable (see :mod:`chatd.core.store`); a room keeps its newest lines in memory
for the replay a newcomer gets, so joining never waits on the disk.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from chatd.core import events
from chatd.core.errors import ChatError, NameRefused
from chatd.core.names import check_name, name_key
from chatd.core.peers import (
    RECONNECTING,
    RECONNECTING_LINE,
    RECONNECTING_NAME,
    Entered,
    Exited,
    Peers,
    TopicChanged,
)
from chatd.core.store import RoomRecord, Store, StoredLine, Topic

if TYPE_CHECKING:
    from chatd.core.session import Session

#: Longest topic, in characters.
MAX_TOPIC_LENGTH = 300
#: Lines ``/history`` shows without a count, and at most.
HISTORY_DEFAULT, HISTORY_MOST = 50, 500


class RoomRefused(ChatError):
    """A room command could not be done; the message says why."""

    code = "room_refused"


def check_room_name(name: str) -> str:
    """The key of room name ``name`` (``#`` and 1 to 24 characters under the username rules)."""
    if not name.startswith("#"):
        raise RoomRefused("invalid room name: a room name starts with #", "room_invalid")
    try:
        return "#" + check_name(name[1:], what="room name", reserved=False)
    except NameRefused as refusal:
        raise RoomRefused(f"invalid room name: {refusal}", "room_invalid") from None


class Room:
    """One room: its members in the order they came, its topic, sequence and newest lines."""

    __slots__ = ("key", "last_seq", "members", "name", "tail", "topic")

    def __init__(self, record: RoomRecord, tail_size: int) -> None:
        self.key = record.key
        #: The name as first created, shown to everyone.
        self.name = record.name
        self.members: dict[Session, None] = {}
        self.topic: Topic | None = record.topic
        self.last_seq = record.last_seq
        self.tail: deque[StoredLine] = deque(record.tail, maxlen=tail_size)

    def names(self) -> tuple[str, ...]:
        """The members' names, sorted without regard to case."""
        return tuple(sorted((session.username() for session in self.members), key=name_key))

    def __repr__(self) -> str:
        return f"<Room {self.name} ({len(self.members)})>"


def spoken(line: StoredLine, room: str) -> events.Spoken:
    """The event for a stored line of ``room``."""
    kind = events.Acted if line.action else events.Said
    return kind(line.name, line.text, line.at, room, line.seq)


class Rooms:
    """Every room of a hub, the memberships, and the room commands' effects."""

    def __init__(
        self,
        store: Store,
        tail_size: int,
        max_rooms: int,
        max_rooms_per_user: int,
        broadcast: Callable[[events.Event, Session | None, Room | frozenset[Room]], None],
        before_change: Callable[[Session], None],
        is_today: Callable[[float], bool],
        peers: Peers | None = None,
    ) -> None:
        self._store = store
        #: The other nodes, which number lines and hear of memberships (None: a single node).
        self._peers = peers
        self._tail_size = tail_size
        self._max_rooms = max_rooms
        self._max_per_user = max_rooms_per_user
        #: The hub's broadcast: event, who not to tell, and the scope (a room, or a set of them).
        self._broadcast = broadcast
        #: Called before a session's rooms change, so that what it was owed is delivered first.
        self._before_change = before_change
        self._is_today = is_today
        self._rooms: dict[str, Room] = {
            record.key: Room(record, tail_size) for record in store.load(tail_size)
        }
        lobby_key = check_room_name(events.LOBBY)
        if lobby_key not in self._rooms:
            store.add_room(lobby_key, events.LOBBY)
            self._rooms[lobby_key] = Room(RoomRecord(lobby_key, events.LOBBY), tail_size)
        self.lobby = self._rooms[lobby_key]
        #: The rooms of a user who is only in the lobby: one tuple for all of them.
        self.lobby_only: tuple[Room, ...] = (self.lobby,)
        #: Rooms with members: what --max-rooms counts.
        self._active = 0

    def set_limits(self, max_rooms: int, max_rooms_per_user: int) -> None:
        """New room limits: for the next room made or joined; nobody is taken out of one."""
        self._max_rooms, self._max_per_user = max_rooms, max_rooms_per_user

    # Queries

    def get(self, name: str) -> Room | None:
        """The room called ``name`` (compared by key), or None if there is no such room."""
        try:
            return self._rooms.get(check_room_name(name))
        except RoomRefused:
            return None

    def member_room(self, session: Session, name: str | None) -> Room:
        """Room ``name`` of ``session``'s rooms (its current room for None), or refuse."""
        if name is None:
            return session.rooms[-1]
        room = self.get(name)
        if room is None or room not in session.rooms:
            raise RoomRefused(f"you are not in {room.name if room else name}", "not_in_room")
        return room

    def name_of(self, key: str) -> str:
        """The name of the room whose key is ``key``."""
        return self._rooms[key].name

    def listing(self) -> tuple[tuple[str, int], ...]:
        """The rooms with members, and how many, sorted without regard to case."""
        active = (room for room in self._rooms.values() if room.members)
        return tuple((room.name, len(room.members)) for room in sorted(active, key=_by_key))

    def occupied(self) -> list[Room]:
        """The rooms with members."""
        return [room for room in self._rooms.values() if room.members]

    @property
    def active_count(self) -> int:
        return self._active

    def replay(self, room: Room) -> list[events.Replayed]:
        """A newcomer's view of ``room``'s newest lines."""
        return [self.replayed(line, room) for line in room.tail]

    def replayed(self, line: StoredLine, room: Room) -> events.Replayed:
        return events.Replayed(spoken(line, room.name), dated=not self._is_today(line.at))

    def known(self, key: str, name: str | None = None) -> Room:
        """The room with key ``key``, made here if new (another node made it), called ``name``
        (by default its key)."""
        room = self._rooms.get(key)
        if room is None:
            room = self._rooms[key] = Room(RoomRecord(key, name or key), self._tail_size)
        return room

    # Membership

    def add_member(self, session: Session, room: Room) -> None:
        """Put a user of another node in ``room`` (see :mod:`chatd.core.remote`)."""
        self._add(session, room)
        session.rooms = self._interned((*session.rooms, room))

    def remove_member(self, session: Session, room: Room) -> None:
        """Take a user of another node out of ``room``."""
        self._remove(session, room)
        session.rooms = self._interned(tuple(r for r in session.rooms if r is not room))

    def enter_lobby(self, session: Session) -> None:
        """A new user is in the lobby, and it is their current room."""
        self._add(session, self.lobby)
        session.rooms = self.lobby_only

    def join(self, session: Session, name: str) -> None:
        """``/join``: make room ``name`` current, joining (and creating) it if need be."""
        key = check_room_name(name)
        room = self._rooms.get(key)
        if room is not None and room in session.rooms:
            self._before_change(session)
            self._make_current(session, room)
            session.client.deliver(events.NowTalking(room.name, room.names()))
            return
        if len(session.rooms) >= self._max_per_user:
            raise RoomRefused(
                f"you are in too many rooms (limit {self._max_per_user}, --max-rooms-per-user)",
                "too_many_rooms_joined",
            )
        if (room is None or not room.members) and self._active >= self._max_rooms:
            raise RoomRefused(
                f"too many rooms on this server (limit {self._max_rooms})", "too_many_rooms"
            )
        if room is None:
            room = self._rooms[key] = Room(RoomRecord(key, name), self._tail_size)
            self._store.add_room(key, name)
        self._before_change(session)
        self._add(session, room)
        session.rooms = (*session.rooms, room)
        client = session.client
        client.deliver(events.NowTalking(room.name, room.names()))
        if room.topic is not None:
            client.deliver(events.TopicIs(room.name, room.topic.text))
        for line in self.replay(room):
            client.deliver(line)
        self._broadcast(events.RoomJoined(session.username(), room.name), session, room)
        if self._peers is not None:
            self._peers.tell(Entered(_key(session), room.name))

    def part(self, session: Session, name: str | None, reason: str | None) -> None:
        """``/part``: leave room ``name`` (the current one for None)."""
        room = self.member_room(session, name)
        if len(session.rooms) == 1:
            raise RoomRefused("you cannot leave your only room", "only_room")
        was_current = session.rooms[-1] is room
        self._before_change(session)
        self._remove(session, room)
        session.rooms = self._interned(tuple(r for r in session.rooms if r is not room))
        session.client.deliver(events.YouLeft(room.name))
        if was_current:
            current = session.rooms[-1]
            session.client.deliver(events.NowTalking(current.name, current.names()))
        self._broadcast(events.Parted(session.username(), room.name, reason), session, room)
        if self._peers is not None:
            self._peers.tell(Exited(_key(session), room.name, reason))

    def leave_all(self, session: Session) -> frozenset[Room]:
        """Take ``session`` out of every room (it is leaving the chat); the rooms it was in."""
        rooms = frozenset(session.rooms)
        for room in rooms:
            self._remove(session, room)
        session.rooms = ()
        return rooms

    def _make_current(self, session: Session, room: Room) -> None:
        session.rooms = self._interned((*(r for r in session.rooms if r is not room), room))

    def _interned(self, rooms: tuple[Room, ...]) -> tuple[Room, ...]:
        return self.lobby_only if rooms == self.lobby_only else rooms

    def _add(self, session: Session, room: Room) -> None:
        if not room.members:
            self._active += 1
        room.members[session] = None

    def _remove(self, session: Session, room: Room) -> None:
        del room.members[session]
        if not room.members:
            self._active -= 1

    # What is said, and what rooms are about

    def say(
        self,
        session: Session,
        room_name: str | None,
        text: str,
        action: bool,
        at: float,
        durable: Callable[[StoredLine], None],
    ) -> events.Spoken:
        """Number a line of the room, keep it in the tail, relay it, and hand it to the store,
        which calls ``durable`` once it is safe.  Returns the event relayed."""
        room = self.member_room(session, room_name)
        if self._peers is not None:
            return self._publish(session, room, text, action, at, durable)
        room.last_seq = seq = room.last_seq + 1
        line = StoredLine(room.key, seq, at, session.username(), text, action)
        room.tail.append(line)
        event = spoken(line, room.name)
        self._broadcast(event, session, room)
        self._store.append(line, durable)
        return event

    def _publish(
        self,
        session: Session,
        room: Room,
        text: str,
        action: bool,
        at: float,
        durable: Callable[[StoredLine], None],
    ) -> events.Spoken:
        """Have the peers number and share a line; every node shows it when it comes back."""
        assert self._peers is not None
        line = StoredLine(room.key, 0, at, session.username(), text, action)

        def sent(numbered: StoredLine | None) -> None:
            if numbered is not None:
                durable(numbered)
            elif not session.ended:
                session.client.deliver(events.Refused(RECONNECTING_LINE, "reconnecting"))

        self._peers.publish(line, sent)
        return spoken(line, room.name)

    def topic(self, session: Session, text: str | None, at: float, name: str | None = None) -> None:
        """``/topic``: show the topic of room ``name`` (the current room for None), or set it
        to ``text``."""
        room = self.member_room(session, name)
        if text is None:
            session.client.deliver(
                events.TopicIs(room.name, room.topic.text if room.topic else None)
            )
            return
        if len(text) > MAX_TOPIC_LENGTH:
            raise RoomRefused(
                f"a topic may be at most {MAX_TOPIC_LENGTH} characters", "topic_too_long"
            )
        if self._peers is not None and not self._peers.ready:  # the others could not hear it
            raise RoomRefused(RECONNECTING_NAME, RECONNECTING)
        room.topic = Topic(text, session.username(), at)
        self._store.set_topic(room.key, room.topic)
        if self._peers is not None:
            self._peers.tell(TopicChanged(room.name, room.topic))
        self._broadcast(events.TopicSet(session.username(), room.name, text), None, room)

    def who(self, session: Session, name: str) -> None:
        """``/who #room``: who is in a room (anyone may ask)."""
        room = self.get(name)
        if room is None or not room.members:
            raise RoomRefused(f"no such room: {room.name if room else name}", "no_such_room")
        session.client.deliver(events.InRoom(room.name, room.names()))

    def history(
        self,
        session: Session,
        name: str | None,
        count: int,
        *,
        before: int | None = None,
        after: int | None = None,
    ) -> None:
        """``/history``: up to ``count`` lines of a room, from memory or the store.

        The newest lines by default; with ``before``, the newest lines older than that seq (a
        client scrolling back); with ``after``, the oldest lines newer than it (a client that
        reconnected and resumes from the last line it saw).
        """
        room = self.member_room(session, name)
        client = session.client

        def answer(lines: list[StoredLine]) -> None:
            if session.rooms:  # still online
                client.deliver(self._history(room, lines))

        if after is not None:
            if after >= room.last_seq or not count:
                answer([])
            elif room.tail and room.tail[0].seq <= after + 1:  # all in memory
                answer([line for line in room.tail if line.seq > after][:count])
            else:
                self._store.history_after(room.key, after, count, answer)
            return
        bound = room.last_seq + 1 if before is None else before
        tail = [line for line in room.tail if line.seq < bound]
        first = tail[0].seq if tail else min(bound, room.last_seq + 1)
        if len(tail) >= count or first <= 1:
            answer(tail[-count:] if count else [])
            return

        def older(lines: list[StoredLine]) -> None:
            answer((lines + tail)[-count:])

        self._store.history(room.key, first, count - len(tail), older)

    def _history(self, room: Room, lines: Iterable[StoredLine]) -> events.History:
        return events.History(room.name, tuple(self.replayed(line, room) for line in lines))


def _by_key(room: Room) -> str:
    return room.key


def _key(session: Session) -> str:
    assert session.key is not None  # a member has a name
    return session.key
