"""The rooms we are in, as the server's room notices tell it: one model for every face.

Pure Python.  Protocol v2 never sends a list of our rooms; it says ``* Now talking in #room (K
here: ...)`` when a ``/join`` or ``/part`` changes the current room, ``* You left #room``, and the
joins, parts and topics of each room.  :class:`RoomState` follows those lines.  Everyone starts
in the home room, ``#lobby``, which no line announces: a face calls :meth:`RoomState.start` once
it knows the server has rooms (see ``rooms_probe`` in :mod:`chatd.client.protocol`).  Against a
v1 server nothing here ever changes, and :attr:`RoomState.current` stays None.

Who is in each room is a good guess in the same way as :class:`~chatd.client.roster.Roster`'s
list, for the same reason (an action can read like a notice); each ``/join`` and ``/who #room``
sets it right.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chatd.client.lines import LineKind, PresenceKind, RoomNoticeKind, ServerLine, name_key

__all__ = ["HOME_ROOM", "Room", "RoomState"]

#: The room every user of a v2 server starts in (wire protocol v2, "Rooms").
HOME_ROOM = "#lobby"


@dataclass
class Room:
    """One room we are in: its name as the server shows it, its topic and who is there."""

    name: str
    #: The topic, or None when it has none or we have not been told yet.
    topic: str | None = None
    #: Members by name key, each as the server spells it.
    members: dict[str, str] = field(default_factory=dict)

    def member_names(self) -> list[str]:
        """Everyone in the room, sorted as the server sorts them (ignoring case)."""
        return sorted(self.members.values(), key=lambda name: (name_key(name), name))

    def add(self, name: str) -> None:
        self.members[name_key(name)] = name

    def remove(self, name: str) -> None:
        self.members.pop(name_key(name), None)


class RoomState:
    """Our rooms, the current one, and the room names heard of (for completion)."""

    def __init__(self) -> None:
        #: The current room's name, once the server is known to have rooms; None before.
        self.current: str | None = None
        #: Our own name, to follow our renames in every member list.
        self.me: str | None = None
        self._rooms: dict[str, Room] = {}
        self._heard: dict[str, str] = {}

    def start(self, home: str = HOME_ROOM) -> None:
        """The server has rooms: we are in ``home``, and it is current."""
        if self.current is None:
            self._enter(home)
            self.current = home

    def clear(self) -> None:
        """Forget the rooms (the connection is gone); the names heard of stay, for completion."""
        self.current = None
        self._rooms.clear()

    @property
    def active(self) -> bool:
        """Whether the server has rooms (a current room is known)."""
        return self.current is not None

    def names(self) -> list[str]:
        """The rooms we are in, sorted ignoring case."""
        return sorted((room.name for room in self._rooms.values()), key=name_key)

    def everyone(self) -> list[str]:
        """Everyone in any of our rooms (a name may appear once per room)."""
        return [name for room in self._rooms.values() for name in room.members.values()]

    def heard(self) -> list[str]:
        """Every room name we have seen: ours, the ``/rooms`` list's and marked lines'."""
        return sorted(self._heard.values(), key=name_key)

    def get(self, name: str | None) -> Room | None:
        """The room called ``name`` if we are in it."""
        return None if name is None else self._rooms.get(name_key(name))

    def is_current(self, name: str | None) -> bool:
        return name is not None and self.current is not None and same_room(name, self.current)

    def apply(self, line: ServerLine) -> bool:
        """Learn what ``line`` says about our rooms; whether anything changed."""
        before = self._snapshot()
        self._apply(line)
        return self._snapshot() != before

    def _snapshot(self) -> object:
        rooms = tuple(
            (key, room.name, room.topic, tuple(sorted(room.members.items())))
            for key, room in sorted(self._rooms.items())
        )
        return (self.current, rooms)

    def _apply(self, line: ServerLine) -> None:
        if line.kind is LineKind.WELCOME and line.name:
            self.me = line.name
        elif line.kind is LineKind.NEW_NAME and line.name:
            if self.me is not None:
                self._rename(self.me, line.name)
            self.me = line.name
        elif line.room is not None:
            self._hear(line.room)
        if line.room_notice is not None:
            self._apply_room_notice(line)
        elif line.presence is not None and self.active:
            self._apply_presence(line)
        elif line.kind is LineKind.CHAT and line.name:
            room = self.get(line.room or self.current)
            if room is not None:
                room.add(line.name)

    def _apply_room_notice(self, line: ServerLine) -> None:
        notice = line.room_notice
        assert notice is not None
        kind, name = notice.kind, notice.room
        if kind is RoomNoticeKind.ROOMS:
            for heard in notice.names:
                self._hear(heard)
            return
        if name is None or not self.active:
            # Before start() the server has no rooms: a /me can read like a room notice.
            return
        if kind is RoomNoticeKind.NOW_TALKING:
            entered = self._enter(name)
            entered.members = {name_key(member): member for member in notice.names}
            self.current = entered.name
        elif kind is RoomNoticeKind.YOU_LEFT:
            self._rooms.pop(name_key(name), None)
            if self.is_current(name):
                self.current = ""  # the next "Now talking in" says which; still has rooms
        elif (room := self.get(name)) is not None:
            if kind in (RoomNoticeKind.TOPIC, RoomNoticeKind.TOPIC_SET):
                room.topic = notice.text
            elif kind is RoomNoticeKind.MEMBER_JOINED:
                room.add(notice.names[0])
            elif kind is RoomNoticeKind.MEMBER_LEFT:
                room.remove(notice.names[0])
            elif kind is RoomNoticeKind.MEMBERS:
                room.members = {name_key(member): member for member in notice.names}
        else:
            self._hear(name)

    def _apply_presence(self, line: ServerLine) -> None:
        presence = line.presence
        assert presence is not None
        if presence.kind is PresenceKind.JOINED:
            # "has joined the chat" is the home room's event: unmarked, it is current.
            room = self.get(line.room or self.current)
            if room is not None:
                room.add(presence.names[0])
        elif presence.kind is PresenceKind.LEFT:
            for room in self._rooms.values():
                room.remove(presence.names[0])
        elif presence.kind is PresenceKind.RENAMED:
            self._rename(*presence.names)

    def _rename(self, old: str, new: str) -> None:
        for room in self._rooms.values():
            if name_key(old) in room.members:
                room.remove(old)
                room.add(new)

    def _enter(self, name: str) -> Room:
        self._hear(name)
        key = name_key(name)
        if key not in self._rooms:
            self._rooms[key] = Room(name)
        return self._rooms[key]

    def _hear(self, name: str) -> None:
        self._heard.setdefault(name_key(name), name)


def same_room(one: str, other: str) -> bool:
    """Whether two room names are the same room (the server compares them by name key)."""
    return name_key(one) == name_key(other)
