"""The benchmark's scenarios as load generator command lines, and how one of them is run.

Each :class:`Step` is one run of ``loadgen`` against a fresh server: A, B, R and W have a
saturating step and a fixed-load step, A a saturating one with receipts too, C and S one step
each.  W is B's load through chatd's web door (WebSocket and JSON), right after B's steps so that
the two doors are measured minutes apart.
:func:`run_step` starts the server pinned to one CPU, runs the generator pinned to the other with
a hard time limit, stops the server by PID and returns the generator's JSON (with what went
wrong, if anything, under ``"error"``).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.fanout.before import Before
from bench.fanout.servers import (
    SERVERS,
    ServerError,
    ServerProcess,
    make_server,
    pinned,
    uses_database,
)

HERE = Path(__file__).resolve().parent
SERVER_CPU = 0
LOADGEN_CPU = 1


#: The servers that speak chatd's protocol v2 (rooms, receipts). The baseline speaks only v1, and
#: so may chatd-before: it is only asked for plain chat.
V2_SERVERS = ("chatd", "chatd-memory", "chatd-metrics")


@dataclass(frozen=True)
class Step:
    scenario: str  # A, B, C, R, S or W
    name: str  # e.g. "A-sat"
    args: tuple[str, ...]  # loadgen arguments after HOST PORT
    bound: float  # seconds the generator may take before it is killed
    typical: float  # seconds it usually takes, server start and stop included
    #: the servers this step runs against (those of them ``--servers`` chose): the store
    #: variants matter only where lines are said, R needs rooms, which the baseline does not
    #: have, and chatd-before is asked only for the plain chat that every chatd speaks
    servers: tuple[str, ...] = ("chatd", "chatd-metrics", "baseline")
    #: chatd's senders turn receipts on (``--receipts 1``): receipt latency and commit rate
    receipts: bool = False
    #: the door loaded: "line" (every server's protocol) or "web" (chatd's WebSocket, whose
    #: server then gets ``--web`` and whose generator ``--proto web``)
    door: str = "line"

    def command_for(self, server: str) -> tuple[str, ...]:
        """The generator's arguments against ``server``: receipts only where chatd answers them."""
        if self.receipts and server in V2_SERVERS:
            return (*self.args, "--receipts", "1")
        return self.args


#: Asked of the generator in C: real-time priority on its CPU, so that a kernel thread there cannot
#: hold back its reading of the clock (see loadgen.c).  Not in the saturating steps, where it is
#: busy and would starve that CPU, nor at the fixed loads: with it, A-fixed's p99 for chatd was
#: 2.8 ms (median of 7 runs) against 1.8 ms without, kernel threads then being left to CPU 0.
REALTIME = ("--realtime", "1")

#: Handshakes in flight while A and B join their users: below the baseline's listen backlog of 50,
#: so that its joins are not lost to a full accept queue (S measures that); chatd does not care.
JOIN_INFLIGHT = 40


def fanout(
    users: int,
    rate: float,
    warmup: float,
    duration: float,
    senders: int = 10,
    rooms: int = 0,
    door: str = "line",
) -> tuple[str, ...]:
    args = ["fanout", "--users", str(users), "--senders", str(senders), "--window", "16"]
    args += ["--size", "64"] + (["--rooms", str(rooms)] if rooms else [])
    args += ["--proto", "web"] if door == "web" else []
    args += ["--join-inflight", str(JOIN_INFLIGHT)]
    args += ["--warmup", str(warmup), "--duration", str(duration)]
    return tuple(args + (["--rate", str(rate)] if rate else []))


def steps(quick: bool = False) -> list[Step]:
    """Every step of a full set, in the order they run."""
    warmup, duration, fixed = (1, 3, 3) if quick else (3, 10, 10)
    c_users = 2000 if quick else 10000
    s_timeout = 10 if quick else 30

    def bound(users: int, seconds: float) -> float:
        # the generator's own bounds: join, notices settling, room joins and receipts, load, drain
        return 30 + users / 20 + 10 + users / 50 + 20 + users / 50 + seconds + 5 + 15

    # the saturating steps of A and B: plain chat, the baseline's whole workload, so that the
    # ratio compares the same work (issue 5); chatd-before is measured only there
    plain = dict(servers=SERVERS)
    said = dict(servers=(*V2_SERVERS, "baseline"), receipts=True)
    receipted = dict(servers=V2_SERVERS, receipts=True)
    return [
        Step(
            "A",
            "A-sat",
            fanout(100, 0, warmup, duration),
            bound(100, warmup + duration),
            warmup + duration + 3,
            **plain,
        ),
        # A's load with receipts for every sender: what they cost, the store's commit rate and
        # the wait for a receipt (issue 14)
        Step(
            "A",
            "A-receipts",
            fanout(100, 0, warmup, duration),
            bound(100, warmup + duration),
            warmup + duration + 3,
            **receipted,
        ),
        Step("A", "A-fixed", fanout(100, 200, 1, fixed), bound(100, 1 + fixed), fixed + 4, **said),
        Step(
            "B",
            "B-sat",
            fanout(1000, 0, warmup, duration),
            bound(1000, warmup + duration),
            warmup + duration + 8,
            **plain,
        ),
        Step("B", "B-fixed", fanout(1000, 40, 1, fixed), bound(1000, 1 + fixed), fixed + 8, **said),
        # W: B through the web door, against chatd (and chatd-metrics when chosen, as wherever
        # chatd runs); the others have none. Receipts at the fixed load, as B-fixed has them
        Step(
            "W",
            "W-sat",
            fanout(1000, 0, warmup, duration, door="web"),
            bound(1000, warmup + duration),
            warmup + duration + 8,
            servers=("chatd", "chatd-metrics"),
            door="web",
        ),
        Step(
            "W",
            "W-fixed",
            fanout(1000, 40, 1, fixed, door="web"),
            bound(1000, 1 + fixed),
            fixed + 8,
            servers=("chatd", "chatd-metrics"),
            receipts=True,
            door="web",
        ),
        Step(
            "C",
            "C",
            ("connect", "--users", str(c_users), "--rate", "1000", "--hold", "2", *REALTIME),
            c_users / 1000 + 10 + 30 + 2 + 15,
            c_users / 1000 + 25,
        ),
        Step(
            "S",
            "S",
            ("storm", "--users", "2000", "--inflight", "1000", "--timeout", str(s_timeout)),
            s_timeout + 15,
            s_timeout * 0.75,
        ),
        # R: 1,000 users in 100 rooms of 10 (user i in #r(i % 100)); users 0 to 49 talk, one in
        # each of rooms 0 to 49, so half the rooms are active and each line goes to 9 readers
        Step(
            "R",
            "R-sat",
            fanout(1000, 0, warmup, duration, senders=50, rooms=100),
            bound(1000, warmup + duration),
            warmup + duration + 10,
            **receipted,
        ),
        Step(
            "R",
            "R-fixed",
            fanout(1000, 200, 1, fixed, senders=50, rooms=100),
            bound(1000, 1 + fixed),
            fixed + 10,
            **receipted,
        ),
    ]


def machine_busy_seconds(text: str) -> float:
    """CPU seconds all CPUs spent busy, from the first line of /proc/stat."""
    fields = [int(value) for value in text.split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(text: str) -> float:
    """utime + stime from a /proc/PID/stat line (the command name may hold spaces)."""
    fields = text.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _read(path: str) -> str:
    try:
        with open(path) as file:
            return file.read()
    except OSError:
        return ""


def _own_cpu_seconds() -> float:
    """This process's CPU time plus that of its children that have been waited for."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


class CpuWatch:
    """CPU used by other processes (neither the server nor this runner and its generator).

    The benchmark assumes a quiet machine; this shows how far that held during a step.
    """

    def __init__(self, server_pid: int) -> None:
        self.server_stat = f"/proc/{server_pid}/stat"
        self.start = self._sample()

    def _sample(self) -> tuple[float, float, float, float]:
        server = _read(self.server_stat)
        return (
            time.monotonic(),
            machine_busy_seconds(_read("/proc/stat")),
            process_cpu_seconds(server) if server else 0.0,
            _own_cpu_seconds(),
        )

    def other_cpu(self) -> tuple[float, float]:
        """(CPU seconds used by other processes, wall seconds) since the watch began."""
        end = self._sample()
        wall, busy, server, own = (b - a for a, b in zip(self.start, end, strict=True))
        return max(0.0, busy - server - own), wall


def wait_for_quiet(limit: float = 0.1, patience: float = 120.0) -> float:
    """Wait (at most ``patience`` seconds) until the machine's busy CPU over half a second is
    below ``limit`` cores; return the seconds waited. The runner itself is idle meanwhile."""
    began = time.monotonic()
    while True:
        before = machine_busy_seconds(_read("/proc/stat"))
        time.sleep(0.5)
        busy = (machine_busy_seconds(_read("/proc/stat")) - before) / 0.5
        waited = time.monotonic() - began
        if busy < limit or waited >= patience:
            return round(waited, 1)
        time.sleep(2.0)


def build_loadgen(build_dir: Path) -> Path:
    """Compile loadgen.c with ``gcc -O2`` into ``build_dir``; return the binary's path."""
    build_dir.mkdir(parents=True, exist_ok=True)
    binary = build_dir / "loadgen"
    subprocess.run(
        ["gcc", "-O2", "-Wall", "-o", str(binary), str(HERE / "loadgen.c")],
        check=True,
        timeout=120,
    )
    return binary


def stored_lines(db: Path) -> int | None:
    """How many lines the database holds (read after the server has stopped), or None."""
    if not db.exists():
        return None
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
            return connection.execute("SELECT count(*) FROM lines").fetchone()[0]
    except sqlite3.Error:
        return None


def run_step(
    loadgen: Path,
    server_name: str,
    step: Step,
    workdir: Path,
    chatd_extra: tuple = (),
    db_dir: Path | None = None,
    before: Before | None = None,
) -> dict:
    """One step against a fresh server; the generator's JSON plus what the runner saw.

    An on-disk chatd gets a database in a new temporary directory (under ``db_dir``, else the
    system's), counted after the server has stopped and then deleted.
    """
    result: dict = {"server": server_name, "step": step.name, "scenario": step.scenario}
    result["waited_for_quiet_s"] = wait_for_quiet()
    db = None
    if uses_database(server_name, before):
        db = Path(tempfile.mkdtemp(prefix="chatd-fanout-", dir=db_dir)) / "chatd.db"
    try:
        server = make_server(
            server_name,
            workdir,
            SERVER_CPU,
            db=db,
            chatd_extra=chatd_extra,
            before=before,
            door=step.door,
        )
        _run_server_step(loadgen, server, step, result)
    finally:
        if db is not None:
            result["stored_lines"] = stored_lines(db)
            sent = result.get("sent")
            if isinstance(result["stored_lines"], int) and isinstance(sent, int):
                result["unstored"] = sent - result["stored_lines"]
            shutil.rmtree(db.parent, ignore_errors=True)
    return result


def _run_server_step(loadgen: Path, server: ServerProcess, step: Step, result: dict) -> None:
    workdir, server_name = server.log_path.parent, server.name
    try:
        port = server.start()
    except ServerError as error:
        result["error"] = str(error)
        return
    try:
        args = step.command_for(server_name)
        command = [str(loadgen), "127.0.0.1", str(port), *args]
        command += ["--server-pid", str(server.pid)]
        result["command"] = " ".join(["loadgen", "127.0.0.1", "PORT", *args])
        started = time.monotonic()
        watch = CpuWatch(server.pid)
        with open(workdir / "loadgen.err", "wb") as err:
            try:
                done = subprocess.run(
                    command,
                    stdout=subprocess.PIPE,
                    stderr=err,
                    stdin=subprocess.DEVNULL,
                    preexec_fn=pinned(LOADGEN_CPU),
                    timeout=step.bound,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                result["error"] = f"loadgen killed after {step.bound:.0f} s"
                return
        other, wall = watch.other_cpu()
        result["other_cpu_s"] = round(other, 2)
        result["other_cpu_share"] = round(other / wall, 3) if wall > 0 else None
        result["runner_wall_s"] = round(time.monotonic() - started, 2)
        result["loadgen_status"] = done.returncode
        try:
            report = json.loads(done.stdout.decode())
        except ValueError:
            result["error"] = f"loadgen printed no JSON (status {done.returncode})"
        else:
            report["mode"] = report.pop("scenario", None)
            result.update(report)
        if server_name == "chatd-metrics":
            # without its listener, "metrics on" would have measured chatd with metrics off
            result["metrics_port"] = server.metrics_port()
            if result["metrics_port"] is None:
                result.setdefault("error", "chatd-metrics logged no metrics listener")
    finally:
        result["server_stop"] = server.stop()
