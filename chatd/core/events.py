"""What the hub tells clients: small immutable facts, rendered to a wire format by each door.

The hub builds one event per happening and hands the same object to every recipient, so a door
may cache whatever it derives from an event.  Nothing here knows how an event looks on a wire.
"""

from __future__ import annotations

from dataclasses import dataclass


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


@dataclass(frozen=True, slots=True)
class Said:
    """A chat line from ``name``."""

    name: str
    text: str
    at: float


@dataclass(frozen=True, slots=True)
class Acted:
    """An action (``/me``) by ``name``."""

    name: str
    text: str
    at: float


Spoken = Said | Acted


@dataclass(frozen=True, slots=True)
class Replayed:
    """A recent line from history, given to someone who just joined."""

    original: Spoken


@dataclass(frozen=True, slots=True)
class Joined:
    """Someone else became a user."""

    name: str


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
    """Something the recipient asked for did not happen, and why."""

    reason: str


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
)
