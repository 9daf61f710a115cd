"""twistd wiring: the ``chatd`` command line (:class:`Options`) and :func:`makeService`."""

from __future__ import annotations

import getopt
import os
import platform
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any, ClassVar

from twisted.copyright import version as twisted_version
from twisted.internet import endpoints
from twisted.internet.interfaces import IReactorCore
from twisted.logger import Logger
from twisted.python import usage

import chatd
from chatd.config import read_config, settings_of
from chatd.core.accounts import AccountBook
from chatd.core.errors import NameRefused
from chatd.core.hub import Hub
from chatd.core.names import check_name
from chatd.core.store import MemoryStore, Store
from chatd.core.text import clean
from chatd.descriptors import fit_open_files
from chatd.doors.line import LineDoorFactory
from chatd.doors.proxyheader import server_endpoint
from chatd.doors.web.forwarded import TrustedProxies, network_of
from chatd.doors.web.site import WebDoorFactory, WebSite
from chatd.limits import Limits
from chatd.service import ChatService
from chatd.startup import Listener, usage_failure
from chatd.store import DatabaseRefused, SQLiteStore

DEFAULT_PORT = 33000
DEFAULT_HISTORY = 20
#: In twistd's working directory, so the quick start keeps history with no set-up.
DEFAULT_DATABASE = "chatd.db"
DEFAULT_HISTORY_DAYS = 30
#: Connections the kernel queues for accept().  Twisted's default of 50 overflows in a connect
#: storm, and Linux then answers with SYN cookies: the client believes it is connected, chatd
#: never saw it, and both wait for ever for the other to speak.  (Linux caps it at somaxconn.)
LISTEN_BACKLOG = 1024
DEFAULTS = Limits()
log = Logger()
HIGHEST_PORT = 65535


def _number(
    option: str, kind: type[int] | type[float], minimum: float, maximum: float | None = None
) -> Callable[..., float]:
    """A coercer for ``--option`` that names the option when the value is wrong.

    A config file passes the value it read (an int or a float, already of the right TOML type)
    and its key as ``name``, so the same checks name ``max-clients`` instead of
    ``--max-clients``.
    """
    noun = "a whole number" if kind is int else "a number"

    def coerce(value: str | float, name: str = f"--{option}") -> float:
        try:
            number = kind(value)
        except ValueError:
            raise ValueError(f"{name} wants {noun}, not {value!r}") from None
        if not number >= minimum:  # also refuses nan
            raise ValueError(f"{name} must be at least {minimum:g}, not {value}")
        if maximum is not None and number > maximum:
            raise ValueError(f"{name} must be at most {maximum:g}, not {value}")
        return number

    coerce.coerceDoc = ""  # type: ignore[attr-defined]  # usage.Options appends it to the help
    coerce.kind = kind  # type: ignore[attr-defined]  # what chatd.config checks a TOML value for
    return coerce


def _origins(value: str, name: str = "--web-origin") -> tuple[str, ...]:
    """The origins a comma-separated ``--web-origin`` names, each checked to be one."""
    origins = tuple(part.strip() for part in value.split(",") if part.strip())
    for origin in origins:
        scheme, _, host = origin.partition("://")
        if origin != "*" and (scheme not in ("http", "https") or not host or "/" in host):
            raise ValueError(
                f"{name}: {origin!r} is not an origin such as https://chat.example.org"
            )
    return origins


_origins.coerceDoc = ""  # type: ignore[attr-defined]  # usage.Options appends it to the help


def _networks(value: str, name: str = "--web-trusted-proxy") -> tuple[str, ...]:
    """The addresses and networks a comma-separated ``--web-trusted-proxy`` names, each checked."""
    networks = tuple(part.strip() for part in value.split(",") if part.strip())
    for network in networks:
        try:
            network_of(network)
        except ValueError as refusal:
            raise ValueError(f"{name}: {refusal}") from None
    return networks


_networks.coerceDoc = ""  # type: ignore[attr-defined]


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
    ("max-rooms-per-user", "max_rooms_per_user", int, 1,
     "Rooms one user may be in at once."),
    ("max-rooms", "max_rooms", int, 1,
     "Rooms with people in them at once, server-wide."),
]  # fmt: skip


class Options(usage.Options):
    synopsis = "[options]"
    longdesc = (
        "Run the chatd chat server. People join with `telnet HOST PORT` or `nc HOST PORT`, "
        "choose a username, and every line they type goes to everyone else."
    )

    optParameters: ClassVar[list[list[Any]]] = [
        [
            "port",
            "p",
            DEFAULT_PORT,
            "TCP port to listen on (0 picks a free one).",
            _number("port", int, 0, HIGHEST_PORT),
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
            "db",
            None,
            DEFAULT_DATABASE,
            "SQLite database for the rooms' history and topics (:memory: keeps nothing).",
        ],
        [
            "history-days",
            None,
            DEFAULT_HISTORY_DAYS,
            "Days a room's lines are kept in the database (0 keeps them for ever).",
            _number("history-days", int, 0),
        ],
        [
            "config",
            None,
            None,
            "TOML file of settings keyed by long option name; the command line beats it. "
            "SIGHUP re-reads it.",
        ],
        [
            "operators",
            None,
            "",
            "Registered names whose users are operators once logged in, comma-separated "
            "(SIGHUP re-reads it).",
        ],
        [
            "metrics",
            None,
            None,
            "Twisted endpoint serving Prometheus metrics at /metrics, e.g. "
            "tcp:9100:interface=127.0.0.1 (off by default).",
        ],
        [
            "web",
            None,
            None,
            "Twisted endpoint serving the web page at / and its WebSocket at /ws, e.g. tcp:8080 "
            "or ssl:8443:privateKey=key.pem:certKey=cert.pem (off by default).",
        ],
        [
            "web-origin",
            None,
            "",
            "Other origins whose pages may use the WebSocket, comma-separated, e.g. "
            "https://chat.example.org (* allows any); the page's own origin always may.",
            _origins,
        ],
        [
            "web-trusted-proxy",
            None,
            "",
            "Reverse proxies in front of --web whose X-Forwarded-For and X-Forwarded-Proto are "
            "believed: addresses or networks, comma-separated, e.g. 127.0.0.1,::1 (none by "
            "default: the TCP peer is who came).",
            _networks,
        ],
        [
            "redis",
            None,
            None,
            "Twisted client endpoint of the Redis server where this node meets the others of its "
            "cluster, e.g. tcp:127.0.0.1:6379 or unix:/run/redis/redis.sock (off: a single node).",
        ],
        ["redis-password-file", None, None, "File holding the password of --redis, if any."],
        [
            "node-name",
            None,
            None,
            "This node's name in a cluster, for logs and metrics (a random one if not given).",
        ],
        *(
            [option, None, getattr(DEFAULTS, field), help, _number(option, kind, minimum)]
            for option, field, kind, minimum, help in LIMIT_OPTIONS
        ),
    ]
    optFlags: ClassVar[list[list[str | None]]] = [
        ["log-messages", None, "Also log the text of chat and private messages (off by default)."],
    ]

    def __init__(self) -> None:
        super().__init__()
        self["listen"] = []
        self["motd-lines"] = ()
        #: The settings given on the command line, which beat the config file's, as parsed (a
        #: relative ``motd`` or ``config`` made absolute, so a reload after twistd's chdir reads
        #: the same files).  None until parsed.
        self.command_line: dict[str, object] | None = None
        #: The keys whose value came from the config file.
        self.from_file: set[str] = set()
        self._given: set[str] = set()

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
        self._given = self._named_in(sys.argv[1:] if options is None else options)
        try:
            super().parseOptions(options)
        except usage.UsageError as error:
            if self.parent is None:
                raise
            raise usage_failure(error) from error

    def _named_in(self, arguments: list[str]) -> set[str]:
        """The options ``arguments`` give, by long name, found as usage.Options will find them.

        usage.Options keeps only the values, and a value given on the command line must beat the
        config file even when it equals the default.  A command line getopt refuses names
        nothing here; parsing it then fails with the real error.
        """
        try:
            pairs, _ = getopt.getopt(arguments, self.shortOpt, self.longOpt)
        except getopt.error:
            return set()
        names = set()
        for flag, _ in pairs:
            name = flag.lstrip("-")
            name = self.synonyms.get(name) or self.synonyms.get(name.replace("-", "_"), name)
            names.add(name.replace("_", "-"))
        return names

    def parseArgs(self, *args: str) -> None:
        if args:
            raise usage.UsageError(f"unexpected argument {args[0]!r}; options start with --")

    def postOptions(self) -> None:
        if self.command_line is None:
            self.command_line = {name: self[name] for name in self._given if name in self}
            for name in ("config", "motd"):
                if self.command_line.get(name) is not None:
                    self.command_line[name] = os.path.abspath(self[name])
        if self["config"] is not None:
            self._read_config(self["config"])
        if self["motd"] is not None:
            where = f"{self['config']}: cannot read motd file" if "motd" in self.from_file else None
            self["motd-lines"] = read_motd(self["motd"], where or "cannot read --motd file")
        for description, source in self.listeners():
            check_endpoint(description, source)
        for name in ("metrics", "web"):
            if self[name] is not None:
                check_endpoint(self[name], self.spelled(name))
        if self["redis"] is not None:
            check_client_endpoint(self["redis"], self.spelled("redis"))
        if self["web-trusted-proxy"] and self["web"] is None:
            raise usage.UsageError(f"{self.spelled('web-trusted-proxy')} needs --web")
        for name in ("redis-password-file", "node-name"):
            if self[name] is not None and self["redis"] is None:
                raise usage.UsageError(f"{self.spelled(name)} needs --redis")
        if self["node-name"] is not None:
            try:
                check_name(self["node-name"], what="node name", reserved=False)
            except NameRefused as refusal:
                raise usage.UsageError(f"{self.spelled('node-name')}: {refusal}") from None
        self.operators()

    def operators(self) -> tuple[str, ...]:
        """The names ``--operators`` lists, each checked by the username rules."""
        names = tuple(name.strip() for name in self["operators"].split(",") if name.strip())
        for name in names:
            try:
                check_name(name)
            except NameRefused as refusal:
                raise usage.UsageError(f"{self.spelled('operators')}: {refusal}") from None
        return names

    def _read_config(self, path: str) -> None:
        """Take each setting of the file at ``path`` that the command line does not give."""
        values = read_config(path, settings_of(self))
        given = set(self.command_line or ())
        if given & {"listen", "port", "interface"}:
            values.pop("listen", None)  # the command line chose the listeners as a whole
        if "motd" in values:
            values["motd"] = os.path.join(os.path.dirname(os.path.abspath(path)), values["motd"])
        for name, value in values.items():
            if name not in given:
                self[name] = value
                self.from_file.add(name)

    def reread(self) -> Options:
        """These options read afresh: the config file and the MOTD file again, the command line
        as it was.  Raises UsageError, as parsing does, if either file is now wrong."""
        fresh = Options()
        fresh.command_line = dict(self.command_line or {})
        for name, value in fresh.command_line.items():
            fresh[name] = list(value) if isinstance(value, list) else value
        fresh.postOptions()
        return fresh

    def spelled(self, name: str) -> str:
        """Option ``name`` with its value, as the user wrote it: ``--port 4000`` on the command
        line, ``port = 4000 in chatd.toml`` from the config file."""
        value = self[name]
        if isinstance(value, tuple):  # a comma-separated list, checked: shown as written
            value = ",".join(value)
        if name in self.from_file:
            shown = repr(value) if isinstance(value, str) else value
            return f"{name} = {shown} in {self['config']}"
        return f"--{name} {value!r}" if name == "listen" else f"--{name} {value}"

    def limits(self) -> Limits:
        """The operating limits these options ask for."""
        return Limits(**{field: self[option] for option, field, *_ in LIMIT_OPTIONS})

    def endpoints(self) -> list[str]:
        """The endpoint descriptions to listen on."""
        return [description for description, _ in self.listeners()]

    def listeners(self) -> list[tuple[str, str]]:
        """Each endpoint description to listen on, with the options that asked for it as typed.

        The second part names the culprit when listening fails: ``--port 33000``,
        ``--interface 10.0.0.1 --port 33000``, ``--listen 'tcp:33000'``, or the key and file
        when the value came from a config file (``listen = 'tcp:33000' in chatd.toml``).
        """
        if self["listen"]:
            if "listen" in self.from_file:
                where = f" in {self['config']}"
                return [(each, f"listen = {each!r}{where}") for each in self["listen"]]
            return [(description, f"--listen {description!r}") for description in self["listen"]]
        interface, port = self["interface"], self["port"]
        if not interface:
            return [(f"tcp:{port}:backlog={LISTEN_BACKLOG}", self.spelled("port"))]
        family = "tcp6" if ":" in interface else "tcp"
        escaped = interface.replace(":", "\\:")
        return [
            (
                f"{family}:{port}:interface={escaped}:backlog={LISTEN_BACKLOG}",
                ("," if self.from_file & {"interface", "port"} else "").join(
                    (self.spelled("interface"), " " + self.spelled("port"))
                ),
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
    kind, _, wrapped = description.partition(":")
    if kind.strip().lower() == "haproxy":  # the PROXY protocol (chatd.doors.proxyheader)
        if wrapped.partition(":")[0].strip().lower() == "ssl":
            raise usage.UsageError(
                f"cannot listen on {source}: a PROXY header comes before TLS, so the balancer "
                "must end TLS; listen on haproxy:tcp:... behind it"
            )
        check_endpoint(wrapped, source)
        return
    try:
        endpoint = endpoints.serverFromString(None, description)
    except IndexError as error:
        if description.startswith("systemd:"):
            # Twisted looks the socket up among those systemd passed, and finds none there.
            raise usage.UsageError(
                f"cannot listen on {source}: systemd passed no such socket "
                f"(LISTEN_FDS={os.environ.get('LISTEN_FDS', 'unset')}); start chatd from its "
                "socket unit, or under systemd-socket-activate"
            ) from error
        raise usage.UsageError(f"cannot listen on {source}: {error}") from error
    except Exception as error:  # the parsers raise ValueError, TypeError, KeyError, OSError, ...
        raise usage.UsageError(f"cannot listen on {source}: {error}") from error
    # TCP, TCP6 and SSL endpoints keep their port here; other kinds have no port to check.
    port = getattr(endpoint, "_port", None)
    if isinstance(port, int) and not 0 <= port <= HIGHEST_PORT:
        raise usage.UsageError(
            f"cannot listen on {source}: the port must be 0 to {HIGHEST_PORT}, not {port}"
        )


def check_client_endpoint(description: str, source: str) -> None:
    """Raise a UsageError, naming ``source``, unless ``description`` is an endpoint to connect
    to (``tcp:HOST:PORT``, ``unix:PATH``)."""
    try:
        endpoints.clientFromString(None, description)
    except Exception as error:  # the parsers raise ValueError, TypeError, KeyError, ...
        raise usage.UsageError(f"cannot connect to {source}: {error}") from error


def read_redis_password(path: str | None) -> str | None:
    """The password in the file ``path`` (its first line), or None without a file."""
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as file:
            return file.readline().strip()
    except OSError as error:
        raise usage_failure(
            usage.UsageError(f"cannot read --redis-password-file: {error}")
        ) from None


def read_motd(path: str, failure: str = "cannot read --motd file") -> tuple[str, ...]:
    """The lines of a message-of-the-day file, cleaned like anything else chatd relays.

    ``failure`` starts the UsageError if the file cannot be read: it names where the path came
    from.
    """
    try:
        with open(path, "rb") as motd:
            raw = motd.read()
    except OSError as error:
        raise usage.UsageError(f"{failure}: {error}") from error
    return tuple(clean(line).rstrip() for line in raw.decode("utf-8", "replace").splitlines())


def makeService(options: Options) -> ChatService:
    from twisted.internet import reactor  # here, so that parsing options installs no reactor

    from chatd.reload import Reloader  # here, as it reads this module's tables

    limits = options.limits()
    limits = replace(limits, max_clients=fit_open_files(limits.max_clients))
    from chatd.portal import CredPasswords  # here: cred imports twisted.internet
    from chatd.store.runner import WriterThread

    peers = links = None
    if options["redis"] is None:
        store: Store = open_store(options, reactor)
    else:  # history, accounts and bans live in Redis: --db is not opened
        from chatd.cluster.node import new_node_name
        from chatd.cluster.wiring import join_cluster

        node = options["node-name"] or new_node_name()
        password = read_redis_password(options["redis-password-file"])
        peers, store, links = join_cluster(
            reactor, options["redis"], password, node, options["history"]
        )
        log.info("node {node} joins the cluster at {redis}", node=node, redis=options["redis"])
    accounts = AccountBook(store)
    hub = Hub(
        clock=reactor,
        limits=limits,
        history_size=options["history"],
        motd=options["motd-lines"],
        log_messages=bool(options["log-messages"]),
        store=store,
        accounts=accounts,
        passwords=CredPasswords(accounts, WriterThread(reactor, "chatd-passwords")),
        operators=options.operators(),
        peers=peers,
    )
    if peers is not None and links is not None:
        peers.attach(hub)
    door = LineDoorFactory(hub)
    doors: dict[str, LineDoorFactory | WebDoorFactory] = {"line": door}
    web = None
    if options["web"] is not None:
        web = doors["web"] = WebDoorFactory(hub)
    reloader = Reloader(options, hub)
    chat = ChatService(
        hub, list(doors.values()), freeze_startup_objects=True, store=store, reload=reloader.reload
    )
    if links is not None:
        links.setServiceParent(chat)
    for description, source in options.listeners():
        endpoint = server_endpoint(reactor, description)
        Listener(endpoint, door, source).setServiceParent(chat)
    if web is not None:
        proxies = TrustedProxies(options["web-trusted-proxy"] or ())
        page = WebSite(web, options["web-origin"] or (), proxies)
        endpoint = server_endpoint(reactor, options["web"])
        Listener(endpoint, page, options.spelled("web")).setServiceParent(chat)
    if options["metrics"] is not None:
        from chatd.metrics import MetricsSite, metrics_registry  # imports the reactor

        site = MetricsSite(metrics_registry(hub, doors, store))
        endpoint = server_endpoint(reactor, options["metrics"])
        Listener(endpoint, site, options.spelled("metrics")).setServiceParent(chat)
    return chat


def open_store(options: Options, reactor: IReactorCore) -> Store:
    """The rooms' database that ``--db`` names, or a one-line start-up error naming it.

    ``:memory:`` is the in-process store, which keeps a bounded number of lines per room (an
    in-memory SQLite database would grow with everything ever said).
    """
    if options["db"] == ":memory:":
        log.info("keeping history in memory only (--db :memory:)")
        return MemoryStore()
    try:
        return SQLiteStore(options["db"], reactor, history_days=options["history-days"])
    except DatabaseRefused as refusal:
        raise usage_failure(usage.UsageError(f"--db {options['db']}: {refusal}")) from None
