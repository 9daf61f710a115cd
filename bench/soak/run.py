"""``python -m bench.soak``: start the daemon, run the soak against it, stop it, print the report.

Everything the run started is stopped on every way out: the clients by the load's own cleanup,
the daemon by :meth:`Server.stop` in a ``finally`` (with Ctrl-C ignored while it stops, and the
kernel's parent-death signal as the last resort).  The exit status is 0 when the run passed,
1 when it failed, 2 when it could not run, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import random
import resource
import shlex
import signal
import sys
import tempfile
import time
from pathlib import Path

from bench.soak import probe, report, serverlog
from bench.soak.clients import STALLER_RECEIVE_BUFFER, Pace
from bench.soak.load import Outcome, Plan, SetupError, Soak
from bench.soak.server import (
    TWISTD,
    Server,
    ServerError,
    Stopped,
    limit_settings,
    limit_value,
    supported_options,
)

#: Bounds on the phases around the load and the drain (seconds).
START_TIMEOUT = 30.0
JOIN_TIMEOUT = 60.0
QUIT_TIMEOUT = 30.0
STOP_GRACE = 15.0
#: What a Twisted transport buffers before it pauses its producer.
TWISTED_TRANSPORT_BUFFER = 64 * 1024


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak",
        description="Soak chatd on loopback with chatters, flooders, stallers and churners; "
        "report lost, duplicated and malformed messages, server memory and log errors.",
    )
    add = parser.add_argument
    add(
        "--duration",
        type=float,
        default=180.0,
        metavar="SECONDS",
        help="how long the load lasts (%(default)g)",
    )
    add(
        "--drain",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="longest wait for the last messages after the load (%(default)g)",
    )
    add(
        "--clients",
        type=int,
        default=300,
        metavar="N",
        help="clients of all roles together (%(default)s)",
    )
    add("--flooders", type=int, metavar="N", help="of the clients (5%%)")
    add("--stallers", type=int, metavar="N", help="of the clients (10%%)")
    add("--churners", type=int, metavar="N", help="of the clients (15%%); the rest chat")
    add(
        "--chat-interval",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="mean time between one client's paced messages (%(default)g)",
    )
    add(
        "--chat-bytes",
        type=int,
        default=80,
        metavar="BYTES",
        help="size of a paced message (%(default)s)",
    )
    add(
        "--flood-every",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="mean time between one flooder's bursts (%(default)g)",
    )
    add("--flood-lines", type=int, default=100, metavar="N", help="lines in a burst (%(default)s)")
    add(
        "--flood-bytes",
        type=int,
        default=1000,
        metavar="BYTES",
        help="size of a burst line (%(default)s)",
    )
    add(
        "--reply-timeout",
        type=float,
        default=15.0,
        metavar="SECONDS",
        help="how long a client waits for an answer the server owes it (%(default)g)",
    )
    add("--seed", type=int, help="seed of the clients' random choices (random)")
    add(
        "--server-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="append ARG to the twistd chatd command line; repeatable, "
        "e.g. --server-arg=--max-send-buffer=262144",
    )
    add("--twistd", type=Path, default=TWISTD, help="the twistd to run (%(default)s)")
    add("--workdir", type=Path, help="for the server log and the reports (a new temp dir)")
    add("--json", type=Path, metavar="PATH", help="also write the JSON report to PATH")
    args = parser.parse_args(argv)
    args.flooders = round(args.clients * 0.05) if args.flooders is None else args.flooders
    args.stallers = round(args.clients * 0.10) if args.stallers is None else args.stallers
    args.churners = round(args.clients * 0.15) if args.churners is None else args.churners
    args.chatters = args.clients - args.flooders - args.stallers - args.churners
    if args.chatters < 0 or args.chatters + args.flooders < 2:
        parser.error("the roles need at least two stable clients (chatters plus flooders)")
    if args.seed is None:
        args.seed = random.randrange(1_000_000)
    return args


def say(text: str) -> None:
    """Progress on stderr, so that stdout holds only the report."""
    print(f"soak: {text}", file=sys.stderr, flush=True)


async def _load(plan: Plan) -> Outcome:
    """Run the soak; SIGTERM cancels it like Ctrl-C does, so the cleanup runs."""
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)
    started = time.monotonic()
    soak = Soak(plan, progress=lambda phase: say(f"{time.monotonic() - started:6.1f} s {phase}"))
    return await soak.run()


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclasses.dataclass
class Run:
    """What one invocation did, for the report."""

    args: argparse.Namespace
    workdir: Path
    server: Server
    started_wall: str = dataclasses.field(
        default_factory=lambda: time.strftime("%Y-%m-%d %H:%M:%S %Z")
    )
    started: float = dataclasses.field(default_factory=time.monotonic)
    limits: dict[str, str] = dataclasses.field(default_factory=dict)
    outcome: Outcome | None = None
    stopped: Stopped | None = None
    warnings: list[str] = dataclasses.field(default_factory=list)
    died: bool = False
    error: str | None = None


#: Every soak client connects from 127.0.0.1, so the per-address limits, which are on by
#: default, are turned off; ``--server-arg`` can turn them on again.
ONE_ADDRESS_ARGS = ["--max-per-ip=0", "--arrival-rate=0"]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="chatd-soak-"))
    workdir.mkdir(parents=True, exist_ok=True)
    server_args = [*ONE_ADDRESS_ARGS, *args.server_arg]
    run = Run(args, workdir, Server(args.twistd, server_args, workdir))
    say(f"{args.clients} clients for {args.duration:g} s; files in {workdir}")
    status = 0
    try:
        run.limits = limit_settings(supported_options(args.twistd, workdir), server_args)
        run.warnings = pace_warnings(args, run.limits)
        for warning in run.warnings:
            say(f"warning: {warning}")
        port = run.server.start(START_TIMEOUT)
        plan = _plan(args, port, run.server.pid, run.limits)
        bound = plan.bound() + STOP_GRACE
        say(f"server pid {run.server.pid} on 127.0.0.1:{port}; done within {bound:.0f} s")
        run.outcome = asyncio.run(_load(plan))
        run.died = not run.server.running()
    except (ServerError, SetupError) as failure:
        run.error, status = f"could not run: {failure}", 2
    except (KeyboardInterrupt, asyncio.CancelledError):
        run.error, status = "interrupted", 130
    finally:
        # A second Ctrl-C must not leave the server running.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            run.stopped = run.server.stop(STOP_GRACE)
        finally:
            signal.signal(signal.SIGINT, previous)

    result = _report(run)
    text = report.render(result)
    print(text)
    (workdir / "report.txt").write_text(text + "\n")
    for path in (workdir / "report.json", args.json):
        if path is not None:
            path.write_text(json.dumps(result, indent=2) + "\n")
    failures, _ = report.verdict(result)
    return status or (1 if failures else 0)


def _plan(args: argparse.Namespace, port: int, pid: int, limits: dict[str, str]) -> Plan:
    return Plan(
        port=port,
        server_pid=pid,
        duration=args.duration,
        drain=args.drain,
        chatters=args.chatters,
        flooders=args.flooders,
        stallers=args.stallers,
        churners=args.churners,
        pace=Pace(
            chat_interval=args.chat_interval,
            chat_bytes=args.chat_bytes,
            flood_every=args.flood_every,
            flood_lines=args.flood_lines,
            flood_bytes=args.flood_bytes,
            reply_timeout=args.reply_timeout,
            max_line_length=int(limits["max-line-length"].split()[0]),
        ),
        seed=args.seed,
        join_timeout=JOIN_TIMEOUT,
        quit_timeout=QUIT_TIMEOUT,
    )


def pace_warnings(args: argparse.Namespace, limits: dict[str, str]) -> list[str]:
    """Ways the chosen pace would defeat the server's rate limit and make the drain time out."""
    rate = limit_value(limits, "rate")
    if not rate:
        return []
    warnings = []
    flooder_rate = args.flood_lines / args.flood_every + 1 / args.chat_interval
    if flooder_rate >= rate:
        warnings.append(
            f"a flooder averages {flooder_rate:.1f} lines/s, not under --rate {rate:g}: "
            "its delayed lines pile up all run"
        )
    backlog = max(0.0, args.flood_lines - (limit_value(limits, "burst") or 0)) / rate
    if backlog > args.drain + 0.2 * args.duration:
        warnings.append(
            f"the server takes {backlog:.0f} s to read one burst at --rate {rate:g}, more than "
            "the drain and the burst-free end of the load: raise --drain"
        )
    return warnings


def _staller_threshold(limits: dict[str, str]) -> int | None:
    """Bytes after which a staller must have been cut off, if the server bounds send buffers.

    The server's bound, plus everything that can hold output on the way: Twisted's transport
    buffer, the server socket's kernel send buffer at its largest, and the staller's small
    receive buffer (doubled by Linux).
    """
    bound = limit_value(limits, "max-send-buffer")
    if bound is None:
        return None
    return (
        int(bound)
        + TWISTED_TRANSPORT_BUFFER
        + probe.kernel_send_buffer_max()
        + 2 * STALLER_RECEIVE_BUFFER
    )


def _report(run: Run) -> report.Report:
    """The report dictionary; see :mod:`bench.soak.report`."""
    args, outcome, server = run.args, run.outcome, run.server
    log = serverlog.scan(server.log_path) if server.log_path.exists() else serverlog.LogFindings()
    result: report.Report = {
        "started": run.started_wall,
        "seed": args.seed,
        "command": shlex.join(["python", "-m", "bench.soak", *sys.argv[1:]]),
        "workdir": str(run.workdir),
        "wall_s": round(time.monotonic() - run.started, 1),
        "generator_cpu_s": round(_cpu_seconds(), 1),
        "phases": outcome.phases if outcome else {},
        "warnings": run.warnings,
        "server": {
            "command": server.args,
            "limits": run.limits,
            "died_during_run": run.died,
            "stop": dataclasses.asdict(run.stopped),
            "log": log.as_dict(),
        },
    }
    if run.error:
        result["error"] = run.error
    if outcome is None:
        return result
    samples, baseline = outcome.samples, outcome.baseline
    final = outcome.final or (samples[-1] if samples else None)
    if samples and baseline and final:
        result["server"]["resources"] = {
            "hwm_kib": final.hwm_kib,
            "rss_max_kib": max(sample.rss_kib for sample in samples),
            "rss_start_kib": baseline.rss_kib,
            "rss_final_kib": final.rss_kib,
            "fds_start": baseline.fds,
            "fds_max": max(sample.fds for sample in samples),
            "fds_final": final.fds,
            "cpu_s": final.cpu_s,
        }
    result["clients"] = {
        "chatters": args.chatters,
        "flooders": args.flooders,
        "stallers": args.stallers,
        "churners": args.churners,
        "stable_dropped": outcome.stable_dropped,
        "quits_confirmed": outcome.quits_confirmed,
    }
    result["stallers"] = {
        "count": args.stallers,
        "cut": outcome.stallers_cut,
        "cut_times": outcome.staller_cut_times,
        "bytes_to_each": outcome.tally.bytes_per_reader,
        "cut_expected_above": _staller_threshold(run.limits),
    }
    result["phases_ok"] = {"drained": outcome.drained}
    result["messages"] = {**dataclasses.asdict(outcome.tally), "bursts": outcome.bursts}
    churn = outcome.churn
    result["churn"] = {
        "connections": churn.connections,
        "joined": churn.joined,
        "actions": dict(churn.actions),
        "leaves": dict(churn.leaves),
        "handshake_timeouts": churn.handshake_timeouts,
        "anomalies": churn.anomalies,
        "anomaly_examples": churn.anomaly_examples,
    }
    result["samples"] = [sample.as_dict() for sample in samples]
    return result
