"""A redis-server of a test's own, as the ``redis`` fixture (a pytest plugin, registered by
``tests/conftest.py``), for the cluster's end-to-end tests.

It listens on a free loopback port, keeps its files in the test's temporary directory, with the
append-only file on and no snapshots (or, ``durable=False``, keeping nothing: restarted, it comes
back empty), and is stopped by its PID.  ``module_redis`` is one shared by a module's tests.
Without redis-server the tests that use it are skipped, except under CI (``.ci/run`` installs
it), where they fail.

:meth:`Redis.query` reads whole replies (arrays too), for tests that look at the keys the nodes
keep.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from installed_daemon import WAIT

REDIS_SERVER = shutil.which("redis-server")

needs_redis = pytest.mark.skipif(
    REDIS_SERVER is None and not os.environ.get("CI"), reason="redis-server is not installed"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Redis:
    """A redis-server of the test's own, with AOF on (or nothing kept), stopped by its PID; on a
    loopback port, or (``unix``) only on a Unix socket in its folder."""

    def __init__(
        self, folder: Path, password: str | None = None, durable: bool = True, unix: bool = False
    ) -> None:
        self.folder = folder
        self.password = password
        self.durable = durable
        self.port = 0 if unix else free_port()
        self.socket_path = folder / "redis.sock" if unix else None
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        if self.socket_path is not None:
            return f"unix:{self.socket_path}"
        return f"tcp:127.0.0.1:{self.port}"

    def _connect(self, timeout: float) -> socket.socket:
        if self.socket_path is not None:
            connection = socket.socket(socket.AF_UNIX)
            connection.settimeout(timeout)
            connection.connect(str(self.socket_path))
            return connection
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)

    def start(self) -> None:
        assert REDIS_SERVER is not None, "redis-server is not installed"
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
             str(self.folder), "--save", "", "--appendonly", "yes" if self.durable else "no",
             *(["--requirepass", self.password] if self.password else []),
             *(["--unixsocket", str(self.socket_path), "--unixsocketperm", "700"]
               if self.socket_path is not None else [])],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + WAIT
        while True:
            try:
                if self.command("PING") in (b"+PONG", b"+OK"):  # +OK: the AUTH before it
                    return
            except OSError:
                pass
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(WAIT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def command(self, *words: str) -> bytes:
        """One command's first reply line, over a connection of its own (after AUTH if the
        server has a password: then that is AUTH's reply)."""
        commands = [("AUTH", self.password), words] if self.password else [words]
        request = "".join(
            f"*{len(each)}\r\n" + "".join(f"${len(w)}\r\n{w}\r\n" for w in each)
            for each in commands
        )
        with self._connect(WAIT) as connection:
            connection.sendall(request.encode())
            reply = b""
            while not reply.endswith(b"\r\n"):
                chunk = connection.recv(65536)
                if not chunk:
                    break
                reply += chunk
        return reply.split(b"\r\n")[0]

    def query(self, *commands: tuple[str, ...], timeout: float = WAIT) -> list[Any]:
        """The whole reply of each command, over a connection of its own: bytes, ints, lists,
        None, or a :class:`RedisError` for an error reply."""
        if self.password:
            commands = (("AUTH", self.password), *commands)
        request = b"".join(_encode(each) for each in commands)
        with self._connect(timeout) as connection:
            connection.sendall(request)
            stream = connection.makefile("rb")  # one buffer for every reply
            replies = [_read_reply(stream) for _ in commands]
        return replies[1:] if self.password else replies


class RedisError(Exception):
    """An error reply (``-ERR ...``)."""


def _encode(words: tuple[str, ...]) -> bytes:
    parts = [f"*{len(words)}\r\n".encode()]
    for word in words:
        data = str(word).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


def _read_reply(stream: Any) -> Any:
    """One RESP2 reply from ``stream``."""
    line = stream.readline()
    if not line.endswith(b"\r\n"):
        raise ConnectionError("redis closed the connection mid-reply")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest
    if kind == b"-":
        return RedisError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        size = int(rest)
        return None if size < 0 else stream.read(size + 2)[:-2]
    if kind == b"*":
        count = int(rest)
        return None if count < 0 else [_read_reply(stream) for _ in range(count)]
    raise ConnectionError(f"not a RESP reply: {line!r}")


@pytest.fixture
def redis(tmp_path):
    server = Redis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def module_redis(tmp_path_factory):
    """Like ``redis``, for a Redis shared by the tests of one module."""
    server = Redis(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


LOCAL = "interface=127.0.0.1"


def node(daemon, redis, name, *extra):
    """A daemon joined to the cluster at ``redis``, and its port, once connected to Redis."""
    server = daemon(
        "chatd", "--listen", f"tcp:0:{LOCAL}", "--db", ":memory:", "--redis", redis.endpoint,
        "--node-name", name, "--rate", "0", *extra,
    )  # fmt: skip
    (port,) = server.ports()
    server.wait_for_log(r"caught up with the cluster")
    return server, port
