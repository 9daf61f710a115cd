"""The benchmark's scenarios as load generator command lines, and how one of them is run.

Each :class:`Step` is one run of ``loadgen`` against a fresh server: A and B have a saturating
step and a fixed-load step, C and S one step each. :func:`run_step` starts the server pinned to
one CPU, runs the generator pinned to the other with a hard time limit, stops the server by PID
and returns the generator's JSON (with what went wrong, if anything, under ``"error"``).
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from bench.fanout.servers import ServerError, make_server, pinned

HERE = Path(__file__).resolve().parent
SERVER_CPU = 0
LOADGEN_CPU = 1


@dataclass(frozen=True)
class Step:
    scenario: str  # A, B, C or S
    name: str  # e.g. "A-sat"
    args: tuple[str, ...]  # loadgen arguments after HOST PORT
    bound: float  # seconds the generator may take before it is killed
    typical: float  # seconds it usually takes, server start and stop included


#: Handshakes in flight while A and B join their users: below the baseline's listen backlog of 50,
#: so that its joins are not lost to a full accept queue (S measures that); chatd does not care.
JOIN_INFLIGHT = 40


def fanout(users: int, rate: float, warmup: float, duration: float) -> tuple[str, ...]:
    args = ["fanout", "--users", str(users), "--senders", "10", "--window", "16", "--size", "64"]
    args += ["--join-inflight", str(JOIN_INFLIGHT)]
    args += ["--warmup", str(warmup), "--duration", str(duration)]
    return tuple(args + (["--rate", str(rate)] if rate else []))


def steps(quick: bool = False) -> list[Step]:
    """Every step of a full set, in the order they run."""
    warmup, duration, fixed = (1, 3, 3) if quick else (3, 10, 10)
    c_users = 2000 if quick else 10000
    s_timeout = 10 if quick else 30

    def bound(users: int, seconds: float) -> float:
        # the generator's own bounds: join, notices settling, load, drain
        return 30 + users / 20 + 10 + users / 50 + seconds + 5 + 15

    return [
        Step(
            "A",
            "A-sat",
            fanout(100, 0, warmup, duration),
            bound(100, warmup + duration),
            warmup + duration + 3,
        ),
        Step("A", "A-fixed", fanout(100, 200, 1, fixed), bound(100, 1 + fixed), fixed + 4),
        Step(
            "B",
            "B-sat",
            fanout(1000, 0, warmup, duration),
            bound(1000, warmup + duration),
            warmup + duration + 8,
        ),
        Step("B", "B-fixed", fanout(1000, 40, 1, fixed), bound(1000, 1 + fixed), fixed + 8),
        Step(
            "C",
            "C",
            ("connect", "--users", str(c_users), "--rate", "1000", "--hold", "2"),
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
    ]


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


def run_step(loadgen: Path, server_name: str, step: Step, workdir: Path) -> dict:
    """One step against a fresh server; the generator's JSON plus what the runner saw."""
    server = make_server(server_name, workdir, SERVER_CPU)
    result: dict = {"server": server_name, "step": step.name, "scenario": step.scenario}
    try:
        port = server.start()
    except ServerError as error:
        result["error"] = str(error)
        return result
    try:
        command = [str(loadgen), "127.0.0.1", str(port), *step.args]
        command += ["--server-pid", str(server.pid)]
        result["command"] = " ".join(["loadgen", "127.0.0.1", "PORT", *step.args])
        started = time.monotonic()
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
                return result
        result["runner_wall_s"] = round(time.monotonic() - started, 2)
        result["loadgen_status"] = done.returncode
        try:
            report = json.loads(done.stdout.decode())
        except ValueError:
            result["error"] = f"loadgen printed no JSON (status {done.returncode})"
        else:
            report["mode"] = report.pop("scenario", None)
            result.update(report)
    finally:
        result["server_stop"] = server.stop()
    return result
