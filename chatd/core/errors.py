"""Why the hub refused a request: a sentence a person can act on, and a code a program can.

Doors decide how a refusal looks on their wire.  The line door shows ``! MESSAGE``; the web door
sends the message and the code side by side, so that a bot never has to parse the sentence.
Codes are part of the web door's public protocol: once published, one is never renamed.
"""


class ChatError(Exception):
    """Base of every refusal the hub raises to the door that asked.

    ``code`` is a short ``snake_case`` word for the kind of refusal; each subclass has its own,
    and a raise site may give a narrower one (a name that is taken, not merely refused).
    """

    code = "refused"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class NameRefused(ChatError):
    """A username was malformed, reserved or taken."""

    code = "name_invalid"


class NoSuchUser(ChatError):
    """A command named a user who is not online."""

    code = "no_such_user"

    def __init__(self, name: str) -> None:
        super().__init__(f"no such user: {name}")
        self.name = name


class ServerFull(ChatError):
    """The hub already serves as many connections as it is allowed to."""

    code = "server_full"

    def __init__(self) -> None:
        super().__init__("server is full, try again later")


class TooManyFromAddress(ChatError):
    """One address already holds as many connections as one address may."""

    code = "too_many_connections"

    def __init__(self, limit: int) -> None:
        super().__init__(f"too many connections from your address (limit {limit})")
        self.limit = limit


class ArrivingTooFast(ChatError):
    """One address made more new connections or name changes than its budget allows."""

    code = "arriving_too_fast"

    def __init__(self, what: str = "new connections") -> None:
        super().__init__(f"too many {what} from your address, try again in a moment")


class RecipientBusy(ChatError):
    """A user receives more private messages than their budget allows."""

    code = "recipient_busy"

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} is getting too many private messages, try again in a moment")
        self.name = name


class AccountRefused(ChatError):
    """An account could not be registered, logged into, changed or deleted."""

    code = "account_refused"


class PermissionDenied(ChatError):
    """A user who is not an operator used an operator's command."""

    code = "permission_denied"

    def __init__(self, command: str) -> None:
        super().__init__(f"permission denied: /{command} is for operators")
        self.command = command


class Banned(ChatError):
    """A banned address connected, or someone chose a banned name."""

    code = "banned"


class Muted(ChatError):
    """A muted user tried to speak."""

    code = "muted"


class ModerationRefused(ChatError):
    """An operator's command could not do what it asked (no such ban, not muted, ...)."""

    code = "moderation_refused"
