"""twistd wiring: the ``chatd`` command line (:class:`Options`) and :func:`makeService`."""

from __future__ import annotations

import platform
import sys
from collections.abc import Callable
from dataclasses import replace

from twisted.copyright import version as twisted_version
from twisted.internet import endpoints
from twisted.python import usage

import chatd
from chatd.core.hub import Hub
from chatd.core.text import clean
from chatd.descriptors import fit_open_files
from chatd.doors.line import LineDoorFactory
from chatd.limits import Limits
from chatd.service import ChatService
from chatd.startup import Listener, usage_failure

DEFAULT_PORT = 33000
DEFAULT_HISTORY = 20
#: Connections the kernel queues for accept().  Twisted's default of 50 overflows in a connect
#: storm, and Linux then answers with SYN cookies: the client believes it is connected, chatd
#: never saw it, and both wait for ever for the other to speak.  (Linux caps it at somaxconn.)
LISTEN_BACKLOG = 1024
DEFAULTS = Limits()
HIGHEST_PORT = 65535


def _number(option: str, kind: type[int] | type[float], minimum: float) -> Callable[[str], float]:
    """A coercer for ``--option`` that names the option when the value is wrong."""
    noun = "a whole number" if kind is int else "a number"

    def coerce(value: str) -> float:
        try:
            number = kind(value)
        except ValueError:
            raise ValueError(f"--{option} wants {noun}, not {value!r}") from None
        if not number >= minimum:  # also refuses nan
            raise ValueError(f"--{option} must be at least {minimum:g}, not {value}")
        return number

    coerce.coerceDoc = ""  # type: ignore[attr-defined]  # usage.Options appends it to the help
    return coerce


#: The operating limits as options: (option, field of :class:`Limits`, type, minimum, help).
LIMIT_OPTIONS = [
    ("max-clients", "max_clients", int, 1,
     "Most connections served at once; further ones are told the server is full."),
    ("max-per-ip", "max_per_address", int, 0,
     "Most connections from one address (IPv6: one /64) at once (0: no limit)."),
    ("arrival-rate", "arrival_rate", float, 0,
     "New connections and name changes per second one address may make (0: no limit)."),
    ("arrival-burst", "arrival_burst", int, 1,
     "New connections and name changes one address may make at once before --arrival-rate."),
    ("handshake-timeout", "handshake_timeout", float, 0,
     "Seconds a connection may take to choose a username (0: no limit)."),
    ("idle-timeout", "idle_timeout", float, 0,
     "Seconds a user may stay silent before being disconnected (0: no limit)."),
    ("max-line-length", "max_line_length", int, 1,
     "Longest line a client may send, in bytes; longer lines are refused."),
    ("max-send-buffer", "max_send_buffer", int, 1,
     "Bytes of output held for a client that is not reading before it is disconnected."),
    ("rate", "rate", float, 0,
     "Lines per second a connection may send on average; faster ones wait (0: no limit)."),
    ("burst", "burst", int, 1,
     "Lines a connection may send at once before --rate applies."),
    ("private-rate", "private_rate", float, 0,
     "Private messages per second one user may receive from everyone (0: no limit)."),
    ("private-burst", "private_burst", int, 1,
     "Private messages one user may receive at once before --private-rate applies."),
]  # fmt: skip


class Options(usage.Options):
    synopsis = "[options]"
    longdesc = (
        "Run the chatd chat server. People join with `telnet HOST PORT` or `nc HOST PORT`, "
        "choose a username, and every line they type goes to everyone else."
    )

    optParameters = [
        [
            "port",
            "p",
            DEFAULT_PORT,
            "TCP port to listen on (0 picks a free one).",
            _number("port", int, 0),
        ],
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
            _number("history", int, 0),
        ],
        ["motd", None, None, "File whose lines are shown to each connection before the prompt."],
        [
            "metrics",
            None,
            None,
            "Twisted endpoint serving Prometheus metrics at /metrics, e.g. "
            "tcp:9100:interface=127.0.0.1 (off by default).",
        ],
    ] + [
        [option, None, getattr(DEFAULTS, field), help, _number(option, kind, minimum)]
        for option, field, kind, minimum, help in LIMIT_OPTIONS
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
        if description in self["listen"]:
            raise usage.UsageError(f"--listen {description!r} is given twice")
        self["listen"].append(description)

    def opt_version(self) -> None:
        """Show chatd's version (and Twisted's and Python's) and exit."""
        print(version_line())
        sys.exit(0)

    def parseOptions(self, options: list[str] | None = None) -> None:
        """Parse as usage.Options does; as ``twistd chatd``, a refusal is one line and exit 1.

        twistd itself would print the whole help before the error.  Only the subcommand (which has
        a parent) exits; parsed on its own, as chatd.tac and the tests do, a refusal stays a
        UsageError for the caller.
        """
        try:
            super().parseOptions(options)
        except usage.UsageError as error:
            if self.parent is None:
                raise
            raise usage_failure(error) from error

    def parseArgs(self, *args: str) -> None:
        if args:
            raise usage.UsageError(f"unexpected argument {args[0]!r}; options start with --")

    def postOptions(self) -> None:
        if self["port"] > HIGHEST_PORT:
            raise usage.UsageError(f"--port must be at most {HIGHEST_PORT}, not {self['port']}")
        if self["motd"] is not None:
            self["motd-lines"] = read_motd(self["motd"])
        for description, source in self.listeners():
            check_endpoint(description, source)
        if self["metrics"] is not None:
            check_endpoint(self["metrics"], f"--metrics {self['metrics']!r}")

    def limits(self) -> Limits:
        """The operating limits these options ask for."""
        return Limits(**{field: self[option] for option, field, *_ in LIMIT_OPTIONS})

    def endpoints(self) -> list[str]:
        """The endpoint descriptions to listen on."""
        return [description for description, _ in self.listeners()]

    def listeners(self) -> list[tuple[str, str]]:
        """Each endpoint description to listen on, with the options that asked for it as typed.

        The second part names the culprit when listening fails: ``--port 33000``,
        ``--interface 10.0.0.1 --port 33000`` or ``--listen 'tcp:33000'``.
        """
        if self["listen"]:
            return [(description, f"--listen {description!r}") for description in self["listen"]]
        interface, port = self["interface"], self["port"]
        if not interface:
            return [(f"tcp:{port}:backlog={LISTEN_BACKLOG}", f"--port {port}")]
        family = "tcp6" if ":" in interface else "tcp"
        escaped = interface.replace(":", "\\:")
        return [
            (
                f"{family}:{port}:interface={escaped}:backlog={LISTEN_BACKLOG}",
                f"--interface {interface} --port {port}",
            )
        ]


def version_line() -> str:
    """chatd's version, with the Twisted and Python it runs on, as ``--version`` prints it."""
    return (
        f"chatd {chatd.__version__} (Twisted {twisted_version}, "
        f"{platform.python_implementation()} {platform.python_version()})"
    )


def check_endpoint(description: str, source: str) -> None:
    """Raise a UsageError, naming ``source``, unless ``description`` is an endpoint to listen on.

    Checked while parsing options so that a typo is a one-line usage error, not a traceback from
    makeService.  The parsers only store the reactor, so none is needed (or installed) here.
    A port out of range is caught here too: the parsers accept ``tcp:99999``, and only bind()
    would refuse it.
    """
    try:
        endpoint = endpoints.serverFromString(None, description)
    except Exception as error:  # the parsers raise ValueError, TypeError, KeyError, OSError, ...
        raise usage.UsageError(f"cannot listen on {source}: {error}") from error
    # TCP, TCP6 and SSL endpoints keep their port here; other kinds have no port to check.
    port = getattr(endpoint, "_port", None)
    if isinstance(port, int) and not 0 <= port <= HIGHEST_PORT:
        raise usage.UsageError(
            f"cannot listen on {source}: the port must be 0 to {HIGHEST_PORT}, not {port}"
        )


def read_motd(path: str) -> tuple[str, ...]:
    """The lines of a message-of-the-day file, cleaned like anything else chatd relays."""
    try:
        with open(path, "rb") as motd:
            raw = motd.read()
    except OSError as error:
        raise usage.UsageError(f"cannot read --motd file: {error}") from error
    return tuple(clean(line).rstrip() for line in raw.decode("utf-8", "replace").splitlines())


def makeService(options: Options) -> ChatService:
    from twisted.internet import reactor  # here, so that parsing options installs no reactor

    limits = options.limits()
    limits = replace(limits, max_clients=fit_open_files(limits.max_clients))
    hub = Hub(
        clock=reactor,
        limits=limits,
        history_size=options["history"],
        motd=options["motd-lines"],
        log_messages=bool(options["log-messages"]),
    )
    door = LineDoorFactory(hub)
    chat = ChatService(hub, [door], freeze_startup_objects=True)
    for description, source in options.listeners():
        endpoint = endpoints.serverFromString(reactor, description)
        Listener(endpoint, door, source).setServiceParent(chat)
    if options["metrics"] is not None:
        from chatd.metrics import MetricsSite, metrics_registry  # imports the reactor

        site = MetricsSite(metrics_registry(hub, {"line": door}))
        endpoint = endpoints.serverFromString(reactor, options["metrics"])
        Listener(endpoint, site, f"--metrics {options['metrics']!r}").setServiceParent(chat)
    return chat
