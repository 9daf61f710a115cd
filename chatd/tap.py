"""twistd wiring: the ``chatd`` command line (:class:`Options`) and :func:`makeService`."""

from __future__ import annotations

from twisted.application import strports
from twisted.internet import endpoints
from twisted.python import usage

from chatd.core.hub import Hub
from chatd.core.text import clean
from chatd.doors.line import DEFAULT_MAX_LINE_LENGTH, LineDoorFactory
from chatd.service import ChatService

DEFAULT_PORT = 33000
DEFAULT_HISTORY = 20
DEFAULT_MAX_CLIENTS = 10000


def _non_negative(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(f"{value} is negative")
    return number


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(f"{value} is not a positive number")
    return number


class Options(usage.Options):
    synopsis = "[options]"
    longdesc = (
        "Run the chatd chat server. People join with `telnet HOST PORT` or `nc HOST PORT`, "
        "choose a username, and every line they type goes to everyone else."
    )

    optParameters = [
        ["port", "p", DEFAULT_PORT, "TCP port to listen on (0 picks a free one).", _non_negative],
        [
            "interface",
            "i",
            "",
            "Address to listen on; empty means every IPv4 address. Use '::' for IPv6 too.",
        ],
        [
            "history",
            None,
            DEFAULT_HISTORY,
            "How many recent lines a newcomer is shown (0 disables history).",
            _non_negative,
        ],
        ["motd", None, None, "File whose lines are shown to each connection before the prompt."],
        [
            "max-line-length",
            None,
            DEFAULT_MAX_LINE_LENGTH,
            "Longest line a client may send, in bytes; longer lines are refused.",
            _positive,
        ],
        [
            "max-clients",
            None,
            DEFAULT_MAX_CLIENTS,
            "Most connections served at once; further ones are told the server is full.",
            _positive,
        ],
    ]
    optFlags = [
        ["log-messages", None, "Also log the text of chat and private messages (off by default)."],
    ]

    def __init__(self) -> None:
        super().__init__()
        self["listen"] = []
        self["motd-lines"] = ()

    def opt_listen(self, description: str) -> None:
        """Twisted endpoint to listen on, e.g. tcp6:33000 or ssl:33001:privateKey=key.pem:certKey=cert.pem (repeatable; replaces --port and --interface)."""  # noqa: E501
        self["listen"].append(description)

    def postOptions(self) -> None:
        if self["port"] > 65535:
            raise usage.UsageError(f"--port must be at most 65535, not {self['port']}")
        if self["motd"] is not None:
            self["motd-lines"] = read_motd(self["motd"])
        for description in self.endpoints():
            check_endpoint(description)

    def endpoints(self) -> list[str]:
        """The endpoint descriptions to listen on."""
        if self["listen"]:
            return list(self["listen"])
        interface = self["interface"]
        if not interface:
            return [f"tcp:{self['port']}"]
        family = "tcp6" if ":" in interface else "tcp"
        escaped = interface.replace(":", "\\:")
        return [f"{family}:{self['port']}:interface={escaped}"]


def check_endpoint(description: str) -> None:
    """Raise a UsageError unless ``description`` is a server endpoint we could listen on.

    Checked while parsing options so that a typo is a one-line usage error, not a traceback from
    makeService.  The parsers only store the reactor, so none is needed (or installed) here.
    """
    try:
        endpoints.serverFromString(None, description)
    except Exception as error:  # the parsers raise ValueError, TypeError, KeyError, OSError, ...
        raise usage.UsageError(f"cannot listen on {description!r}: {error}") from error


def read_motd(path: str) -> tuple[str, ...]:
    """The lines of a message-of-the-day file, cleaned like anything else chatd relays."""
    try:
        with open(path, "rb") as motd:
            raw = motd.read()
    except OSError as error:
        raise usage.UsageError(f"cannot read --motd file: {error}") from error
    return tuple(clean(line).rstrip() for line in raw.decode("utf-8", "replace").splitlines())


def makeService(options: Options) -> ChatService:
    hub = Hub(
        history_size=options["history"],
        max_clients=options["max-clients"],
        motd=options["motd-lines"],
        log_messages=bool(options["log-messages"]),
    )
    door = LineDoorFactory(hub, max_line_length=options["max-line-length"])
    chat = ChatService(hub, [door])
    for description in options.endpoints():
        strports.service(description, door).setServiceParent(chat)
    return chat
