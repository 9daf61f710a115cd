"""The servers under test, each a subprocess pinned to one CPU, on a free loopback port.

chatd is the installed ``twistd -n --pidfile= chatd`` (the ``twistd`` next to this Python, run
with PYTHONPATH removed, in its own directory), in two variants: ``chatd`` with its default
on-disk SQLite store, the database in a new temporary directory of its own (``--db``), and
``chatd-memory`` with ``--db :memory:``, the in-process store; the baseline is
``python -m bench.fanout.baseline`` run from the repository root. Each writes its output to a log
file, from which the port is read (``... starting on PORT``). They run in their own session, get
SIGTERM from the kernel should the runner die (``DIE_WITH_PARENT`` from the soak), and
:meth:`ServerProcess.stop` stops them by PID: SIGTERM, then SIGKILL after a grace period.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.soak.server import TWISTD, loopback_chatd, spawn

REPO = Path(__file__).resolve().parents[2]
_STARTED = re.compile(r"starting on (\d+)\n")

#: chatd's options for this benchmark: flood control raised far above the offered load (so that
#: checking it stays on the measured path), room for the 10,000 users of scenario C, and no
#: per-address limits, since every simulated user connects from 127.0.0.1.
CHATD_ARGS = [
    "--rate", "1000000", "--burst", "1000000", "--max-clients", "20000",
    "--max-per-ip", "0", "--arrival-rate", "0",
]  # fmt: skip


#: The servers, in the table's order.
SERVERS = ("chatd", "chatd-memory", "baseline")

#: Seconds a server has to stop after SIGTERM: chatd with a database writes every line it has
#: received before it exits, and after a saturating step the store may be far behind the relay.
STOP_GRACE = {"chatd": 120.0}


class ServerError(Exception):
    """A server did not start."""


def parse_port(log: str) -> int | None:
    """The port from Twisted's (or the baseline's) ``... starting on PORT`` line, if logged yet."""
    found = _STARTED.search(log)
    return int(found.group(1)) if found else None


def chatd_command(
    twistd: Path = TWISTD, db: str | None = None, extra: tuple[str, ...] = ()
) -> list[str]:
    """chatd's command line: :data:`CHATD_ARGS`, ``--db db`` (None: the default, ``chatd.db``),
    then ``extra`` (``--chatd-arg``)."""
    return loopback_chatd(twistd, [*CHATD_ARGS, *([] if db is None else ["--db", db]), *extra])


def baseline_command() -> list[str]:
    return [sys.executable, "-m", "bench.fanout.baseline", "--port", "0"]


def pinned(cpu: int | None):
    """A ``preexec_fn`` that pins the child (and what it execs) to one CPU."""
    if cpu is None:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


class ServerProcess:
    def __init__(self, name: str, command: list[str], cwd: Path, log_path: Path, cpu: int | None):
        self.name = name
        self.command = command
        self.cwd = cwd
        self.log_path = log_path
        self.cpu = cpu
        self.process: subprocess.Popen[bytes] | None = None
        self.port: int | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 30.0) -> int:
        self.process = spawn(self.command, self.cwd, self.log_path, pinned(self.cpu))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.port = parse_port(self.log())
            if self.port is not None:
                return self.port
            if self.process.poll() is not None:
                last = self.log().strip().splitlines()[-1:] or ["(no output)"]
                raise ServerError(f"{self.name} exited with {self.process.returncode}: {last[0]}")
            time.sleep(0.05)
        self.stop()
        raise ServerError(f"{self.name} did not log its port within {timeout} s")

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, grace: float | None = None) -> str:
        """SIGTERM, then SIGKILL after ``grace`` seconds; say how it ended."""
        if grace is None:
            grace = STOP_GRACE.get(self.name, 10.0)
        if self.process is None:
            return "never started"
        if self.process.poll() is not None:
            return f"had exited ({self.process.returncode})"
        self.process.send_signal(signal.SIGTERM)
        began = time.monotonic()
        try:
            self.process.wait(grace)
            return f"stopped in {time.monotonic() - began:.1f} s"
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return f"killed after {grace:.0f} s"


def make_server(
    name: str,
    workdir: Path,
    cpu: int | None,
    twistd: Path = TWISTD,
    db: Path | None = None,
    chatd_extra: tuple = (),
) -> ServerProcess:
    """A fresh, unstarted server of :data:`SERVERS`, logging into ``workdir``; ``chatd`` keeps
    its database at ``db``; both chatd variants get the ``chatd_extra`` options."""
    workdir.mkdir(parents=True, exist_ok=True)
    if name == "chatd":
        command = chatd_command(twistd, None if db is None else str(db), chatd_extra)
        return ServerProcess(name, command, workdir, workdir / "server.log", cpu)
    if name == "chatd-memory":
        command = chatd_command(twistd, ":memory:", chatd_extra)
        return ServerProcess(name, command, workdir, workdir / "server.log", cpu)
        return ServerProcess(name, command, workdir, workdir / "server.log", cpu)
    if name == "baseline":
        return ServerProcess(name, baseline_command(), REPO, workdir / "server.log", cpu)
    raise ValueError(name)
