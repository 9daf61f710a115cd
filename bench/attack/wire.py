"""Loopback clients for the attack scenarios, and what the runner reads of the server in /proc.

:class:`Conn` is a raw non-blocking socket driven by asyncio's ``sock_*`` calls, with a line
buffer of its own: it reads only when asked, so an attacker that "stops reading" really leaves the
bytes in the kernel (asyncio's streams would keep reading into their own buffer). Sockets can be
bound to another loopback source address (127.0.0.2 is a different user to the server) and can
get a small receive buffer before they connect. TLS clients (scenario 1) are blocking, in
:func:`tls_prompt`, as they are only ever used one at a time.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import ssl
import struct
import time
from collections.abc import Callable

PROMPT = "* Please enter a username:"
WELCOME = "* Welcome "
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_bystanders = itertools.count()


def bystander() -> str:
    """A loopback address of its own, for a client that is not the attacker.

    Attackers connect from 127.0.0.1 (or 127.0.0.x when a scenario says so); everyone else, the
    users whose service is measured, comes from an address and a /24 of its own (127.2.0.1,
    127.2.1.1, ...), so that a server limiting connections per address or per network counts
    only the attack against the attacker.
    """
    number = next(_bystanders) % (250 * 256)
    return f"127.{2 + number // 256}.{number % 256}.1"


class Conn:
    """One connection to the server, read line by line only when the scenario asks."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""
        self.eof = False

    async def send(self, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode()
        await asyncio.get_running_loop().sock_sendall(self.sock, data)

    async def line(self, timeout: float) -> str | None:
        """The next line without its CRLF; None once the server has closed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while b"\n" not in self.buffer:
            if self.eof:
                return None
            left = deadline - loop.time()
            if left <= 0:
                raise TimeoutError
            try:
                data = await asyncio.wait_for(loop.sock_recv(self.sock, 65536), left)
            except (ConnectionError, OSError):
                data = b""
            if not data:
                self.eof = True
            self.buffer += data
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line.rstrip(b"\r").decode("utf-8", "replace")

    async def until(self, prefix: str, timeout: float) -> str | None:
        """Read up to the first line starting with ``prefix``; None on close or timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while (line := await self.line(deadline - loop.time())) is not None:
                if line.startswith(prefix):
                    return line
        except TimeoutError:
            pass
        return None

    async def join(self, name: str, timeout: float = 10.0) -> str:
        """Choose ``name``; return ``"ok"`` or the server's refusal (or ``"timeout"``).

        The ``* Online (K): ...`` line after the welcome is read too, so that a later
        :meth:`online` cannot take it for the answer to its ``/who``.
        """
        if await self.until(PROMPT, timeout) is None:
            return "no prompt"
        await self.send(f"{name}\r\n")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while (line := await self.line(deadline - loop.time())) is not None:
                if line.startswith(WELCOME):
                    online = await self.until("* Online (", deadline - loop.time())
                    return "ok" if online is not None else "no list of users"
                if line.startswith("! "):
                    return line
        except TimeoutError:
            return "timeout"
        return "closed"

    async def drain(self, on_line: Callable[[str], None] | None = None) -> None:
        """Read until the server closes (or the task is cancelled), passing each line on."""
        loop = asyncio.get_running_loop()
        while True:
            try:
                data = await loop.sock_recv(self.sock, 65536)
            except (ConnectionError, OSError):
                data = b""
            if not data:
                self.eof = True
                return
            if on_line is None:
                continue
            self.buffer += data
            *lines, self.buffer = self.buffer.split(b"\n")
            for line in lines:
                on_line(line.rstrip(b"\r").decode("utf-8", "replace"))

    async def online(self, timeout: float = 10.0) -> list[str] | None:
        """Ask ``/who``; the names listed, or None if no answer came."""
        await self.send("/who\r\n")
        answer = await self.until("* Online (", timeout)
        if answer is None:
            return None
        names = answer.partition("): ")[2]
        return [name for name in names.split(", ") if name]

    def close(self) -> None:
        self.sock.close()

    def reset(self) -> None:
        """Close with a TCP reset (SO_LINGER 0), as a killed client would."""
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.sock.close()


def raw_socket(source: str = "127.0.0.1", rcvbuf: int | None = None) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:
        # Before connect, so that the window the server sees is small from the start.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.bind((source, 0))
    return sock


async def connect(
    port: int, source: str = "127.0.0.1", rcvbuf: int | None = None, timeout: float = 10.0
) -> Conn:
    sock = raw_socket(source, rcvbuf)
    sock.setblocking(False)
    try:
        loop = asyncio.get_running_loop()
        await asyncio.wait_for(loop.sock_connect(sock, ("127.0.0.1", port)), timeout)
    except BaseException:
        sock.close()
        raise
    return Conn(sock)


def tls_context() -> ssl.SSLContext:
    """A client context that accepts the scenario's self-signed certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def tls_connect(port: int, source: str = "127.0.0.1", timeout: float = 5.0) -> ssl.SSLSocket:
    """A blocking TLS connection with its handshake done (raises on failure or timeout)."""
    sock = raw_socket(source)
    sock.settimeout(timeout)
    try:
        sock.connect(("127.0.0.1", port))
        return tls_context().wrap_socket(sock, server_hostname="localhost")
    except BaseException:
        sock.close()
        raise


def tls_prompt(port: int, source: str = "127.0.0.1", timeout: float = 5.0) -> bool:
    """Whether a new TLS client from ``source`` gets the username prompt within ``timeout``."""
    deadline = time.monotonic() + timeout
    try:
        with tls_connect(port, source, timeout) as sock:
            received = b""
            while PROMPT.encode() not in received:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                sock.settimeout(left)
                data = sock.recv(4096)
                if not data:
                    return False
                received += data
            return True
    except (OSError, ssl.SSLError):
        return False


def rss_kib(pid: int) -> int | None:
    """The process's resident memory (VmRSS) in KiB."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def open_fds(pid: int) -> int | None:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of the process so far."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return None
    # After the command name: state is field 3, utime 14 and stime 15 (1-based, man 5 proc).
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
