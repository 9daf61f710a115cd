"""A redis-server of a test's own, as the ``redis`` fixture (a pytest plugin, registered by
``tests/conftest.py``), for the cluster's end-to-end tests.

It listens on a free loopback port, keeps its files in the test's temporary directory, with the
append-only file on and no snapshots, and is stopped by its PID.  Without redis-server the tests
that use it are skipped, except under CI (``.ci/run`` installs it), where they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

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
    """A redis-server of the test's own, with AOF on, stopped by its PID."""

    def __init__(self, folder: Path, password: str | None = None) -> None:
        self.folder = folder
        self.password = password
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"tcp:127.0.0.1:{self.port}"

    def start(self) -> None:
        assert REDIS_SERVER is not None, "redis-server is not installed"
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
             str(self.folder), "--save", "", "--appendonly", "yes",
             *(["--requirepass", self.password] if self.password else [])],
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
        with socket.create_connection(("127.0.0.1", self.port), timeout=WAIT) as connection:
            connection.sendall(request.encode())
            reply = b""
            while not reply.endswith(b"\r\n"):
                chunk = connection.recv(65536)
                if not chunk:
                    break
                reply += chunk
        return reply.split(b"\r\n")[0]


@pytest.fixture
def redis(tmp_path):
    server = Redis(tmp_path)
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
