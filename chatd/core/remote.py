"""The hub's side of a cluster: claiming names from the peers, and mirroring the other nodes.

See :mod:`chatd.core.peers` for the seam.  :class:`Remote` holds what only a clustered hub needs,
so that :class:`~chatd.core.hub.Hub` stays the same for one node:

* :meth:`Remote.claim` wraps the step that makes a session a user (or renames it) in a claim on
  the peers; the session holds its lines until the answer, as for a password.
* :meth:`Remote.left` tells the peers a user of this node left (or was kicked), and
  :meth:`Remote.kick` asks a user's node to kick them.
* The other methods are what the peers call: a user of another node arrived, left, was renamed,
  moved between rooms, set a topic; a room's line was numbered; lines of a room were lost; an
  operator of another node kicks a user of this one.

A user of another node is a :class:`~chatd.core.session.Session` whose client is a
:class:`~chatd.core.peers.RemoteClient`.  It is on the hub's user list and in its rooms' member
lists (so names stay unique here too, and ``/who`` counts it), but in no audience: broadcasts
reach it through its own node.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chatd.core import events
from chatd.core.audience import DirectAudience
from chatd.core.directory import Directory
from chatd.core.errors import ChatError, NameRefused, NoSuchUser
from chatd.core.lookalike import lookalike_key
from chatd.core.names import name_key
from chatd.core.peers import (
    RECONNECTING,
    RECONNECTING_LINE,
    RECONNECTING_NAME,
    UNREACHABLE,
    UNREACHABLE_NODE,
    Arrived,
    Departed,
    Entered,
    Exited,
    Peers,
    RemoteClient,
    Renamed,
    TopicChanged,
    is_remote,
)
from chatd.core.rooms import Room, check_room_name, spoken
from chatd.core.session import Session
from chatd.core.store import RoomRecord, StoredLine

if TYPE_CHECKING:
    from chatd.core.hub import Hub


class Remote:
    """What a hub does with its peers (``peers`` None: it has none, and this does nothing)."""

    def __init__(self, hub: Hub, peers: Peers | None, users: Directory[Session]) -> None:
        self.hub = hub
        self.peers = peers
        #: The hub's users, by name key: this node's and the mirrored ones.
        self._users = users
        #: Name keys being claimed from the peers by a session of this node.
        self._claiming: set[str] = set()

    # Asking the peers

    def claim(self, session: Session, name: str, key: str, then: Callable[[], None]) -> None:
        """Do ``then()`` once the name ``name`` (key ``key``) is this node's (at once alone).

        Refusals come back to the session as for a name taken here.
        """
        peers = self.peers
        if peers is None:
            then()
            return
        if key in self._claiming:
            raise NameRefused(f"the username {name} is taken, please choose another", "name_taken")
        self._claiming.add(key)
        session.hold()

        def done(refusal: str | None) -> None:
            self._claiming.discard(key)
            try:
                if session.ended:
                    if refusal is None:
                        peers.release(key)
                elif refusal is None:
                    stale = self.hub.find_user(key)
                    if stale is not None and is_remote(stale):
                        # Its node's lease ran out before anyone announced it gone: the claim
                        # just made shows it is.
                        self._forget(stale, None)
                    try:
                        then()
                    except ChatError:
                        peers.release(key)
                        raise
                elif refusal == RECONNECTING:
                    raise NameRefused(RECONNECTING_NAME, "reconnecting")
                else:
                    raise NameRefused(
                        f"the username {name} is taken, please choose another", "name_taken"
                    )
            except ChatError as refusal_error:
                session.refuse_for(refusal_error)
                if session.name is None and not session.ended:
                    session.tell(events.AskName())
            session.release()

        peers.claim(key, done)

    def left(self, key: str, reason: str | None, notice: events.Event | None) -> None:
        """The user of this node with key ``key`` left, for ``reason``, or as ``notice`` says
        (a kick, which every node then shows as such): free the name, tell the peers."""
        peers = self.peers
        if peers is None:
            return
        peers.release(key)
        if isinstance(notice, events.Kicked):
            peers.tell(Departed(key, notice.reason, kicked_by=notice.by))
        else:
            peers.tell(Departed(key, reason))

    def renamed_here(self, old_key: str, key: str, name: str) -> None:
        """The user of this node with key ``old_key`` is now ``name`` (key ``key``): give the old
        name back, unless it looks like the new one (then one claim covers both, and giving it
        back would free the new name too), and tell the peers."""
        peers = self.peers
        if peers is None:
            return
        if lookalike_key(old_key) != lookalike_key(key):
            peers.release(old_key)
        peers.tell(Renamed(old_key, key, name))

    def kick(self, op: Session, user: Session, notice: events.Kicked) -> None:
        """Have the node of ``user`` (a user of another node) kick them as ``notice`` says.

        That node disconnects them as a kick here would, and their departure, a kick, reaches
        every node; ``op`` hears it there (see :meth:`_forget`).  If that node cannot be reached,
        ``op`` is told so.  ``op``'s lines wait for the answer, so that it comes in order.
        """
        client = user.client
        assert self.peers is not None and isinstance(client, RemoteClient)
        op.hold()

        def done(refusal: str | None) -> None:
            if refusal is not None and not op.ended:
                why = RECONNECTING_NAME
                if refusal == UNREACHABLE:
                    why = UNREACHABLE_NODE.format(name=notice.name)
                op.refuse(why, RECONNECTING)
            op.release()

        self.peers.deliver(client.node, client.key, notice, done)

    def whisper(self, session: Session, recipient: Session, text: str) -> None:
        """Send private message ``text`` from ``session`` to ``recipient``, a user of another
        node.  ``session`` sees it sent once that node has it, or is told it was not delivered:
        its lines wait for the answer, so that the answer comes in order."""
        client = recipient.client
        assert self.peers is not None and isinstance(client, RemoteClient)
        sent = events.WhisperSent(recipient.username(), text)
        session.hold()

        def done(refusal: str | None) -> None:
            if not session.ended:
                if refusal is None:
                    session.client.deliver(sent)
                elif refusal == UNREACHABLE:
                    unreachable = UNREACHABLE_NODE.format(name=sent.recipient)
                    session.refuse(f"not delivered: {unreachable}", RECONNECTING)
                else:
                    session.refuse(RECONNECTING_LINE, RECONNECTING)
            session.release()

        whispered = events.Whispered(session.username(), text)
        self.peers.deliver(client.node, client.key, whispered, done)

    # What the peers tell

    def kicked(self, key: str, notice: events.Kicked) -> None:
        """An operator of another node kicks the user of this node with key ``key``; if they
        are gone already, the operator is told so."""
        session = self.hub.find_user(key)
        if session is not None and not is_remote(session) and session.key == key:
            kick = events.Kicked(session.username(), notice.by, notice.reason)
            self.hub.moderation.expel(session, kick)
            return
        op = self.hub.find_user(name_key(notice.by))
        if self.peers is not None and op is not None and isinstance(op.client, RemoteClient):
            gone = NoSuchUser(notice.name)
            refusal = events.Refused(str(gone), gone.code)
            self.peers.deliver(op.client.node, op.client.key, refusal)

    def arrived(self, fact: Arrived) -> None:
        """A user of another node is online: add them, and greet them in their rooms."""
        hub = self.hub
        known = hub.find_user(fact.key)
        if known is not None:
            if is_remote(known) and known.key == fact.key:
                self._move(known, fact.rooms)  # seen again, after a resync
                return
            self.departed(Departed(fact.key))  # a stale mirror loses to the claim
            if hub.find_user(fact.key) is not None:
                return  # held here: our claim and its disagree, and its node will find out
        session = self._mirror(RemoteClient(fact.node, fact.key), fact.name, fact.key)
        hub.rooms.enter_lobby(session)
        if events.LOBBY in fact.rooms or not fact.rooms:
            hub.broadcast(events.Joined(fact.name), None, hub.rooms.lobby)
        self._move(session, fact.rooms)

    def departed(self, fact: Departed) -> None:
        """A user of another node left, was kicked, or their node died."""
        session = self.hub.find_user(fact.key)
        if session is not None and is_remote(session):
            self._forget(session, fact.reason, fact.kicked_by)

    def renamed(self, fact: Renamed) -> None:
        session = self.hub.find_user(fact.old)
        if session is not None and is_remote(session):
            self._rename(session, fact.name, fact.key)

    def entered(self, fact: Entered) -> None:
        session = self.hub.find_user(fact.key)
        if session is not None and is_remote(session):
            self._enter(session, self.room(fact.room))

    def exited(self, fact: Exited) -> None:
        session = self.hub.find_user(fact.key)
        room = self.hub.rooms.get(fact.room)
        if session is None or room is None or not is_remote(session) or room not in session.rooms:
            return
        self.hub.rooms.remove_member(session, room)
        self.hub.broadcast(events.Parted(session.username(), room.name, fact.reason), None, room)

    def topic(self, fact: TopicChanged) -> None:
        room = self.room(fact.room)
        room.topic = fact.topic
        if fact.topic is not None:
            self.hub.broadcast(
                events.TopicSet(fact.topic.setter, room.name, fact.topic.text), None, room
            )

    def room(self, name: str) -> Room:
        """The room called ``name``, known here from now on."""
        return self.hub.rooms.known(check_room_name(name), name)

    def restore(self, record: RoomRecord) -> Room:
        """Room ``record`` as the peers keep it: its topic, and its newest lines if newer than
        what this hub has."""
        room = self.hub.rooms.known(record.key, record.name)
        room.topic = record.topic
        if record.last_seq > room.last_seq:
            room.last_seq = record.last_seq
            room.tail.clear()
            room.tail.extend(record.tail)
        return room

    def heard(self, line: StoredLine) -> None:
        """Line ``line`` of a room, numbered by the peers: the next one, in order, or older
        (then it was shown already)."""
        room = self.hub.rooms.known(line.room)
        if line.seq <= room.last_seq:
            return
        room.last_seq = line.seq
        room.tail.append(line)
        sayer = self.hub.find_user(name_key(line.name))
        exclude = sayer if sayer is not None and not is_remote(sayer) else None
        self.hub.broadcast(spoken(line, room.name), exclude, room)

    def lost(self, room_key: str, through: int) -> None:
        """Lines of room ``room_key`` up to seq ``through`` are gone for good: tell its members
        and go on from there."""
        room = self.hub.rooms.known(room_key)
        room.last_seq = max(room.last_seq, through)
        self.hub.broadcast(events.LinesLost(room.name, through), None, room)

    def delivered(self, key: str, event: events.Event) -> None:
        """A private message (or a refusal) to the user with key ``key`` of this node, from
        another node."""
        session = self.hub.find_user(key)
        if session is not None and not is_remote(session):
            session.client.deliver(event)

    def mirrored(self) -> list[Session]:
        """The users of other nodes known here."""
        return [session for session in self._users.entries() if is_remote(session)]

    def local(self) -> list[Session]:
        """The users of this node."""
        return [session for session in self._users.entries() if not is_remote(session)]

    # Internals

    def _mirror(self, client: RemoteClient, name: str, key: str) -> Session:
        """A user of another node, on the user list here (in no audience, no room yet)."""
        session = Session(self.hub, client, None, DirectAudience(), None, "remote")
        session.name, session.key = name, key
        self._users.add(key, name, session)
        return session

    def _forget(self, session: Session, reason: str | None, kicked_by: str | None = None) -> None:
        """A user of another node left: off the list, and those who share a room hear it.

        A kick is shown as one, as on the user's own node; an operator of this node who kicked
        them and shares no room with them is told too, as after a kick here."""
        assert session.key is not None and session.name is not None
        self._users.remove(session.key)
        rooms = self.hub.rooms.leave_all(session)
        if kicked_by is None:
            self.hub.broadcast(events.Left(session.name, reason), None, rooms)
            return
        notice = events.Kicked(session.name, kicked_by, reason)
        self.hub.broadcast(notice, None, rooms)
        op = self.hub.find_user(name_key(kicked_by))
        if op is not None and not is_remote(op) and rooms.isdisjoint(op.rooms):
            op.tell(notice)

    def _rename(self, session: Session, name: str, key: str) -> None:
        """A user of another node is now called ``name``."""
        assert session.key is not None and session.name is not None
        old = session.name
        self._users.remove(session.key)
        session.name, session.key = name, key
        self._users.add(key, name, session)
        self.hub.broadcast(events.Renamed(old, name), None, frozenset(session.rooms))

    def _move(self, session: Session, rooms: tuple[str, ...]) -> None:
        """Put a mirrored user in exactly ``rooms`` (by name)."""
        wanted = {self.room(name) for name in rooms} or {self.hub.rooms.lobby}
        for room in tuple(session.rooms):
            if room not in wanted:
                self.hub.rooms.remove_member(session, room)
        for room in wanted:
            self._enter(session, room)

    def _enter(self, session: Session, room: Room) -> None:
        if room in session.rooms:
            return
        self.hub.rooms.add_member(session, room)
        self.hub.broadcast(events.RoomJoined(session.username(), room.name), None, room)
