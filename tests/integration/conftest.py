"""Real loopback sockets: the chatd service on port 0 and line clients whose waits all time out.

``start_chat(*args)`` builds the service exactly as twistd would (``Options`` + ``makeService``)
and starts it; ``connect(port)`` opens a :class:`LineClient`.  Both fixtures close what they
opened, clients first, so no test leaves a port or a connection behind in the shared reactor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest_twisted
from twisted.internet import defer, endpoints
from twisted.internet.protocol import Protocol
from twisted.python.failure import Failure

from chatd.service import ChatService
from chatd.tap import Options, makeService

#: Upper bound for any single wait on the network; loopback answers in milliseconds.
WAIT = 5.0

LOCAL = "tcp:0:interface=127.0.0.1"


def reactor():
    from twisted.internet import reactor as the_reactor

    return the_reactor


class LineClient(Protocol):
    """A client that collects the server's CRLF lines and lets a test wait for them."""

    def __init__(self, name: str = "client", ending: bytes = b"\n") -> None:
        self.name = name
        self.ending = ending  # b"\r\n" like telnet, b"\n" like nc
        self.raw = b""
        self.lines: list[str] = []
        self.lost: Failure | None = None
        self._cursor = 0
        self._waiters: list[tuple[Callable[[], bool], defer.Deferred[None]]] = []

    # Protocol

    def dataReceived(self, data: bytes) -> None:
        self.raw += data
        *complete, rest = self.raw.split(b"\r\n")
        if complete:
            self.raw = rest
            # "replace", so a test can look at a non-chatd peer (say, a TLS alert) without the
            # client itself raising; exact-line assertions still catch bad UTF-8 from chatd.
            self.lines.extend(line.decode("utf-8", "replace") for line in complete)
            self._check()

    def connectionLost(self, reason: Failure) -> None:
        self.lost = reason
        self._check()

    # What tests use

    def send(self, *texts: str) -> None:
        """Type each text as one line, with this client's line ending."""
        self.transport.write(b"".join(text.encode("utf-8") + self.ending for text in texts))

    def expect(self, line: str, timeout: float = WAIT) -> defer.Deferred[None]:
        """Fires when ``line`` has arrived after the last line an earlier ``expect`` matched."""
        return self.expect_match(lambda seen: seen == line, f"the line {line!r}", timeout)

    def expect_match(
        self, matches: Callable[[str], bool], what: str, timeout: float = WAIT
    ) -> defer.Deferred[None]:
        """Like :meth:`expect`, for the first later line for which ``matches(line)`` holds."""

        def arrived() -> bool:
            for index in range(self._cursor, len(self.lines)):
                if matches(self.lines[index]):
                    self._cursor = index + 1
                    return True
            return False

        return self.wait_until(arrived, what, timeout)

    def wait_closed(self, timeout: float = WAIT) -> defer.Deferred[None]:
        """Fires once the connection is closed, by either side."""
        return self.wait_until(lambda: self.lost is not None, "the connection to close", timeout)

    def wait_until(
        self, condition: Callable[[], bool], what: str, timeout: float = WAIT
    ) -> defer.Deferred[None]:
        """Fires once ``condition()`` holds; fails with the transcript after ``timeout``."""
        d: defer.Deferred[None] = defer.Deferred()
        self._waiters.append((condition, d))
        self._check()

        def explain(failure: Failure) -> None:
            failure.trap(defer.TimeoutError)
            raise AssertionError(
                f"{self.name} waited {timeout}s for {what}; its last lines: {self.lines[-20:]!r}"
                f" (unterminated: {self.raw!r}, lost: {self.lost is not None})"
            )

        return d.addTimeout(timeout, reactor()).addErrback(explain)

    def _check(self) -> None:
        for entry in list(self._waiters):
            condition, d = entry
            if d.called:  # timed out
                self._waiters.remove(entry)
            elif condition():
                self._waiters.remove(entry)
                d.callback(None)


@dataclass
class RunningChat:
    """A started ChatService and the port numbers its listeners got, in --listen order."""

    service: ChatService
    ports: list[int]

    @property
    def port(self) -> int:
        return self.ports[0]


async def listening_ports(service: ChatService) -> list[int]:
    """The port number of each listener of a started service.

    StreamServerEndpointService hands out its listening port only through the private
    ``_waitingForPort`` Deferred; the callback passes the port on so the service can still stop it.
    """
    numbers = []
    for listener in service:
        found: defer.Deferred[int] = defer.Deferred()

        def keep(port, found=found):
            found.callback(port.getHost().port)
            return port

        listener._waitingForPort.addCallback(keep)
        numbers.append(await found.addTimeout(WAIT, reactor()))
    return numbers


@pytest_twisted.async_yield_fixture
async def start_chat(tmp_path):
    """Start a chat service built from twistd-style arguments; stop it after the test.

    Unless the arguments name a database, each service gets a new one in the test's directory
    (the default, chatd.db in the working directory, would carry history from test to test).
    """
    started: list[ChatService] = []

    async def start(*args: str) -> RunningChat:
        options = Options()
        if "--db" not in args:
            args = ("--db", str(tmp_path / f"chat{len(started)}.db"), *args)
        options.parseOptions(list(args))
        service = makeService(options)
        service.startService()
        started.append(service)
        return RunningChat(service, await listening_ports(service))

    yield start
    for service in started:
        if service.running:
            await service.stopService().addTimeout(WAIT, reactor())


@pytest_twisted.async_yield_fixture
async def connect(start_chat):
    """Open line clients to 127.0.0.1 (plain, or TLS given client options); close them after."""
    opened: list[LineClient] = []

    async def open_client(
        port: int, name: str = "client", ending: bytes = b"\n", tls=None
    ) -> LineClient:
        endpoint = endpoints.TCP4ClientEndpoint(reactor(), "127.0.0.1", port, timeout=WAIT)
        if tls is not None:
            endpoint = endpoints.wrapClientTLS(tls, endpoint)
        client = LineClient(name, ending)
        await endpoints.connectProtocol(endpoint, client).addTimeout(WAIT, reactor())
        opened.append(client)
        return client

    yield open_client
    for client in opened:
        if client.lost is None:
            client.transport.abortConnection()
    for client in opened:
        await client.wait_closed()


async def join(connect, port: int, name: str, ending: bytes = b"\n") -> LineClient:
    """Connect and choose ``name``; returns once the online list has arrived."""
    client = await connect(port, name, ending)
    await client.expect("* Please enter a username:")
    client.send(name)
    await client.expect(f"* Welcome {name}! If you ever want to quit, type <quit> to exit.")
    await client.expect_match(lambda line: line.startswith("* Online ("), "the online list")
    return client


@pytest_twisted.async_fixture
async def chat(start_chat) -> RunningChat:
    """A service with default options on one loopback TCP port."""
    return await start_chat("--listen", LOCAL)


@pytest_twisted.async_fixture
async def joiner(connect):
    """``await joiner(port, name, ending)``: a client that has chosen ``name``."""

    async def joined(port: int, name: str, ending: bytes = b"\n") -> LineClient:
        return await join(connect, port, name, ending)

    return joined
