"""WebSocket clients written for the tests, on wsproto: one in memory, one over a real socket.

Both speak to chatd's web door as a bot would: JSON objects in text frames.  Both can also send
what no polite client sends (binary frames, broken JSON, raw bytes), to test the door's answers.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Sequence
from typing import Any

from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Message,
    Pong,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)

WAIT = 10.0


class Rejected(Exception):
    """The server answered the upgrade with an HTTP status instead."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"upgrade refused with {status}: {body!r}")
        self.status = status
        self.body = body


class WebSocketPeer:
    """The wsproto side of a test client: frames out, messages in, the close code."""

    def __init__(self) -> None:
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.messages: list[dict[str, Any]] = []
        self.raw: list[str | bytes] = []
        self.close_code: int | None = None
        self.pongs: list[bytes] = []
        self.accepted = False
        self.rejected: Rejected | None = None
        self._partial: dict[type, list] = {TextMessage: [], BytesMessage: []}
        self._reject_status = 0
        self._reject_body = b""

    def handshake(
        self,
        host: str,
        origin: str | None = None,
        path: str = "/ws",
        headers: Sequence[tuple[str, str]] = (),
    ) -> bytes:
        extra = [("Origin", origin)] if origin is not None else []
        return self.ws.send(Request(host=host, target=path, extra_headers=[*extra, *headers]))

    def take_bytes(self, data: bytes) -> bytes:
        """Feed what the server sent; returns what must be written back (pongs, close)."""
        self.ws.receive_data(data if data else None)
        reply = b""
        for event in self.ws.events():
            if isinstance(event, AcceptConnection):
                self.accepted = True
            elif isinstance(event, RejectConnection):
                self._reject_status = event.status_code
                if not event.has_body:
                    self.rejected = Rejected(event.status_code, b"")
            elif isinstance(event, RejectData):
                self._reject_body += event.data
                if event.body_finished:
                    self.rejected = Rejected(self._reject_status, self._reject_body)
            elif isinstance(event, Message):
                parts = self._partial[type(event)]
                parts.append(event.data)
                if event.message_finished:
                    whole = "".join(parts) if isinstance(event, TextMessage) else b"".join(parts)
                    parts.clear()
                    self.raw.append(whole)
                    if isinstance(whole, str):
                        self.messages.append(json.loads(whole))
            elif isinstance(event, Pong):
                self.pongs.append(bytes(event.payload))
            elif isinstance(event, CloseConnection):
                if self.close_code is None:  # wsproto adds 1006 when the socket then ends
                    self.close_code = event.code
                try:
                    reply += self.ws.send(event.response())
                except Exception:  # already closed on our side
                    pass
        return reply

    def frame(self, message: dict[str, Any] | str | bytes) -> bytes:
        """The bytes of one message: a dict as JSON text, a str as text, bytes as binary."""
        if isinstance(message, dict):
            return self.ws.send(TextMessage(json.dumps(message)))
        if isinstance(message, str):
            return self.ws.send(TextMessage(message))
        return self.ws.send(BytesMessage(message))

    def take(self) -> list[dict[str, Any]]:
        """The JSON messages received since the last take."""
        taken, self.messages = self.messages, []
        return taken


class SocketWebSocket(WebSocketPeer):
    """A blocking client over a real TCP connection, for tests against the installed daemon."""

    def __init__(
        self,
        port: int,
        origin: str | None = None,
        host: str = "127.0.0.1",
        wrap=None,
        headers: Sequence[tuple[str, str]] = (),
        preface: bytes = b"",
    ) -> None:
        """Connect and upgrade; ``wrap`` turns the socket into another (TLS, say) first, and
        ``preface`` goes before the request (a balancer's PROXY header, say)."""
        super().__init__()
        self.sock = socket.create_connection((host, port), timeout=WAIT)
        if wrap is not None:
            self.sock = wrap(self.sock)
        self.sock.sendall(preface + self.handshake(f"{host}:{port}", origin, headers=headers))
        deadline = time.monotonic() + WAIT
        while not self.accepted and self.rejected is None:
            self._read(deadline)
        if self.rejected is not None:
            self.sock.close()
            raise self.rejected

    def _read(self, deadline: float) -> bool:
        """Read once; False once the server has closed the connection."""
        self.sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            raise AssertionError("the server sent nothing in time") from None
        reply = self.take_bytes(data)
        if reply:
            self.sock.sendall(reply)
        return bool(data)

    def send(self, *messages: dict[str, Any] | str | bytes) -> None:
        self.sock.sendall(b"".join(self.frame(message) for message in messages))

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def next(self, kind: str | None = None, timeout: float = WAIT) -> dict[str, Any]:
        """The next message (of type ``kind``, skipping others), waiting up to ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            while self.messages:
                message = self.messages.pop(0)
                if kind is None or message["type"] == kind:
                    return message
            if not self._read(deadline):
                raise AssertionError(f"connection closed while waiting for {kind}")

    def expect_close(self, timeout: float = WAIT) -> int | None:
        """Read until the server closes; the close code it sent (None: it sent none)."""
        deadline = time.monotonic() + timeout
        try:
            while self._read(deadline):
                pass
        except ConnectionResetError:
            pass
        return self.close_code

    def join(self, name: str) -> dict[str, Any]:
        """Choose ``name``; returns the welcome."""
        self.next("ask_name")
        self.send({"type": "name", "name": name})
        return self.next("welcome")

    def close(self) -> None:
        self.sock.close()
