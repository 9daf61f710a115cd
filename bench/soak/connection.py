"""One raw TCP connection to chatd, as ``nc`` would make: bytes out, CRLF-terminated lines in.

Every line read goes to the connection's ``on_line`` callback at once, so even a client that is
busy doing something else checks everything the server sends it.  Scripted clients (handshakes,
churners) also keep the lines in a bounded queue and wait on them with :meth:`expect`.

A client that sends telnet commands gets telnet answers, which are not lines: such a client
passes ``on_telnet``, and the commands are taken out of the stream and handed to it.  For any
other client a telnet byte stays in its line, which then fails the line checks.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections import deque
from collections.abc import Callable

from bench.soak import protocol

HOST = "127.0.0.1"
#: TCP states from ``linux/tcp_states.h``; see :meth:`LineConnection.tcp_state`.
TCP_ESTABLISHED = 1
#: Lines a scripted client may leave unread before the oldest are forgotten (they are checked).
QUEUE_LIMIT = 2_000


class Closed(Exception):
    """The server closed the connection while the client was waiting for a line."""


class LineConnection(asyncio.Protocol):
    """A client connection that splits the server's output into lines."""

    def __init__(
        self,
        on_line: Callable[[str], None],
        on_telnet: Callable[[list[bytes]], None] | None = None,
    ) -> None:
        self.on_line = on_line
        self.on_telnet = on_telnet
        self.transport: asyncio.Transport | None = None
        self.lines: deque[str] = deque(maxlen=QUEUE_LIMIT)
        self.keep_lines = True
        self.closed = asyncio.get_running_loop().create_future()
        self.last_line: str | None = None
        self._partial = b""
        self._wakeup: asyncio.Future[None] | None = None

    # asyncio's side

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        *complete, self._partial = (self._partial + data).split(b"\r\n")
        for raw in complete:
            if self.on_telnet is not None and b"\xff" in raw:
                raw, commands = protocol.split_telnet(raw)
                self.on_telnet(commands)
            line = protocol.decode(raw)
            self.last_line = line
            self.on_line(line)
            if self.keep_lines:
                self.lines.append(line)
        if complete:
            self._wake()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)
        self._wake()

    def _wake(self) -> None:
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)

    # The client's side

    @property
    def is_closed(self) -> bool:
        return self.closed.done()

    def send(self, *lines: str) -> None:
        """Send text lines, each ended by LF as nc would."""
        self.send_raw(b"".join(line.encode() + b"\n" for line in lines))

    def send_raw(self, data: bytes) -> None:
        if not self.is_closed:
            self.transport.write(data)

    async def expect(self, wanted: Callable[[str], bool], timeout: float) -> str:
        """Read (and drop) queued lines until one is ``wanted``; return it.

        Raise :class:`Closed` if the connection closes first, TimeoutError after ``timeout``.
        """
        async with asyncio.timeout(timeout):
            while True:
                while self.lines:
                    line = self.lines.popleft()
                    if wanted(line):
                        return line
                if self.is_closed:
                    raise Closed(f"closed by the server after {self.last_line!r}")
                self._wakeup = asyncio.get_running_loop().create_future()
                await self._wakeup

    async def expect_line(self, text: str, timeout: float) -> str:
        return await self.expect(lambda line: line == text, timeout)

    async def wait_closed(self, timeout: float) -> None:
        """Wait for the server to close the connection (TimeoutError after ``timeout``)."""
        async with asyncio.timeout(timeout):
            await asyncio.shield(self.closed)

    def stop_reading(self) -> None:
        """Never read again: the server's output piles up in the kernel, then in the server."""
        self.transport.pause_reading()

    def tcp_state(self) -> int:
        """The kernel's TCP state for this socket (``TCP_ESTABLISHED`` while the server keeps it).

        This tells a client that stopped reading whether the server has reset or closed its end,
        without reading the megabytes that may be waiting.  Linux only.
        """
        sock = self.transport.get_extra_info("socket")
        if sock is None or sock.fileno() < 0:
            return 0
        return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0]

    def close(self) -> None:
        """Close after sending what is queued (a FIN, as nc does on end of input)."""
        if self.transport is not None:
            self.transport.close()

    def reset(self) -> None:
        """Abort with a TCP RST (SO_LINGER 0), as a crashing client would."""
        if self.transport is None:
            return
        sock = self.transport.get_extra_info("socket")
        if sock is not None and sock.fileno() >= 0:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()


async def connect(
    port: int,
    on_line: Callable[[str], None],
    timeout: float,
    receive_buffer: int = 0,
    on_telnet: Callable[[list[bytes]], None] | None = None,
) -> LineConnection:
    """Open a connection to the server on ``port``; ``receive_buffer`` shrinks SO_RCVBUF."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        if receive_buffer:  # before connecting, so that the advertised window is small too
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        async with asyncio.timeout(timeout):
            await loop.sock_connect(sock, (HOST, port))
            _, connection = await loop.create_connection(
                lambda: LineConnection(on_line, on_telnet), sock=sock
            )
    except BaseException:
        sock.close()
        raise
    return connection
