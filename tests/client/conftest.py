"""Fixtures for the client tests: a fake terminal, and the installed programs as subprocesses.

``screen`` is Twisted's in-memory terminal emulator (:class:`twisted.conch.insults.helper.
TerminalBuffer`) behind the escape-sequence parser a real terminal has: tests write what the
client wrote and read back what a person would see.

The subprocess fixtures run what a person runs: the installed ``chatd-client``, found next to
``sys.executable`` and started with ``PYTHONPATH`` removed, so only the installation counts,
against the installed daemon and nc-style peers of the shared harness
(``tests/installed_daemon.py``: ``daemon``, ``module_daemon``, ``peers``).
Every wait is bounded and every process is stopped by its PID when the test ends.
"""

from __future__ import annotations

import fcntl
import os
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path

import pytest
from twisted.conch.insults import helper, insults
from twisted.internet.testing import StringTransport

#: Upper bound for any single wait; loopback answers in milliseconds.
WAIT = 10.0
BIN = Path(sys.executable).parent
TWISTD = str(BIN / "twistd")
CLIENT = str(BIN / "chatd-client")
LOCAL = "interface=127.0.0.1"


class Screen:
    """A small terminal: what was written to it, as rows of text and a cursor position."""

    def __init__(self, width: int = 40, height: int = 8) -> None:
        self.buffer = helper.TerminalBuffer()
        self.buffer.width, self.buffer.height = width, height
        self.buffer.connectionMade()
        self._parser = insults.ClientProtocol(lambda: self.buffer)
        self._parser.makeConnection(StringTransport())

    def write(self, data: bytes | str) -> None:
        self._parser.dataReceived(data.encode() if isinstance(data, str) else data)

    def rows(self) -> list[str]:
        """The screen's rows, without trailing blanks, down to the last row with text."""
        rows = [row.rstrip() for row in bytes(self.buffer).decode().split("\n")]
        while rows and not rows[-1].strip():
            rows.pop()
        return rows

    @property
    def cursor(self) -> tuple[int, int]:
        """(column, row) of the cursor."""
        return self.buffer.x, self.buffer.y


@pytest.fixture
def screen() -> Screen:
    return Screen()


def clean_environment(**extra: str) -> dict[str, str]:
    """This environment without PYTHONPATH or NO_COLOR, in UTC, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NO_COLOR")}
    env["TZ"] = "UTC"
    env.update(extra)
    return env


class Output:
    """Bytes a thread reads from a pipe or pty, which a test waits on with a deadline."""

    def __init__(self, read) -> None:
        self._read = read
        self.data = b""
        self.ended = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = self._read()
            except OSError:  # a pty whose other end closed
                chunk = b""
            with self._changed:
                if not chunk:
                    self.ended = True
                    self._changed.notify_all()
                    return
                self.data += chunk
                self._changed.notify_all()

    def text(self) -> str:
        with self._changed:
            return self.data.decode("utf-8", "replace")

    def wait_for(self, predicate, what: str, timeout: float = WAIT) -> None:
        """Wait until ``predicate(text)`` holds; fail saying ``what`` did not happen."""
        with self._changed:
            self._changed.wait_for(lambda: self.ended or predicate(self.text()), timeout)
            if not predicate(self.text()):
                raise AssertionError(f"{what}; got:\n{self.text()}")

    def wait_end(self, timeout: float = WAIT) -> str:
        self._thread.join(timeout)
        return self.text()


@pytest.fixture(scope="module")
def server_port(module_daemon) -> int:
    """The port of a plain TCP daemon on 127.0.0.1 shared by one test module, history off."""
    # Every window (or client) of the module connects from 127.0.0.1, one after another:
    # the per-address limits would count them as one person cycling through connections.
    return module_daemon(
        "chatd", "--listen", f"tcp:0:{LOCAL}", "--history", "0",
        "--max-per-ip", "0", "--arrival-rate", "0",
    ).ports()[0]  # fmt: skip


class Client:
    """A running ``chatd-client ARGS`` with pipes: write its stdin, wait on its stdout/stderr."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [CLIENT, *args],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.stdout = Output(lambda: self.process.stdout.read1(65536))
        self.stderr = Output(lambda: self.process.stderr.read1(65536))

    def type(self, *lines: str) -> None:
        self.process.stdin.write(b"".join(line.encode() + b"\n" for line in lines))
        self.process.stdin.flush()

    def end_input(self) -> None:
        self.process.stdin.close()

    def wait_for_line(self, line: str, timeout: float = WAIT) -> None:
        self.stdout.wait_for(lambda text: line in text.splitlines(), f"no line {line!r}", timeout)

    def wait_exit(self, timeout: float = WAIT) -> int:
        """The exit status, once the client has exited and its output has been read."""
        try:
            status = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"chatd-client still running:\n{self.stdout.text()}") from None
        self.stdout.wait_end()
        self.stderr.wait_end()
        return status

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout, self.process.stderr):
            try:
                pipe.close()
            except OSError:
                pass


@pytest.fixture
def client():
    """``client(*ARGS, **ENV)`` starts the installed chatd-client with pipes; killed after."""
    started: list[Client] = []

    def start(*args: str, **env: str) -> Client:
        started.append(Client(list(args), clean_environment(**env)))
        return started[-1]

    yield start
    for one in started:
        one.stop()


@pytest.fixture
def run_client():
    """``run_client(*ARGS, input=b"...")`` runs chatd-client to completion with pipes."""

    def run(*args: str, input: bytes = b"", timeout: float = WAIT) -> subprocess.CompletedProcess:
        return subprocess.run(
            [CLIENT, *args],
            input=input,
            env=clean_environment(),
            capture_output=True,
            timeout=timeout,
            check=False,
        )

    return run


class TerminalClient:
    """``chatd-client ARGS`` on a pseudo-terminal of 80x24, as a person at a terminal runs it."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.master, self.slave = os.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.settings_before = termios.tcgetattr(self.slave)
        self.process = subprocess.Popen(
            [CLIENT, *args],
            env=env,
            stdin=self.slave,
            stdout=self.slave,
            stderr=self.slave,
            start_new_session=True,
        )
        self.output = Output(lambda: os.read(self.master, 65536))

    def keys(self, data: bytes) -> None:
        os.write(self.master, data)

    def screen(self) -> Screen:
        """What the terminal shows now, everything written so far replayed on a fresh screen."""
        screen = Screen(width=80, height=24)
        screen.write(self.output.data)
        return screen

    def wait_screen(self, predicate, what: str) -> Screen:
        """Wait until ``predicate(screen)`` holds for the screen the client has drawn."""
        self.output.wait_for(lambda _: predicate(self.screen()), what)
        return self.screen()

    def settings_now(self) -> list:
        return termios.tcgetattr(self.slave)

    def wait_exit(self, timeout: float = WAIT) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"chatd-client still running:\n{self.output.text()}") from None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.slave)  # the reader thread then gets EIO and ends
        self.output.wait_end()
        os.close(self.master)


@pytest.fixture
def terminal_client():
    """``terminal_client(*ARGS, **ENV)`` runs chatd-client on a pty; killed after the test."""
    started: list[TerminalClient] = []

    def start(*args: str, **env: str) -> TerminalClient:
        started.append(TerminalClient(list(args), clean_environment(TERM="xterm", **env)))
        return started[-1]

    yield start
    for one in started:
        one.stop()
