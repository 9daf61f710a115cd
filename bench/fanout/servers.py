"""The servers under test, each a subprocess pinned to one CPU, on a free loopback port.

chatd is the installed ``twistd -n --pidfile= chatd`` (the ``twistd`` next to this Python, run
with PYTHONPATH removed, in its own directory), in three variants: ``chatd`` with its default
on-disk SQLite store, the database in a new temporary directory of its own (``--db``),
``chatd-memory`` with ``--db :memory:``, the in-process store, and ``chatd-metrics``, ``chatd``
serving Prometheus metrics too (``--metrics``). ``chatd-before`` is chatd at an earlier revision,
from its own venv (:mod:`bench.fanout.before`). The baseline is ``python -m
bench.fanout.baseline`` run from the repository root. Each writes its output to a log file, from
which the port is read (``... starting on PORT``): the line door's, or for a step of the web door
(scenario W) the WebSocket's, chatd then being started with :data:`WEB_ARGS` too.  They run in
their own session, get SIGTERM from the kernel should the runner die (``DIE_WITH_PARENT`` from
the soak), and :meth:`ServerProcess.stop` stops them by PID: SIGTERM, then SIGKILL after a grace
period.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.fanout.before import Before
from bench.soak.server import TWISTD, loopback_chatd, spawn

REPO = Path(__file__).resolve().parents[2]
#: Twisted's ``[-] LineDoorFactory starting on PORT`` (one per listener), the baseline's
#: ``baseline starting on PORT``
_STARTED = re.compile(r"(\w+) starting on (\d+)\n")
#: The factory of chatd's metrics listener, whose port is not the one to load
METRICS_FACTORY = "MetricsSite"
#: The factory of chatd's web door (the page and its WebSocket at /ws), whose port is loaded only
#: in scenario W
WEB_FACTORY = "WebSite"

#: chatd's options for this benchmark: flood control raised far above the offered load (so that
#: checking it stays on the measured path), room for the 10,000 users of scenario C, and no
#: per-address limits, since every simulated user connects from 127.0.0.1.
CHATD_ARGS = [
    "--rate", "1000000", "--burst", "1000000", "--max-clients", "20000",
    "--max-per-ip", "0", "--arrival-rate", "0",
]  # fmt: skip


#: chatd-metrics' addition to chatd's command line: a metrics listener on a free loopback port.
METRICS_ARGS = ("--metrics", "tcp:0:interface=127.0.0.1")

#: A web door step's addition to chatd's command line: the page and /ws on a free loopback port.
WEB_ARGS = ("--web", "tcp:0:interface=127.0.0.1")

#: The doors a step can load: chatd's line protocol (every server), or its web door (chatd's).
DOORS = ("line", "web")

#: The servers, in the table's order.
SERVERS = ("chatd", "chatd-memory", "chatd-metrics", "chatd-before", "baseline")

#: The servers a run measures unless ``--servers`` says otherwise: chatd-metrics only when named
#: (it is there to compare with chatd, which doubles the time), chatd-before with ``--before``.
DEFAULT_SERVERS = ("chatd", "chatd-memory", "baseline")

#: The servers that keep every line in a database of their own (chatd-before when its revision
#: has a store: see :func:`uses_database`).
ON_DISK = ("chatd", "chatd-metrics")

#: Seconds a server has to stop after SIGTERM: chatd with a database writes every line it has
#: received before it exits, and after a saturating step the store may be far behind the relay.
STOP_GRACE = {"chatd": 120.0, "chatd-metrics": 120.0, "chatd-before": 120.0}


class ServerError(Exception):
    """A server did not start."""


def listening(log: str) -> dict[str, int]:
    """Each factory that has logged ``NAME starting on PORT`` so far, with its port."""
    return {name: int(port) for name, port in _STARTED.findall(log)}


def parse_port(log: str, door: str = "line") -> int | None:
    """The port to load, from Twisted's (or the baseline's) ``... starting on PORT`` line, if
    logged yet: for the web door its listener's; for the line door never the metrics listener's,
    which chatd-metrics may log first, nor the web door's."""
    ports = listening(log)
    if door == "web":
        return ports.get(WEB_FACTORY)
    lines = [port for name, port in ports.items() if name not in (METRICS_FACTORY, WEB_FACTORY)]
    return lines[0] if lines else None


def chatd_command(
    twistd: Path = TWISTD, db: str | None = None, extra: tuple[str, ...] = ()
) -> list[str]:
    """chatd's command line: :data:`CHATD_ARGS`, ``--db db`` (None: the default, ``chatd.db``),
    then ``extra`` (``--chatd-arg``)."""
    return loopback_chatd(twistd, [*CHATD_ARGS, *([] if db is None else ["--db", db]), *extra])


def supported_args(args: list[str], options: frozenset[str]) -> list[str]:
    """The ``--name value`` pairs of ``args`` whose option is in ``options``, in order."""
    kept: list[str] = []
    for name, value in zip(args[::2], args[1::2], strict=True):
        if name.removeprefix("--") in options:
            kept += [name, value]
    return kept


def before_command(before: Before, db: str | None = None) -> list[str]:
    """The earlier chatd's command line: those of :data:`CHATD_ARGS` it knows, and ``--db db``
    if it has a store. ``--chatd-arg`` is not for it: an older chatd may not know them."""
    stored = ["--db", db] if before.has_store and db is not None else []
    return loopback_chatd(before.twistd, [*supported_args(CHATD_ARGS, before.options), *stored])


def baseline_command() -> list[str]:
    return [sys.executable, "-m", "bench.fanout.baseline", "--port", "0"]


def server_command(
    name: str,
    db: str | None = None,
    chatd_extra: tuple[str, ...] = (),
    before: Before | None = None,
    twistd: Path = TWISTD,
) -> list[str]:
    """The command line of server ``name`` of :data:`SERVERS`; ``db`` is the on-disk database
    of the servers that have one (None: chatd's default, ``chatd.db``)."""
    if name == "chatd":
        return chatd_command(twistd, db, chatd_extra)
    if name == "chatd-memory":
        return chatd_command(twistd, ":memory:", chatd_extra)
    if name == "chatd-metrics":
        return chatd_command(twistd, db, (*chatd_extra, *METRICS_ARGS))
    if name == "chatd-before":
        if before is None:
            raise ValueError("chatd-before needs the revision built (--before)")
        return before_command(before, db)
    if name == "baseline":
        return baseline_command()
    raise ValueError(name)


def uses_database(name: str, before: Before | None = None) -> bool:
    """Whether server ``name`` writes a database, which the runner then counts and deletes."""
    return name in ON_DISK or (name == "chatd-before" and before is not None and before.has_store)


def pinned(cpu: int | None):
    """A ``preexec_fn`` that pins the child (and what it execs) to one CPU."""
    if cpu is None:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


class ServerProcess:
    def __init__(
        self,
        name: str,
        command: list[str],
        cwd: Path,
        log_path: Path,
        cpu: int | None,
        door: str = "line",
    ):
        self.name = name
        self.door = door  # whose port start() returns
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
            self.port = parse_port(self.log(), self.door)
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

    def metrics_port(self) -> int | None:
        """The port of chatd's metrics listener, if it has logged one."""
        return listening(self.log()).get(METRICS_FACTORY)

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
    before: Before | None = None,
    door: str = "line",
) -> ServerProcess:
    """A fresh, unstarted server of :data:`SERVERS`, logging into ``workdir``; the on-disk ones
    keep their database at ``db``; the current chatd's variants get the ``chatd_extra``
    options, chatd-before is ``before``.  With ``door="web"`` (a chatd variant only) it also
    serves the web door, whose port :meth:`ServerProcess.start` then returns."""
    if door not in DOORS:
        raise ValueError(f"no door {door!r}")
    if door == "web":
        if name not in ("chatd", "chatd-memory", "chatd-metrics"):
            raise ValueError(f"{name} has no web door")
        chatd_extra = (*chatd_extra, *WEB_ARGS)
    workdir.mkdir(parents=True, exist_ok=True)
    command = server_command(name, None if db is None else str(db), chatd_extra, before, twistd)
    cwd = REPO if name == "baseline" else workdir
    return ServerProcess(name, command, cwd, workdir / "server.log", cpu, door)
