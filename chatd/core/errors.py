"""Why the hub refused a request; each message is a sentence a person can act on.

Doors decide how a refusal looks on their wire; the line door shows ``! MESSAGE``.
"""


class ChatError(Exception):
    """Base of every refusal the hub raises to the door that asked."""


class NameRefused(ChatError):
    """A username was malformed, reserved or taken."""


class NoSuchUser(ChatError):
    """A command named a user who is not online."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no such user: {name}")
        self.name = name


class ServerFull(ChatError):
    """The hub already serves as many connections as it is allowed to."""

    def __init__(self) -> None:
        super().__init__("server is full, try again later")


class TooManyFromAddress(ChatError):
    """One address already holds as many connections as one address may."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"too many connections from your address (limit {limit})")
        self.limit = limit


class ArrivingTooFast(ChatError):
    """One address made more new connections or name changes than its budget allows."""

    def __init__(self, what: str = "new connections") -> None:
        super().__init__(f"too many {what} from your address, try again in a moment")


class RecipientBusy(ChatError):
    """A user receives more private messages than their budget allows."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} is getting too many private messages, try again in a moment")
        self.name = name
