"""What the hub tells clients: small immutable facts, rendered to a wire format by each door.

The hub builds one event per happening and hands the same object to every recipient, so a door
may cache whatever it derives from an event.  Nothing here knows how an event looks on a wire.

Events that happen in a room carry the room's name (:data:`ROOM_EVENTS`); a door shows them
plainly to people for whom that room is current, and marked with the room to the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chatd.core.store import Ban


@dataclass(frozen=True, slots=True)
class Motd:
    """One line of the operator's message of the day, shown before the username prompt."""

    text: str


@dataclass(frozen=True, slots=True)
class AskName:
    """The connection has to choose a username before it can chat."""


@dataclass(frozen=True, slots=True)
class Welcome:
    """The connection is now a user called ``name``."""

    name: str


@dataclass(frozen=True, slots=True)
class Online:
    """Who is connected and named, in a stable order."""

    names: tuple[str, ...]


#: The room every user starts in.
LOBBY = "#lobby"


# Said, Acted and StoredLine are made once per line relayed, so they are not frozen: a frozen
# dataclass sets each field through object.__setattr__, and made them four times slower to build
# (1.0 µs against 0.27 on the benchmark machine).  Nothing changes one after it is made.
@dataclass(slots=True)
class Said:
    """A chat line from ``name`` in ``room``, the ``seq``-th line of that room.

    Two lines are equal when the same person said the same in the same room at the same time;
    the sequence number says where the room filed it, not what was said.
    """

    name: str
    text: str
    at: float
    room: str = LOBBY
    seq: int = field(default=0, compare=False)


@dataclass(slots=True)
class Acted:
    """An action (``/me``) by ``name`` in ``room``, the ``seq``-th line of that room."""

    name: str
    text: str
    at: float
    room: str = LOBBY
    seq: int = field(default=0, compare=False)


Spoken = Said | Acted


@dataclass(frozen=True, slots=True)
class Replayed:
    """A line from a room's history, shown after joining it or asked for with ``/history``.

    ``dated`` says it was said before today (server local time), so its date is shown too.
    """

    original: Spoken
    dated: bool = False


@dataclass(frozen=True, slots=True)
class Joined:
    """Someone else became a user (which happens in the lobby)."""

    name: str
    room: str = LOBBY


@dataclass(frozen=True, slots=True)
class RoomJoined:
    """Someone else joined ``room``."""

    name: str
    room: str


@dataclass(frozen=True, slots=True)
class Parted:
    """Someone else left ``room``, with the reason they gave, if any."""

    name: str
    room: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class TopicSet:
    """``name`` set the topic of ``room`` (the setter hears it too)."""

    name: str
    room: str
    text: str


@dataclass(frozen=True, slots=True)
class LinesLost:
    """Lines of ``room`` up to seq ``through`` are gone for good (several nodes: Redis lost them,
    or they were trimmed from the room's stream before this node read them); the room goes on."""

    room: str
    through: int


@dataclass(frozen=True, slots=True)
class NowTalking:
    """The recipient's current room is now ``room``, where ``names`` are."""

    room: str
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TopicIs:
    """The topic of ``room`` (None: it has none)."""

    room: str
    text: str | None


@dataclass(frozen=True, slots=True)
class YouLeft:
    """The recipient left ``room``."""

    room: str


@dataclass(frozen=True, slots=True)
class RoomList:
    """The rooms with people in them, and how many, sorted without regard to case."""

    rooms: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class InRoom:
    """Who is in ``room``, sorted without regard to case."""

    room: str
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class History:
    """Lines of ``room``'s history the recipient asked for, oldest first."""

    room: str
    lines: tuple[Replayed, ...]


@dataclass(frozen=True, slots=True)
class ReceiptsSet:
    """The recipient turned receipts on or off."""

    on: bool


@dataclass(frozen=True, slots=True)
class Receipt:
    """The recipient's line is stored: it is line ``seq`` of ``room``, said at ``at``."""

    room: str
    seq: int
    at: float


@dataclass(frozen=True, slots=True)
class Left:
    """Someone else left, with the reason they gave, if any."""

    name: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Renamed:
    """Someone else changed their name."""

    old: str
    new: str


@dataclass(frozen=True, slots=True)
class NameChanged:
    """The recipient's own rename went through."""

    name: str


@dataclass(frozen=True, slots=True)
class Whispered:
    """A private message to the recipient from ``sender``."""

    sender: str
    text: str


@dataclass(frozen=True, slots=True)
class WhisperSent:
    """Confirmation to the sender that a private message went to ``recipient``."""

    recipient: str
    text: str


@dataclass(frozen=True, slots=True)
class Help:
    """Lines of help text, one per command."""

    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Goodbye:
    """The recipient asked to leave; the connection closes after this."""

    name: str | None


@dataclass(frozen=True, slots=True)
class ShuttingDown:
    """The server is stopping; the connection closes after this."""


@dataclass(frozen=True, slots=True)
class Refused:
    """Something the recipient asked for did not happen: why, and the kind of refusal as a
    stable code (see :class:`chatd.core.errors.ChatError`)."""

    reason: str
    code: str = "refused"


@dataclass(frozen=True, slots=True)
class AskPassword:
    """The name chosen is registered as ``name``: the connection must give its password next
    (with :meth:`chatd.core.hub.Hub.give_password`).  A door hides what is typed now."""

    name: str


@dataclass(frozen=True, slots=True)
class Registered:
    """The recipient's name is now a registered account."""

    name: str


@dataclass(frozen=True, slots=True)
class PasswordChanged:
    """The password of the recipient's account ``name`` was changed."""

    name: str


@dataclass(frozen=True, slots=True)
class Unregistered:
    """The recipient deleted the account ``name``."""

    name: str


@dataclass(frozen=True, slots=True)
class Kicked:
    """An operator, ``by``, disconnected ``name``, with the reason given, if any."""

    name: str
    by: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Announcement:
    """An operator's announcement to every user."""

    text: str


@dataclass(frozen=True, slots=True)
class BanSet:
    """The recipient banned ``shown`` (a name, an address or a network) until ``expires``
    (None: for good); ``address`` is the address banned with a name, if it was online."""

    shown: str
    expires: float | None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class BanLifted:
    """The recipient lifted the ban of ``shown``."""

    shown: str


@dataclass(frozen=True, slots=True)
class BanList:
    """The bans in force, the oldest first."""

    bans: tuple[Ban, ...]


@dataclass(frozen=True, slots=True)
class MuteSet:
    """The recipient muted ``name`` until ``expires`` (None: until lifted)."""

    name: str
    expires: float | None


@dataclass(frozen=True, slots=True)
class MuteLifted:
    """The recipient lifted the mute of ``name``."""

    name: str


@dataclass(frozen=True, slots=True)
class YouAreMuted:
    """An operator, ``by``, muted the recipient until ``expires`` (None: until lifted)."""

    by: str
    expires: float | None


@dataclass(frozen=True, slots=True)
class YouAreUnmuted:
    """The recipient's mute was lifted, or ran out."""


@dataclass(frozen=True, slots=True)
class WhoIs:
    """What anyone may know of the user ``name``; ``address`` only for operators (else None).

    ``door`` is how they are connected: ``nc``, ``telnet``, ``TLS``, ``web`` (see
    :attr:`chatd.core.session.Session.door`).
    """

    name: str
    since: float
    idle: float
    rooms: tuple[str, ...]
    door: str
    registered: bool = False
    operator: bool = False
    address: str | None = None


Event = (
    Motd
    | AskName
    | Welcome
    | Online
    | Said
    | Acted
    | Replayed
    | Joined
    | Left
    | Renamed
    | NameChanged
    | Whispered
    | WhisperSent
    | Help
    | Goodbye
    | ShuttingDown
    | Refused
    | RoomJoined
    | Parted
    | TopicSet
    | LinesLost
    | NowTalking
    | TopicIs
    | YouLeft
    | RoomList
    | InRoom
    | History
    | ReceiptsSet
    | Receipt
    | AskPassword
    | Registered
    | PasswordChanged
    | Unregistered
    | Kicked
    | Announcement
    | BanSet
    | BanLifted
    | BanList
    | MuteSet
    | MuteLifted
    | YouAreMuted
    | YouAreUnmuted
    | WhoIs
)

#: Events that happen in a room: shown marked with the room to members for whom it is not current.
ROOM_EVENTS = (Said, Acted, Joined, RoomJoined, Parted, TopicSet)
