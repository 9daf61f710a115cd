"""The installed daemon as a person runs it: ``twistd -n chatd`` in a subprocess, raw sockets.

Every daemon runs from a scratch directory with ``PYTHONPATH`` removed, so it can only find chatd
and its plugin through the installation.  Each one is stopped by its PID when the test ends.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

#: Upper bound for any single wait; loopback answers in milliseconds.
WAIT = 10.0

TWISTD = str(Path(sys.executable).parent / "twistd")
PROJECT = Path(__file__).resolve().parents[2]
_LISTENING = re.compile(rb"starting on (\d+)")


def clean_environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env["TZ"] = "UTC"
    return env


@pytest.fixture
def run_twistd(tmp_path):
    """Run the installed twistd to completion in a scratch directory; return what it printed."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return _run(args, tmp_path)

    return run


def _run(args, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TWISTD, *args],
        cwd=cwd,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


class Daemon:
    """A running ``twistd -n`` whose log goes to a file the test can read."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
        self.log_path = cwd / "twistd.log.out"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [TWISTD, "-n", "--pidfile=", *args],
            cwd=cwd,
            env=env or clean_environment(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def log(self) -> str:
        return self.log_path.read_bytes().decode("utf-8", "replace")

    def ports(self, count: int = 1) -> list[int]:
        """The ports of the first ``count`` listeners, read from twistd's log."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            found = [int(port) for port in _LISTENING.findall(self.log_path.read_bytes())]
            if len(found) >= count:
                return found[:count]
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"twistd did not start listening; its log:\n{self.log()}")

    def stop(self, signum: int = signal.SIGTERM, timeout: float = WAIT) -> int:
        """Signal the daemon and return its exit code; kill it if it does not exit in time."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError(f"twistd did not exit within {timeout}s:\n{self.log()}")
        self._log.close()
        return self.process.returncode

    def stop_cleanly(self, signum: int = signal.SIGTERM, timeout: float = WAIT) -> None:
        """Signal the daemon and check that it shut down in order.

        twistd re-raises the signal that stopped it once the shutdown is done, so a clean stop
        exits "killed by SIGTERM" (143 in a shell) after logging "Server Shut Down.".
        """
        assert self.stop(signum, timeout) == -signum, self.log()
        assert "Server Shut Down." in self.log()

    def terminate(self) -> None:
        """Stop the daemon whatever state it is in (fixture teardown)."""
        try:
            self.stop()
        except AssertionError:
            pass  # it was killed; the test itself reports what went wrong


class Peer:
    """A raw socket client, as ``nc`` would be: sends bytes, reads CRLF lines."""

    def __init__(self, port: int, ending: bytes = b"\n", wrap=None) -> None:
        raw = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        self.sock = wrap(raw) if wrap else raw
        self.ending = ending
        self.buffer = b""
        self.closed = False

    def send(self, *lines: str) -> None:
        self.sock.sendall(b"".join(line.encode() + self.ending for line in lines))

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self, deadline: float) -> bool:
        self.sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = self.sock.recv(65536)
        except (TimeoutError, socket.timeout):
            return False
        if not chunk:
            self.closed = True
            return False
        self.buffer += chunk
        return True

    def expect(self, line: str) -> list[str]:
        """Read until ``line`` arrives; return the lines that came before it."""
        wanted = line.encode() + b"\r\n"
        deadline = time.monotonic() + WAIT
        while wanted not in self.buffer:
            if self.closed or time.monotonic() > deadline:
                raise AssertionError(f"never got {line!r}; got {self.buffer[-500:]!r}")
            self._fill(deadline)
        before, self.buffer = self.buffer.split(wanted, 1)
        return before.decode().split("\r\n")[:-1]

    def next_line(self) -> str:
        """Read and return the next whole line."""
        deadline = time.monotonic() + WAIT
        while b"\r\n" not in self.buffer:
            if self.closed or time.monotonic() > deadline:
                raise AssertionError(f"no further line; got {self.buffer[-500:]!r}")
            self._fill(deadline)
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line.decode()

    def expect_eof(self) -> bytes:
        """Read until the server closes the connection; return what came before."""
        deadline = time.monotonic() + WAIT
        while not self.closed:
            if time.monotonic() > deadline:
                raise AssertionError(f"the server did not close; got {self.buffer[-500:]!r}")
            self._fill(deadline)
        rest, self.buffer = self.buffer, b""
        return rest

    def join(self, name: str) -> None:
        self.expect("* Please enter a username:")
        self.send(name)
        self.expect(f"* Welcome {name}! If you ever want to quit, type <quit> to exit.")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def daemon(tmp_path):
    """Start ``twistd -n chatd ARGS``; every daemon started is stopped at the end of the test."""
    started: list[Daemon] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Daemon:
        started.append(Daemon(list(args), tmp_path, env))
        return started[-1]

    yield start
    for one in started:
        one.terminate()
    for one in started:
        log = one.log()
        assert "Traceback" not in log and "Unhandled Error" not in log, log


@pytest.fixture
def peers():
    """Open raw clients with ``connect(port)``; all are closed at the end of the test."""
    opened: list[Peer] = []

    def connect(port: int, **options) -> Peer:
        opened.append(Peer(port, **options))
        return opened[-1]

    yield connect
    for peer in opened:
        peer.close()
