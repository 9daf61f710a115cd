"""``python -m bench.attack``: run the attack scenarios of issue 13 and print their figures.

Each scenario starts a fresh server (``--twistd``, by default the one next to this Python), attacks
it on loopback for a bounded time, and stops it by its PID. The table goes to stdout, progress to
stderr; each server's log stays in the work directory. Exit status: 0 every target met, 1 some
target missed, 2 could not run, 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.attack import amplify, readers, telnet, tls
from bench.attack.context import Context
from bench.attack.figures import Row, Target, format_table, format_value, tally
from bench.soak.server import TWISTD

SCENARIOS = {
    "tls-silent": tls.tls_silent,
    "tls-per-ip": tls.tls_per_ip,
    "stalled-readers": readers.stalled_readers,
    "telnet": telnet.telnet_commands,
    "ghost": readers.ghost,
    "paused-memory": readers.paused_memory,
    "churn": amplify.churn,
    "msg-flood": amplify.msg_flood,
    "log-volume": amplify.log_volume,
    "newlines": amplify.newlines,
    "one-address": amplify.one_address,
}
#: The issue's item numbers, as shorthands for their scenarios.
GROUPS = {
    "1": ["tls-silent", "tls-per-ip"],
    "1b": ["stalled-readers"],
    "2": ["telnet"],
    "3": ["ghost", "paused-memory"],
    "5": ["churn", "msg-flood", "log-volume", "newlines", "one-address"],
}
#: No scenario comes near this; one that does is stopped and fails.
SCENARIO_BOUND = 150.0
#: Each scenario with its item of the issue, as the table shows it.
ITEMS = ["1", "1", "1b", "2", "3", "3", "5a", "5b", "5c", "5d", "5e"]
LABELS = {name: f"{item} {name}" for name, item in zip(SCENARIOS, ITEMS, strict=True)}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.attack", description=__doc__)
    parser.add_argument(
        "--scenario",
        action="append",
        default=[],
        metavar="NAME",
        help=f"run only this one (repeatable): {', '.join(SCENARIOS)}, or an item of the issue: "
        f"{', '.join(GROUPS)}",
    )
    parser.add_argument("--twistd", type=Path, default=TWISTD, help="the twistd to run")
    parser.add_argument("--workdir", type=Path, help="where logs go (default: a new temp dir)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    chosen: list[str] = []
    for name in args.scenario or list(SCENARIOS):
        for one in GROUPS.get(name, [name]):
            if one not in SCENARIOS:
                known = ", ".join([*SCENARIOS, *GROUPS])
                parser.error(f"no scenario {name!r}; choose from {known}")
            if one not in chosen:
                chosen.append(one)
    args.scenarios = chosen
    if not args.twistd.exists():
        parser.error(f"{args.twistd} does not exist")
    return args


def chatd_version(twistd: Path) -> str:
    """chatd's version in the environment of ``twistd`` (the Python of its ``#!`` line)."""
    try:
        python = twistd.read_text(errors="replace").splitlines()[0].removeprefix("#!").strip()
        result = subprocess.run(
            [python, "-c", "from importlib.metadata import version; print(version('chatd'))"],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        return result.stdout.strip() or "unknown"
    except (OSError, IndexError, subprocess.SubprocessError):
        return "unknown"


def shown(path: Path) -> str:
    """``path`` relative to the current directory when it is under it, so tables can be shared."""
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def raise_file_limit() -> None:
    """Up to the hard limit: scenarios hold a few thousand sockets."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def run_one(ctx: Context, name: str) -> list[Row]:
    """The scenario's rows; one failing row if it broke or overran, so that the others still run."""
    try:
        return await asyncio.wait_for(SCENARIOS[name](ctx), SCENARIO_BOUND)
    except Exception as error:
        reason = "took too long" if isinstance(error, TimeoutError) else repr(error)
        figure = f"could not run: {reason}"[:90]
        return [Row(LABELS[name], figure, None, "", Target("is", True))]


async def run_all(ctx: Context, names: list[str]) -> list[Row]:
    rows: list[Row] = []
    for name in names:
        began = time.monotonic()
        print(f"bench.attack: {name} ...", file=sys.stderr, flush=True)
        found = await run_one(ctx, name)
        rows += found
        for row in found:
            print(f"    {row.figure}: {format_value(row.value, row.unit)}", file=sys.stderr)
        print(f"  {name}: {time.monotonic() - began:.1f} s", file=sys.stderr, flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    raise_file_limit()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="chatd-attack-"))
    workdir.mkdir(parents=True, exist_ok=True)
    ctx = Context(args.twistd, workdir)
    started = datetime.now(UTC)
    try:
        rows = asyncio.run(run_all(ctx, args.scenarios))
    except KeyboardInterrupt:
        print("bench.attack: interrupted", file=sys.stderr)
        return 130
    met, total = tally(rows)
    command = "python -m bench.attack" + (" " + shlex.join(argv or sys.argv[1:])).rstrip()
    lines = [
        f"chatd attack scenarios (issue 13): {met} of {total} targets met",
        f"date     {started:%Y-%m-%d %H:%M} UTC, {(datetime.now(UTC) - started).seconds} s",
        f"command  {command}",
        f"server   {shown(args.twistd)} (chatd {chatd_version(args.twistd)})",
        "",
        format_table(rows),
    ]
    lines += [f"note: {note}" for note in ctx.notes]
    print("\n".join(lines))
    print(f"server logs: {workdir}", file=sys.stderr)
    if args.json:
        figures = [
            {"scenario": row.scenario, "figure": row.figure, "value": row.value, "unit": row.unit,
             "target": row.target.describe(row.unit) if row.target else None,
             "result": row.verdict()}
            for row in rows
        ]  # fmt: skip
        args.json.write_text(json.dumps({"command": command, "figures": figures}, indent=2) + "\n")
    if any(row.figure.startswith("could not run") for row in rows):
        return 2
    return 0 if met == total else 1
