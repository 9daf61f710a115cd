"""The daemon under test: the installed ``twistd -n --pidfile= chatd`` on loopback, in a subprocess.

Its output goes straight to a log file (no thread needed to drain a pipe); the port it picked is
read from Twisted's ``... starting on PORT`` line.  It runs in its own session, so a Ctrl-C meant
for the soak does not reach it first, and the kernel sends it SIGTERM should the soak itself die
without cleaning up (see :data:`DIE_WITH_PARENT`).  :meth:`Server.stop` is safe to call in any
state and more than once.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

TWISTD = Path(sys.executable).parent / "twistd"
_STARTED = re.compile(r"starting on (\d+)\n")
_PR_SET_PDEATHSIG = 1
#: Server options the soak reports on, because they decide what the load should provoke.
LIMIT_OPTIONS = (
    "max-clients",
    "max-line-length",
    "max-send-buffer",
    "rate",
    "burst",
    "handshake-timeout",
    "idle-timeout",
    "max-per-ip",
    "arrival-rate",
    "private-rate",
)


class ServerError(Exception):
    """The daemon did not start, or its command line was refused."""


def clean_environment() -> dict[str, str]:
    """This environment without PYTHONPATH: the daemon must find chatd through its installation."""
    return {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}


def supported_options(twistd: Path, workdir: Path) -> dict[str, str | None]:
    """The long options ``twistd chatd --help`` lists, each with its default (None if none shown).

    This is how the soak learns which limits the server under test has, without requiring them.
    """
    try:
        result = subprocess.run(
            [str(twistd), "chatd", "--help"],
            cwd=workdir,
            env=clean_environment(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ServerError(f"cannot run {twistd} chatd --help: {error}") from error
    if result.returncode != 0:
        raise ServerError(f"{twistd} chatd --help failed:\n{result.stdout}{result.stderr}")
    return parse_help(result.stdout)


def parse_help(text: str) -> dict[str, str | None]:
    """Options and defaults from usage.Options help text, whose descriptions wrap over lines."""
    options: dict[str, str | None] = {}
    entries = re.split(r"\n(?=\s*(?:-\w, )?--[\w-])", text)
    for entry in entries:
        name = re.match(r"\s*(?:-\w, )?--([\w-]+)", entry)
        if name is None:
            continue
        default = re.search(r"\[default:\s*([^\]]*)\]", " ".join(entry.split()))
        options[name.group(1)] = default.group(1).strip() if default else None
    return options


#: ``python -c DIE_WITH_PARENT TWISTD ARGS...`` asks the kernel to send the daemon SIGTERM should
#: the soak die without cleaning up, even by SIGKILL (Linux's PR_SET_PDEATHSIG, which survives
#: exec), then becomes ``TWISTD ARGS...`` in the same process, so the PID is the daemon's.
DIE_WITH_PARENT = (
    "import ctypes, os, signal, sys; "
    f"ctypes.CDLL(None).prctl({_PR_SET_PDEATHSIG}, signal.SIGTERM); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)


def spawn(
    command: list[str],
    cwd: Path,
    log_path: Path,
    preexec_fn: Callable[[], None] | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``command`` in a session of its own, output to ``log_path``, dying with us."""
    with open(log_path, "wb") as log:
        return subprocess.Popen(
            [sys.executable, "-c", DIE_WITH_PARENT, *command],
            cwd=cwd,
            env=clean_environment(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=preexec_fn,
        )


@dataclass(frozen=True)
class Stopped:
    status: int | None  # as Popen reports it: -15 after SIGTERM; None if it never started
    signalled: bool  # False if it had exited before the soak asked it to
    seconds: float  # from SIGTERM to exit
    killed: bool  # True if SIGTERM was not enough


def loopback_chatd(twistd: Path, extra_args: list[str]) -> list[str]:
    """chatd in the foreground on a free loopback port, with no pid file to clash over."""
    loopback = ["--port", "0", "--interface", "127.0.0.1"]
    return [str(twistd), "-n", "--pidfile=", "chatd", *loopback, *extra_args]


class Server:
    """``twistd -n --pidfile= chatd --port 0 --interface 127.0.0.1 EXTRA...``, logging to a file."""

    def __init__(self, twistd: Path, extra_args: list[str], workdir: Path) -> None:
        self.args = loopback_chatd(twistd, extra_args)
        self.workdir = workdir
        self.log_path = workdir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.port: int | None = None
        self.stopped: Stopped | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def start(self, timeout: float = 30.0) -> int:
        """Start the daemon and return the port it listens on."""
        self.process = spawn(self.args, self.workdir, self.log_path)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = _STARTED.search(self.log())
            if found:
                self.port = int(found.group(1))
                return self.port
            if self.process.poll() is not None:
                last = self.log().strip().splitlines()[-1:] or ["(no output)"]
                raise ServerError(f"twistd exited with status {self.process.returncode}: {last[0]}")
            time.sleep(0.05)
        raise ServerError(f"twistd did not log its port within {timeout} s")

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, grace: float = 15.0) -> Stopped:
        """SIGTERM, wait up to ``grace`` seconds, then SIGKILL; report how it went."""
        if self.stopped is not None:
            return self.stopped
        if self.process is None or self.process.poll() is not None:
            status = None if self.process is None else self.process.returncode
            self.stopped = Stopped(status, signalled=False, seconds=0.0, killed=False)
            return self.stopped
        started = time.monotonic()
        killed = False
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            killed = True
            self.process.kill()
            self.process.wait()
        seconds = round(time.monotonic() - started, 2)
        self.stopped = Stopped(self.process.returncode, True, seconds, killed)
        return self.stopped


def limit_settings(supported: dict[str, str | None], extra_args: list[str]) -> dict[str, str]:
    """For each of :data:`LIMIT_OPTIONS`, the value in force and where it comes from."""
    given: dict[str, str] = {}
    args = iter(extra_args)
    for arg in args:
        if arg.startswith("--") and arg[2:].partition("=")[0] in LIMIT_OPTIONS:
            name, has_value, value = arg[2:].partition("=")
            given[name] = value if has_value else next(args, "")
    settings = {}
    for name in LIMIT_OPTIONS:
        if name not in supported:
            settings[name] = "not supported"
        elif name in given:
            settings[name] = f"{given[name]} (set)"
        else:
            settings[name] = f"{supported[name] or 'off'} (default)"
    return settings


def limit_value(settings: dict[str, str], name: str) -> float | None:
    """The number in force for limit ``name``, or None if it is off or not supported."""
    try:
        return float(settings.get(name, "").split()[0])
    except (IndexError, ValueError):
        return None
