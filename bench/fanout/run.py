"""``python -m bench.fanout``: build the generator, run every step against the servers, print.

The table goes to stdout with the command, date and machine; progress goes to stderr. Each run's
raw reports are saved as JSON (with the servers' and the generator's logs) in the results
directory, and the figures of the rows that set two servers against each other run by run.
Exit status: 0 every target met, 1 some target missed, 2 could not run.
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
from dataclasses import replace
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from bench.fanout import scenarios, table
from bench.fanout.before import Before, BuildError, prepare
from bench.fanout.servers import (
    CHATD_ARGS,
    DEFAULT_SERVERS,
    REPO,
    SERVERS,
    STOP_GRACE,
    WEB_ARGS,
    server_command,
)

DEFAULT_RESULTS = Path(__file__).resolve().parent / "results"
#: Every scenario, as ``--scenarios`` names them; steps run in the order of :func:`scenarios.steps`
#: whatever the order given (W right after B, whose throughput it is judged against).
SCENARIOS = ("A", "B", "C", "S", "R", "W")
DEFAULT_BUILD = Path(__file__).resolve().parent / "build"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="sets to run; medians over them")
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help=f"comma-separated subset of {','.join(SCENARIOS)} (default all; W's target needs B)",
    )
    parser.add_argument("--quick", action="store_true", help="short durations, for development")
    parser.add_argument(
        "--servers",
        default=",".join(DEFAULT_SERVERS),
        help=f"comma-separated subset of {','.join(SERVERS)} (default "
        f"{','.join(DEFAULT_SERVERS)}; chatd-before comes with --before)",
    )
    parser.add_argument(
        "--before",
        metavar="REV",
        help="also run chatd as it was at git revision REV (server chatd-before), in A-sat and "
        "B-sat, installed by the runner into bench/fanout/build/before-REV",
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
        help="appended to the command line of chatd, chatd-memory and chatd-metrics, not "
        "chatd-before (repeatable), e.g. --chatd-arg=--history --chatd-arg=0",
    )
    args = parser.parse_args(argv)
    args.scenarios = [name.strip().upper() for name in args.scenarios.split(",") if name.strip()]
    args.servers = [name.strip() for name in args.servers.split(",") if name.strip()]
    if not set(args.scenarios) <= set(SCENARIOS) or not args.scenarios:
        parser.error(f"--scenarios takes a subset of {','.join(SCENARIOS)}")
    if not set(args.servers) <= set(SERVERS) or not args.servers:
        parser.error(f"--servers takes a subset of {','.join(SERVERS)}")
    if "chatd-before" in args.servers and not args.before:
        parser.error("chatd-before needs --before REV: the revision it is")
    if args.before and "chatd-before" not in args.servers:
        args.servers.append("chatd-before")
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
    # stopping (10 s, longer for a server with a database: STOP_GRACE) its server
    pairs = [(step, server) for step in steps for server in step_servers(step, args)]
    bound = sum(step.bound + 150 + STOP_GRACE.get(server, 10.0) for step, server in pairs)
    typical = sum(step.typical for step, _server in pairs) * args.runs
    bound *= args.runs
    print(
        f"bench.fanout: {args.runs} run(s) of {', '.join(step.name for step in steps)} against "
        f"{', '.join(args.servers)}, a fresh server per step: about {typical / 60:.0f} min, "
        f"at most {bound / 60:.0f} min",
        file=sys.stderr,
    )


def step_servers(step: scenarios.Step, args: argparse.Namespace) -> list[str]:
    """The chosen servers this step runs against, in the order of ``--servers``."""
    return [server for server in args.servers if server in step.servers]


def commands(args: argparse.Namespace, before: Before | None) -> list[str]:
    """The table's heading lines saying how each server measured was started."""
    shown_before = None
    if before is not None:  # its twistd as a path in the checkout, not on this machine
        shown_before = replace(before, twistd=before.twistd.relative_to(REPO))
    out = []
    for server in SERVERS:
        if server not in args.servers:
            continue
        line = server_command(
            server, "TMPDIR/chatd.db", tuple(args.chatd_arg), shown_before, Path("twistd")
        )
        if server == "baseline":
            line = ["python", *line[1:]]
        text = f"{table.COLUMNS[server]:8} {' '.join(line)}"
        if server == "chatd-before" and before is not None:
            text += f" (chatd at {before.revision}, commit {before.commit[:12]})"
        if "TMPDIR/chatd.db" in line:
            text += " (a new TMPDIR per step)"
        out.append(text)
    if "W" in args.scenarios and "chatd" in args.servers:
        out.append(f"{'W':8} chatd as above, with {' '.join(WEB_ARGS)}; loadgen with --proto web")
    return out


def before_record(before: Before) -> dict:
    """chatd-before in the JSON report: which code it was, and which options it knew."""
    return {
        "revision": before.revision,
        "commit": before.commit,
        "options": sorted(before.options),
    }


def versus_record(line: table.Line) -> dict:
    """A row setting two servers against each other, in the JSON report with its figure in each
    run, so that the spread between runs can be quoted beside the median."""
    versus = line.row.versus
    assert versus is not None
    figure = line.ratio if line.ratio is not None else line.values.get(versus.first)
    return {
        "scenario": line.row.scenario,
        "metric": line.row.metric,
        "step": line.row.step,
        "servers": [versus.first, versus.second],
        "steps": [line.row.step, versus.second_step or line.row.step],
        "how": versus.how,
        "figure": figure,
        "per_run": {str(run): value for run, value in sorted(line.per_run.items())},
        "passed": line.passed,
    }


def summary(report: dict) -> str:
    waited = report.get("waited_for_quiet_s") or 0
    prefix = f"(waited {waited:.0f} s for a quiet machine) " if waited >= 1 else ""
    if report.get("error"):
        return f"{prefix}ERROR {report['error']}"
    keys = ("deliveries_per_s", "p50_us", "p99_us", "lost", "duplicated", "malformed",
            "handshakes_ok", "handshake_p99_us", "rss_per_conn_bytes", "completed", "stalled",
            "receipts_per_s", "receipt_p99_us", "receipts_missing", "unstored", "metrics_port",
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
    before = None
    if args.before:
        try:
            before = prepare(args.before, DEFAULT_BUILD, REPO)
        except BuildError as error:
            print(f"bench.fanout: cannot build chatd at {args.before}: {error}", file=sys.stderr)
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
                    loadgen, server, step, workdir, tuple(args.chatd_arg), args.db_dir, before
                )
                report["run"] = run
                reports.append(report)
                (workdir / "report.json").write_text(json.dumps(report, indent=2) + "\n")
                print(
                    f"  run {run} {step.name:10} {server:13} {time.monotonic() - began:5.1f} s: "
                    f"{summary(report)}",
                    file=sys.stderr,
                )
    c_step = next((s for s in steps if s.scenario == "C"), None)
    c_users = int(c_step.args[c_step.args.index("--users") + 1]) if c_step else 10000
    table_rows = table.rows(c_users, servers=args.servers)
    lines = table.reduce(reports, table.chosen(table_rows, args.scenarios))
    met, total = table.verdict(lines)
    info = machine()
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
            *commands(args, before),
            f"pinning  servers on CPU {scenarios.SERVER_CPU}, loadgen on CPU "
            f"{scenarios.LOADGEN_CPU} (at real-time priority in C)",
            "",
            table.format_table(lines, args.servers),
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
        "before": None if before is None else before_record(before),
        "versus": [versus_record(line) for line in lines if line.row.versus is not None],
    }
    everything["reports"] = reports
    (out_dir / "reports.json").write_text(json.dumps(everything, indent=2) + "\n")
    print(f"raw reports and logs: {out_dir}", file=sys.stderr)
    return 0 if met == total else 1
