"""The web door over real loopback sockets, in the test's own reactor: Twisted's WebSocket client
beside line clients, the service's shutdown, and a web reader that stops reading."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable

import pytest_twisted
from integration.conftest import LOCAL, WAIT, join, reactor
from twisted.internet import defer, task
from twisted.python.failure import Failure
from twisted.web.websocket import WebSocketClientEndpoint


class WebClient:
    """A ``WebSocketProtocol`` that collects the server's JSON messages for a test to wait on."""

    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.lost: Failure | None = None
        self.transport = None
        self._waiters: list[tuple[Callable[[], bool], defer.Deferred[None]]] = []

    def negotiationStarted(self, transport) -> None:
        self.transport = transport

    def negotiationFinished(self) -> None:
        pass

    def textMessageReceived(self, message: str) -> None:
        self.messages.append(json.loads(message))
        self._check()

    def bytesMessageReceived(self, data: bytes) -> None:
        raise AssertionError(f"chatd sent a binary frame: {data!r}")

    def pongReceived(self, payload: bytes) -> None:
        pass

    def connectionLost(self, reason: Failure) -> None:
        self.lost = reason
        self._check()

    def send(self, message: dict) -> None:
        self.transport.sendTextMessage(json.dumps(message))

    def wait_for(self, kind: str, timeout: float = WAIT, **fields) -> defer.Deferred[None]:
        """Fires once a message of type ``kind`` with these fields has arrived."""

        seen = 0  # each message is looked at once, however many arrive

        def arrived() -> bool:
            nonlocal seen
            fresh, seen = self.messages[seen:], len(self.messages)
            return any(
                message["type"] == kind and all(message.get(k) == v for k, v in fields.items())
                for message in fresh
            )

        return self.wait_until(arrived, f"a {kind} message {fields}", timeout)

    def wait_until(self, condition, what: str, timeout: float = WAIT) -> defer.Deferred[None]:
        d: defer.Deferred[None] = defer.Deferred()
        self._waiters.append((condition, d))
        self._check()

        def explain(failure: Failure) -> None:
            failure.trap(defer.TimeoutError)
            raise AssertionError(f"waited {timeout}s for {what}; had {self.messages[-10:]!r}")

        return d.addTimeout(timeout, reactor()).addErrback(explain)

    def _check(self) -> None:
        for entry in list(self._waiters):
            condition, d = entry
            if d.called:
                self._waiters.remove(entry)
            elif condition():
                self._waiters.remove(entry)
                d.callback(None)


class _Factory:
    def __init__(self, client: WebClient) -> None:
        self.client = client

    def buildProtocol(self, url: str) -> WebClient:
        return self.client


async def web_client(port: int, name: str) -> WebClient:
    client = WebClient()
    endpoint = WebSocketClientEndpoint.new(reactor(), f"ws://127.0.0.1:{port}/ws")
    await defer.Deferred.fromCoroutine(endpoint.connect(_Factory(client))).addTimeout(
        WAIT, reactor()
    )
    await client.wait_for("ask_name")
    client.send({"type": "name", "name": name})
    await client.wait_for("welcome", name=name)
    return client


@pytest_twisted.ensureDeferred
async def test_web_and_line_users_over_loopback_and_a_clean_shutdown(start_chat, connect):
    """A web user and a line user chat; stopping the service tells the web user and closes it,
    and stopService waits for that."""
    chat = await start_chat("--listen", LOCAL, "--web", LOCAL)
    line_port, web_port = chat.ports
    web = await web_client(web_port, "webby")
    line = await join(connect, line_port, "liner")
    await web.wait_for("joined", name="liner")
    web.send({"type": "say", "text": "from the web"})
    await line.expect("webby: from the web")
    line.send("from the line")
    await web.wait_for("said", name="liner", text="from the line")
    await chat.service.stopService().addTimeout(WAIT, reactor())
    assert web.lost is not None
    assert any(message["type"] == "shutting_down" for message in web.messages)


@pytest_twisted.ensureDeferred
async def test_a_web_reader_that_stops_reading_is_dropped_alone(start_chat, connect):
    """Output past --max-send-buffer for a paused web reader drops it; the others go on."""
    chat = await start_chat(
        "--listen", LOCAL, "--web", LOCAL, "--max-send-buffer", "65536", "--rate", "0"
    )
    line_port, web_port = chat.ports
    stalled = await web_client(web_port, "stalled")
    reading = await web_client(web_port, "reading")
    talker = await join(connect, line_port, "talker")
    stalled_socket = stalled.transport.transport
    # A small receive buffer, so that the kernel takes a few megabytes at most for it.
    stalled_socket.getHandle().setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled_socket.pauseProducing()  # stop reading the socket
    filler = "x" * 900
    for batch in range(12):
        talker.send(*(f"{batch} {number} {filler}" for number in range(500)))
        # Megabytes in all, on a machine that may be busy: a generous bound.
        await reading.wait_for("said", timeout=30, text=f"{batch} 499 {filler}")
    (_, web_door) = chat.service.doors
    for _ in range(200):  # the stalled client cannot see its connection go: ask the server
        if web_door.slow_readers_dropped:
            break
        await task.deferLater(reactor(), 0.05)
    assert web_door.slow_readers_dropped == 1
    assert web_door.open_count == 1
    talker.send("after")
    await reading.wait_for("said", text="after")
    stalled_socket.resumeProducing()
    await stalled.wait_until(lambda: stalled.lost is not None, "the dropped connection to end")
