"""Drive the doors as Twisted tests protocols: a StringTransport per connection, no reactor.

A :class:`Wire` is one line connection seen from the far end: bytes go in through
``dataReceived`` and whatever the door wrote comes back from ``transport.value()``.  A
:class:`WebWire` is a browser's connection to the web door, through Twisted's real HTTP channel
and WebSocket upgrade, with wsproto at the far end.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Iterator, Sequence

import pytest
from twisted.internet import defer, task
from twisted.internet.address import IPv4Address
from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import ISSLTransport
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure
from websocket_peer import WebSocketPeer
from zope.interface import alsoProvides

from chatd.core.accounts import AccountBook
from chatd.core.hub import Hub
from chatd.core.store import MemoryStore
from chatd.doors.line import LineDoor, LineDoorFactory
from chatd.doors.web.site import WebDoorFactory, WebSite
from chatd.limits import Limits
from chatd.passwords import Scrypt
from chatd.portal import CredPasswords

#: The hub's clock in these tests: 2023-11-14 22:13:20 UTC, so history lines start "[22:13] ".
FIXED_TIME = 1_700_000_000.0


def split_lines(raw: bytes) -> list[str]:
    """The server lines in ``raw``, checking the framing: UTF-8, every line ending in CRLF."""
    if not raw:
        return []
    assert raw.endswith(b"\r\n"), f"output does not end in CRLF: {raw[-40:]!r}"
    assert raw.count(b"\n") == raw.count(b"\r\n"), f"bare LF in output: {raw!r}"
    assert raw.count(b"\r") == raw.count(b"\r\n"), f"bare CR in output: {raw!r}"
    return raw.decode("utf-8").split("\r\n")[:-1]


class Wire:
    """One client connection to the line door, as seen from the client's side."""

    def __init__(self, factory: LineDoorFactory, port: int, tls: bool = False) -> None:
        peer = IPv4Address("TCP", "127.0.0.1", port)
        self.door: LineDoor = factory.buildProtocol(peer)
        self.transport = StringTransport(peerAddress=peer)
        if tls:  # a TLS transport whose handshake has not finished yet
            alsoProvides(self.transport, ISSLTransport)
        self.door.makeConnection(self.transport)

    def send(self, *chunks: bytes) -> None:
        """Deliver each chunk to the door as one ``dataReceived`` call."""
        for chunk in chunks:
            self.door.dataReceived(chunk)

    def take(self) -> bytes:
        """Everything the door wrote since the last ``take``, the current reactor turn ended."""
        self.door.clock.advance(0)  # broadcasts are written at the end of the turn
        value = self.transport.value()
        self.transport.clear()
        return value

    def lines(self) -> list[str]:
        """The lines the door wrote since the last ``take``, framing checked."""
        return split_lines(self.take())

    @property
    def closing(self) -> bool:
        """Whether the door asked its transport to close."""
        return bool(self.transport.disconnecting)

    def drop(self, reason: type[Exception] = ConnectionDone) -> None:
        """The connection goes away (StringTransport never calls connectionLost by itself)."""
        self.door.connectionLost(Failure(reason()))


class WebWire(WebSocketPeer):
    """One WebSocket connection to the web door, from the browser's side.

    The request goes through Twisted's HTTP channel over a StringTransport; what the server
    writes is fed to wsproto, and pongs and close replies go back as a browser's would.
    """

    def __init__(
        self,
        site: WebSite,
        clock: task.Clock,
        port: int,
        origin: str | None = None,
        *,
        host: str = "127.0.0.1",
        headers: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__()
        self.clock = clock
        peer = IPv4Address("TCP", host, port)
        self.channel = site.buildProtocol(peer)
        self.transport = StringTransport(peerAddress=peer)
        self.channel.makeConnection(self.transport)
        self.send_raw(self.handshake("chat.test", origin, headers=headers))
        self.pump()

    def send_raw(self, data: bytes) -> None:
        self.channel.dataReceived(data)

    def send(self, *messages: dict | str | bytes) -> None:
        """Each message as one frame (a dict as JSON text, a str as text, bytes as binary)."""
        for message in messages:
            self.send_raw(self.frame(message))

    def pump(self) -> None:
        """Let the reactor turn end, and read everything the server wrote."""
        self.clock.advance(0)
        data = self.transport.value()
        self.transport.clear()
        if data:
            reply = self.take_bytes(data)
            if reply and not self.transport.disconnecting:
                self.send_raw(reply)

    def take(self) -> list[dict]:
        self.pump()
        return super().take()

    @property
    def closing(self) -> bool:
        return bool(self.transport.disconnecting)

    def drop(self, reason: type[Exception] = ConnectionDone) -> None:
        self.channel.connectionLost(Failure(reason()))


class _AtOnce:
    """Runs the password work at once, on the test's own thread."""

    def run(self, work, *args) -> defer.Deferred:
        return defer.maybeDeferred(work, *args)


class Chat:
    """A hub behind a line door factory and a web door, and the wires connected to them."""

    def __init__(self, **options: object) -> None:
        # Every wire comes from 127.0.0.1: the per-address limits apply only where a test asks.
        options.setdefault("max_per_address", 0)
        options.setdefault("arrival_rate", 0)
        names = {field.name for field in dataclasses.fields(Limits)}
        limits = Limits(**{name: options.pop(name) for name in list(options) if name in names})
        self.clock = task.Clock()
        self.clock.rightNow = FIXED_TIME
        # Accounts work in every chat here (with a cheap hash), unless a test brings its own.
        store = options.pop("store", None) or MemoryStore()
        if "accounts" not in options:
            book = options["accounts"] = AccountBook(store)
            options["passwords"] = CredPasswords(book, _AtOnce(), Scrypt(log_n=4, r=1, p=1))
        self.hub = Hub(clock=self.clock, limits=limits, store=store, **options)  # type: ignore[arg-type]
        self.factory = LineDoorFactory(self.hub)
        self.web = WebDoorFactory(self.hub)
        self.site = WebSite(self.web, ("https://allowed.test",))
        self.wires: list[Wire] = []
        self.web_wires: list[WebWire] = []

    def connect(self, tls: bool = False) -> Wire:
        wire = Wire(self.factory, 40000 + len(self.wires), tls)
        self.wires.append(wire)
        return wire

    def join(self, name: str) -> Wire:
        """Connect a user called ``name``; then forget what every wire has been sent so far."""
        wire = self.connect()
        wire.send(name.encode("utf-8") + b"\n")
        assert (
            wire.lines()[1] == f"* Welcome {name}! If you ever want to quit, type <quit> to exit."
        )
        self.settle()
        return wire

    def connect_web(
        self,
        origin: str | None = None,
        *,
        host: str = "127.0.0.1",
        headers: Sequence[tuple[str, str]] = (),
    ) -> WebWire:
        """A WebSocket from ``host`` (a browser's, or a reverse proxy's with ``headers``)."""
        port = 50000 + len(self.web_wires)
        wire = WebWire(self.site, self.clock, port, origin, host=host, headers=headers)
        self.web_wires.append(wire)
        return wire

    def join_web(self, name: str) -> WebWire:
        """Connect a browser user called ``name``; then forget what every wire was sent."""
        wire = self.connect_web()
        wire.send({"type": "name", "name": name})
        assert {"type": "welcome", "name": name} in wire.take()
        self.settle()
        return wire

    def settle(self) -> None:
        """Discard the output of every wire, so a test sees only what follows."""
        for wire in self.wires:
            wire.take()
        for web_wire in self.web_wires:
            web_wire.take()


@pytest.fixture
def make_chat() -> Callable[..., Chat]:
    """Build a :class:`Chat` with the given door limit and hub options."""
    return Chat


@pytest.fixture
def chat() -> Chat:
    """A chat with the default limits and a fixed clock."""
    return Chat()


@pytest.fixture
def utc() -> Iterator[None]:
    """Run the test with the process in UTC, so ``[HH:MM]`` prefixes are predictable."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    try:
        yield
    finally:
        if saved is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = saved
        time.tzset()
