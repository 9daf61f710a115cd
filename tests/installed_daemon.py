"""The installed daemon as a person runs it: ``twistd -n chatd`` in a subprocess, raw sockets.

Every twistd runs from a scratch directory with ``PYTHONPATH`` removed, so it finds chatd and its
plugin only through the installation.  Its log (stdout) is drained by a thread, which is how the
tests learn the port (``... starting on PORT``) and wait for log lines without sleeping.  Each
daemon is stopped by its PID in a fixture teardown, and the log of every daemon a test used is
attached to the report when the test fails.

A pytest plugin (registered by ``tests/conftest.py``), so that the end-to-end tests of the
daemon (``tests/e2e``) and of chatd-client (``tests/client``) share one harness: the fixtures
``daemon``, ``module_daemon``, ``run_twistd`` and ``peers``.
"""

from __future__ import annotations

import os
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

#: Upper bound for any single wait; loopback answers in milliseconds.
WAIT = 10.0

TWISTD = str(Path(sys.executable).parent / "twistd")
PROMPT = "* Please enter a username:"


def clean_environment(**extra: str) -> dict[str, str]:
    """This process's environment without PYTHONPATH, in UTC so tests can predict [HH:MM]."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env["TZ"] = "UTC"
    env.update(extra)
    return env


# Which daemons each test used, so that a failure report can carry their logs.
_LOGS = pytest.StashKey[list]()
_running: list[Daemon] = []
_current_item: list[pytest.Item] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    item.stash[_LOGS] = list(_running)  # module-scoped daemons started by earlier tests
    _current_item[:] = [item]
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed:
        for number, daemon in enumerate(item.stash.get(_LOGS, []), 1):
            report.sections.append((f"twistd log {number}: {' '.join(daemon.args)}", daemon.log()))
    return report


@pytest.fixture
def run_twistd(tmp_path):
    """Run the installed twistd to completion in a scratch directory; return what it printed."""

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [TWISTD, *args],
            check=False,
            cwd=tmp_path,
            env=clean_environment(**(env or {})),
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )

    return run


def _prepare_child(extra) -> None:
    """Runs in the child before twistd: SIGINT back to its default, then ``extra``, if any.

    A shell runs background jobs with SIGINT ignored, and an ignored SIGINT is inherited; Python
    and Twisted then leave it ignored, and the SIGINT tests would wait for a shutdown that never
    starts (seen when the suite ran with ``&``).
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    if extra is not None:
        extra()


class Daemon:
    """A running ``twistd -n --pidfile= ARGS`` (or ``COMMAND ARGS``) whose output a thread
    collects."""

    #: Texts whose log records (with the traceback under them) are no error (allow_in_log).
    _allowed: tuple[str, ...] = ()

    def __init__(
        self,
        args: list[str],
        cwd: Path,
        env: dict[str, str],
        preexec_fn=None,
        command: list[str] | None = None,
    ) -> None:
        self.args = [*(command or [TWISTD, "-n", "--pidfile="]), *args]
        self._output = b""
        self._changed = threading.Condition()
        self._ended = False
        self.process = subprocess.Popen(
            self.args,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            preexec_fn=lambda: _prepare_child(preexec_fn),
        )
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        _running.append(self)
        if _current_item:
            _current_item[0].stash.setdefault(_LOGS, []).append(self)

    def _drain(self) -> None:
        while chunk := self.process.stdout.read1(65536):
            with self._changed:
                self._output += chunk
                self._changed.notify_all()
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def log(self) -> str:
        with self._changed:
            return self._output.decode("utf-8", "replace")

    def wait_for_log(self, pattern: str, count: int = 1) -> list[str]:
        """Wait until ``pattern`` matched ``count`` times in the log; return the matches."""
        regex = re.compile(pattern)
        with self._changed:
            self._changed.wait_for(
                lambda: self._ended or len(regex.findall(self.log())) >= count, WAIT
            )
            found = regex.findall(self.log())
        assert len(found) >= count, f"{pattern!r} not logged {count} times; log:\n{self.log()}"
        return found[:count]

    def ports(self, count: int = 1) -> list[int]:
        """The real ports of the first ``count`` listeners, from Twisted's "starting on" lines."""
        return [int(port) for port in self.wait_for_log(r"starting on (\d+)\n", count)]

    def signal(self, signum: int) -> float:
        """Send ``signum``; return the monotonic time it was sent."""
        self.process.send_signal(signum)
        return time.monotonic()

    def wait_exit(self, timeout: float = WAIT) -> int:
        """The exit status once twistd has exited (and its whole log has been read)."""
        try:
            status = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"twistd still running after {timeout}s:\n{self.log()}") from None
        self._reader.join(WAIT)
        return status

    def peak_memory_kib(self) -> int | None:
        """The daemon's peak resident set size so far (Linux only; None elsewhere)."""
        status = Path(f"/proc/{self.process.pid}/status")
        if not status.exists():
            return None
        match = re.search(r"^VmHWM:\s+(\d+) kB", status.read_text(), re.MULTILINE)
        return int(match.group(1)) if match else None

    def allow_in_log(self, text: str) -> None:
        """Log records that contain ``text`` (with the traceback under them) are no error, for
        the test's own checks and the fixture's after it."""
        self._allowed = (*self._allowed, text)

    def assert_no_errors(self) -> None:
        """No traceback and no unhandled error in the log, but in records :meth:`allow_in_log`
        allowed."""
        log = self.log()
        if self._allowed:
            records = re.split(r"\n(?=\d{4}-\d\d-\d\dT)", log)
            log = "\n".join(
                record for record in records if not any(text in record for text in self._allowed)
            )
        assert "Traceback" not in log, log
        assert "Unhandled Error" not in log, log

    def terminate(self) -> None:
        """Stop the daemon by its PID whatever state it is in: SIGTERM, wait, then SIGKILL."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(WAIT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(WAIT)
        self.process.stdout.close()
        if self in _running:  # a test may stop a daemon itself before the fixture does
            _running.remove(self)


def _daemon_factory(folder: Path):
    started: list[Daemon] = []

    def start(
        *args: str,
        env: dict[str, str] | None = None,
        preexec_fn=None,
        command: list[str] | None = None,
    ) -> Daemon:
        environment = clean_environment(**(env or {}))
        started.append(
            Daemon(list(args), folder, environment, preexec_fn=preexec_fn, command=command)
        )
        return started[-1]

    return start, started


@pytest.fixture
def daemon(tmp_path):
    """``daemon(*ARGS, env={...}, preexec_fn=..., command=[...])`` starts ``twistd -n
    --pidfile= ARGS`` (or ``COMMAND ARGS``) with extra environment variables (and a function
    run in the child before twistd, say to set resource limits); each daemon is stopped after
    the test."""
    start, started = _daemon_factory(tmp_path)
    yield start
    for one in started:
        one.terminate()
    for one in started:
        one.assert_no_errors()


@pytest.fixture(scope="module")
def module_daemon(tmp_path_factory):
    """Like ``daemon``, for a daemon shared by the tests of one module."""
    start, started = _daemon_factory(tmp_path_factory.mktemp("chatd"))
    yield start
    for one in started:
        one.terminate()
    for one in started:
        one.assert_no_errors()


def _loopback_addresses():
    """127.0.1.1, 127.0.1.2, ... 127.0.1.254, and round again: one address per peer."""
    while True:
        for host in range(1, 255):
            yield f"127.0.1.{host}"


#: Where each peer connects from.  Linux routes all of 127/8 to the loopback interface, so each
#: peer can be a different person to the per-address limits, as the users of a real chat are.
_SOURCES = _loopback_addresses()


class Peer:
    """A raw socket client, as ``nc`` would be: sends bytes, reads CRLF-terminated lines.

    Each peer comes from an address of its own (127.0.1.N), so that a test's users do not share
    one address's budget of connections unless the test asks for that (``source``).
    """

    def __init__(self, port: int, ending: bytes = b"\n", wrap=None, source: str | None = None):
        raw = socket.create_connection(
            ("127.0.0.1", port), timeout=WAIT, source_address=(source or next(_SOURCES), 0)
        )
        self.sock = wrap(raw) if wrap else raw
        self.ending = ending
        self.buffer = b""
        self.closed = False

    def send(self, *lines: str) -> None:
        self.sock.sendall(b"".join(line.encode() + self.ending for line in lines))

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self, deadline: float) -> None:
        self.sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = self.sock.recv(65536)
        except TimeoutError:
            return
        except ConnectionResetError:
            chunk = b""
        self.buffer += chunk
        self.closed = not chunk

    def _read_until(self, marker: bytes, what: str, timeout: float = WAIT) -> bytes:
        deadline = time.monotonic() + timeout
        while marker not in self.buffer:
            if self.closed or time.monotonic() > deadline:
                raise AssertionError(f"never got {what}; last bytes: {self.buffer[-500:]!r}")
            self._fill(deadline)
        before, self.buffer = self.buffer.split(marker, 1)
        return before

    def ready_lines(self) -> list[str]:
        """The whole lines that have arrived, without waiting, each without its CRLF.

        For tests whose other end runs in this process's reactor (the GUI's), which a blocking
        read would stop.
        """
        while not self.closed and select.select([self.sock], [], [], 0)[0]:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            self.buffer += chunk
            self.closed = not chunk
        *lines, self.buffer = self.buffer.split(b"\r\n")
        return [line.decode() for line in lines]

    def next_line(self) -> str:
        """The next whole line, without its CRLF."""
        return self._read_until(b"\r\n", "a whole line").decode()

    def lines(self, count: int) -> list[str]:
        return [self.next_line() for _ in range(count)]

    def expect(self, line: str) -> list[str]:
        """Read until ``line`` arrives; return the lines that came before it."""
        before = self._read_until(line.encode() + b"\r\n", repr(line))
        return before.decode().split("\r\n")[:-1]

    def expect_eof(self, timeout: float = WAIT) -> bytes:
        """Read until the server closes the connection; return what came before."""
        deadline = time.monotonic() + timeout
        while not self.closed:
            if time.monotonic() > deadline:
                raise AssertionError(f"the server did not close; got {self.buffer[-500:]!r}")
            self._fill(deadline)
        rest, self.buffer = self.buffer, b""
        return rest

    @staticmethod
    def welcome(name: str) -> str:
        return f"* Welcome {name}! If you ever want to quit, type <quit> to exit."

    def expect_prompt(self) -> list[str]:
        """Read up to the username prompt; return the lines before it (the message of the day)."""
        return self.expect(PROMPT)

    def join(self, name: str) -> str:
        """Do the handshake as ``name``; return the ``* Online`` line that follows the welcome."""
        self.expect_prompt()
        self.send(name)
        assert self.next_line() == self.welcome(name)
        return self.next_line()

    def close(self) -> None:
        """Close this end, as nc does when its user presses Ctrl-C."""
        self.sock.close()
        self.closed = True

    def reset(self) -> None:
        """Abort the connection with a TCP RST (SO_LINGER 0), as a crashing client would."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close()

    def leave(self) -> None:
        """Quit if still connected and wait for the server to close, so no user lingers."""
        try:
            if not self.closed:
                self.send_raw(b"\n/quit\n")  # the newline ends any half-sent line first
                self.expect_eof(timeout=2)
        except (OSError, AssertionError):
            pass
        self.sock.close()


@pytest.fixture
def peers():
    """``peers(port, ...)`` opens a raw client; all of them quit and close after the test."""
    opened: list[Peer] = []

    def connect(port: int, **options) -> Peer:
        opened.append(Peer(port, **options))
        return opened[-1]

    yield connect
    for peer in opened:
        peer.leave()
