"""``python -m bench.fanout``: build the generator, run every step against the servers, print.

The table goes to stdout with the command, date and machine; progress goes to stderr. Each run's
raw reports are saved as JSON (with the servers' and the generator's logs) in the results
directory. Exit status: 0 every target met, 1 some target missed, 2 could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from bench.fanout import scenarios, table
from bench.fanout.servers import CHATD_ARGS, REPO, SERVERS, chatd_command

DEFAULT_RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_BUILD = Path(__file__).resolve().parent / "build"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="sets to run; medians over them")
    parser.add_argument(
        "--scenarios",
        default="A,B,C,S,R",
        help="comma-separated subset of A,B,C,S,R (default all)",
    )
    parser.add_argument("--quick", action="store_true", help="short durations, for development")
    parser.add_argument(
        "--servers",
        default=",".join(SERVERS),
        help=f"comma-separated subset of {','.join(SERVERS)} (default all)",
    )
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS, help="where runs go")
    parser.add_argument(
        "--db-dir",
        type=Path,
        default=None,
        help="where the on-disk chatd's databases go, one new directory per step "
        "(default: the system's temporary directory)",
    )
    parser.add_argument(
        "--chatd-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="appended to chatd's command line (repeatable), e.g. --chatd-arg=--metrics "
        "--chatd-arg=tcp:0:interface=127.0.0.1",
    )
    args = parser.parse_args(argv)
    args.scenarios = [name.strip().upper() for name in args.scenarios.split(",") if name.strip()]
    args.servers = [name.strip() for name in args.servers.split(",") if name.strip()]
    if not set(args.scenarios) <= {"A", "B", "C", "S", "R"} or not args.scenarios:
        parser.error("--scenarios takes a subset of A,B,C,S,R")
    if not set(args.servers) <= set(SERVERS) or not args.servers:
        parser.error(f"--servers takes a subset of {','.join(SERVERS)}")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def machine() -> dict[str, str]:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def package(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    try:
        commit = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "kernel": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "twisted": package("twisted"),
        "chatd": package("chatd"),
        "checkout": commit or "unknown",
    }


def announce(steps: list[scenarios.Step], args: argparse.Namespace) -> None:
    # every step's generator bound, plus waiting for a quiet machine (120 s), starting (30 s) and
    # stopping (10 s) its server
    pairs = [(step, server) for step in steps for server in step_servers(step, args)]
    bound = sum(step.bound + 160 + (110 if server == "chatd" else 0) for step, server in pairs)
    typical = sum(step.typical for step, _server in pairs) * args.runs
    bound *= args.runs
    print(
        f"bench.fanout: {args.runs} run(s) of {', '.join(step.name for step in steps)} against "
        f"{', '.join(args.servers)}, a fresh server per step: about {typical / 60:.0f} min, "
        f"at most {bound / 60:.0f} min",
        file=sys.stderr,
    )


def step_servers(step: scenarios.Step, args: argparse.Namespace) -> list[str]:
    """The chosen servers this step runs against, in the table's order."""
    return [server for server in args.servers if server in step.servers]


def summary(report: dict) -> str:
    waited = report.get("waited_for_quiet_s") or 0
    prefix = f"(waited {waited:.0f} s for a quiet machine) " if waited >= 1 else ""
    if report.get("error"):
        return f"{prefix}ERROR {report['error']}"
    keys = ("deliveries_per_s", "p50_us", "p99_us", "lost", "duplicated", "malformed",
            "handshakes_ok", "handshake_p99_us", "rss_per_conn_bytes", "completed", "stalled",
            "receipts_per_s", "receipt_p99_us", "receipts_missing", "unstored",
            "server_cpu_share", "loadgen_cpu_share", "other_cpu_share", "server_stop")  # fmt: skip
    return prefix + ", ".join(f"{key} {report[key]}" for key in keys if key in report)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if (os.cpu_count() or 1) < 2:
        print("bench.fanout: needs 2 CPUs (server on CPU 0, generator on CPU 1)", file=sys.stderr)
        return 2
    started = datetime.now(UTC)
    stamp = started.strftime("%Y%m%d-%H%M%S")
    out_dir = args.results / stamp
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        loadgen = scenarios.build_loadgen(DEFAULT_BUILD)
    except (OSError, subprocess.SubprocessError) as error:
        print(f"bench.fanout: cannot build the load generator: {error}", file=sys.stderr)
        return 2
    steps = [step for step in scenarios.steps(args.quick) if step.scenario in args.scenarios]
    announce(steps, args)
    reports: list[dict] = []
    for run in range(1, args.runs + 1):
        for step in steps:
            for server in step_servers(step, args):
                workdir = out_dir / f"run{run}" / f"{step.name}-{server}"
                began = time.monotonic()
                report = scenarios.run_step(
                    loadgen, server, step, workdir, tuple(args.chatd_arg), args.db_dir
                )
                report["run"] = run
                reports.append(report)
                (workdir / "report.json").write_text(json.dumps(report, indent=2) + "\n")
                print(
                    f"  run {run} {step.name:8} {server:12} {time.monotonic() - began:5.1f} s: "
                    f"{summary(report)}",
                    file=sys.stderr,
                )
    c_step = next((s for s in steps if s.scenario == "C"), None)
    c_users = int(c_step.args[c_step.args.index("--users") + 1]) if c_step else 10000
    lines = table.reduce(
        reports, [row for row in table.rows(c_users) if row.scenario in args.scenarios]
    )
    met, total = table.verdict(lines)
    info = machine()
    twistd, extra = Path("twistd"), tuple(args.chatd_arg)
    command = "python -m bench.fanout" + (" " + shlex.join(argv or sys.argv[1:])).rstrip()
    text = "\n".join(
        [
            f"chatd fan-out benchmark: {met} of {total} targets met "
            f"(medians of {args.runs} run(s); lost+dup+malformed: worst run)",
            f"date     {started:%Y-%m-%d %H:%M} UTC, {(datetime.now(UTC) - started).seconds} s",
            f"command  {command}",
            f"machine  {info['cpu']}, {info['cores']} cores, {info['kernel']}",
            f"software Python {info['python']}, Twisted {info['twisted']}, chatd {info['chatd']} "
            f"(installed), checkout {info['checkout']}",
            f"chatd    {' '.join(chatd_command(twistd, 'TMPDIR/chatd.db', extra))} "
            "(a new TMPDIR per step)",
            f":memory: {' '.join(chatd_command(twistd, ':memory:', extra))}",
            "baseline python -m bench.fanout.baseline --port 0",
            f"pinning  servers on CPU {scenarios.SERVER_CPU}, loadgen on CPU "
            f"{scenarios.LOADGEN_CPU} (at real-time priority in C)",
            "",
            table.format_table(lines),
            "",
        ]
    )
    refused = table.not_realtime(reports)
    if refused:
        note = (
            "note: the generator was refused real-time priority, so its own scheduling delays "
            f"count in the latencies of: {', '.join(refused)}"
        )
        text += textwrap.fill(note, width=100, subsequent_indent="  ") + "\n"
    noisy = table.disturbed(reports)
    if noisy:
        note = (
            f"note: other processes used more than 10 % of a core during {len(noisy)} of "
            f"{len(reports)} steps: {', '.join(noisy)}"
        )
        text += textwrap.fill(note, width=100, subsequent_indent="  ") + "\n"
    print(text)
    (out_dir / "table.txt").write_text(text)
    everything = {
        "machine": info,
        "command": command,
        "chatd_args": [*CHATD_ARGS, *args.chatd_arg],
    }
    everything["reports"] = reports
    (out_dir / "reports.json").write_text(json.dumps(everything, indent=2) + "\n")
    print(f"raw reports and logs: {out_dir}", file=sys.stderr)
    return 0 if met == total else 1
