"""What the charts show, read from saved runs: which run, and each server's medians in it.

Pure functions only (no drawing), so that they can be tested without matplotlib. A run is one
directory that ``python -m bench.fanout`` made under its results directory: its name is the UTC
time it started (``20261202-151000``), and ``reports.json`` (the command, the machine with the
checkout's commit, and every step's report) is written last, so a run without it is unfinished or
broke. Medians over the run's repetitions are taken as the fan-out table takes them
(:mod:`bench.fanout.table`), so a chart never disagrees with the table printed beside it.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.fanout import table

#: Servers in the order the fan-out table shows them; any other name the runner may add later
#: follows, sorted. The baseline is what every ratio is taken over.
KNOWN_SERVERS = ("chatd", "chatd-memory", "baseline")
BASELINE = "baseline"

#: The steps a run must have measured, for chatd and the baseline, to count as full: every step
#: the charts draw by default (R is drawn when the run has it; older runs do not).
FULL_STEPS = ("A-sat", "A-fixed", "B-sat", "B-fixed", "C")

#: Saturating steps, whose deliveries per second the throughput chart compares.
THROUGHPUT_STEPS = ("A-sat", "B-sat", "R-sat")

#: Fixed-rate steps and C, with the report's keys of their p50 and p99 (microseconds).
LATENCY_STEPS = (
    ("A-fixed", "p50_us", "p99_us"),
    ("B-fixed", "p50_us", "p99_us"),
    ("R-fixed", "p50_us", "p99_us"),
    ("C", "handshake_p50_us", "handshake_p99_us"),
)

STAMP = "%Y%m%d-%H%M%S"


@dataclass(frozen=True)
class Run:
    """One saved run of the fan-out benchmark."""

    path: Path
    started: datetime | None  # from the directory's name, UTC; None if it is not a stamp
    command: str
    checkout: str
    reports: list[dict] = field(repr=False)

    @property
    def quick(self) -> bool:
        try:
            return "--quick" in shlex.split(self.command)
        except ValueError:
            return "--quick" in self.command

    @property
    def repetitions(self) -> int:
        return len({report.get("run") for report in self.reports})

    @property
    def servers(self) -> list[str]:
        found = {str(report.get("server")) for report in self.reports}
        known = [server for server in KNOWN_SERVERS if server in found]
        return known + sorted(found - set(KNOWN_SERVERS))

    def has(self, step: str, server: str) -> bool:
        """Whether some repetition of ``step`` against ``server`` ran without an error."""
        return any(
            report.get("step") == step and report.get("server") == server
            and not report.get("error")
            for report in self.reports
        )  # fmt: skip

    def caption(self) -> str:
        """Which run this is, for a chart's title: date, commit, command, repetitions."""
        date = f"{self.started:%Y-%m-%d %H:%M} UTC" if self.started else self.path.name
        runs = self.repetitions
        medians = f"medians of {runs} runs" if runs > 1 else "1 run"
        return f"{date}, checkout {self.checkout}, `{self.command}` ({medians})"


class NoRun(Exception):
    """No saved run fits; the message says what was looked at and why each was passed over."""


def started_at(name: str) -> datetime | None:
    try:
        return datetime.strptime(name, STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None


def load_run(path: Path) -> Run:
    """The run saved in ``path``; ValueError saying why if it is not a finished one."""
    try:
        saved = json.loads((path / "reports.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError("no reports.json (unfinished, or broke)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"unreadable reports.json: {error}") from None
    reports = saved.get("reports") if isinstance(saved, dict) else None
    if not isinstance(reports, list) or not all(isinstance(r, dict) for r in reports):
        raise ValueError("reports.json has no list of reports")
    machine = saved.get("machine") if isinstance(saved.get("machine"), dict) else {}
    return Run(
        path=path,
        started=started_at(path.name),
        command=str(saved.get("command") or "python -m bench.fanout"),
        checkout=str(machine.get("checkout") or "unknown"),
        reports=reports,
    )


def not_full(run: Run) -> str | None:
    """Why ``run`` is not a full run, or None if it is one."""
    if run.quick:
        return "a --quick run"
    missing = [
        f"{step} {server}"
        for step in FULL_STEPS
        for server in ("chatd", BASELINE)
        if not run.has(step, server)
    ]
    if missing:
        return "nothing measured for " + ", ".join(missing)
    return None


def newest_full(results: Path) -> tuple[Run, list[str]]:
    """The newest full run under ``results``, and why each newer directory was passed over.

    Newest by the time in the directory's name (the runner's stamp); directories with other names
    come after every stamped one, by name. Raises :class:`NoRun` if none is full.
    """
    if not results.is_dir():
        raise NoRun(f"{results} is not a directory")
    candidates = sorted(
        (path for path in results.iterdir() if path.is_dir()),
        key=lambda path: (started_at(path.name) is not None, path.name),
        reverse=True,
    )
    passed_over = []
    for path in candidates:
        try:
            run = load_run(path)
        except ValueError as error:
            passed_over.append(f"{path.name}: {error}")
            continue
        reason = not_full(run)
        if reason is None:
            return run, passed_over
        passed_over.append(f"{path.name}: {reason}")
    raise NoRun("\n".join([f"no full run in {results}", *passed_over]))


def median(run: Run, step: str, server: str, key: str) -> float | None:
    """The server's median of ``key`` over the repetitions of ``step``; None if none measured it."""
    get = table.field(key)
    found = [
        get(report)
        for report in run.reports
        if report.get("step") == step and report.get("server") == server
    ]
    return table.median(found)


@dataclass(frozen=True)
class Group:
    """One cluster of bars: a step's label, and each server's median (None: not measured)."""

    step: str
    label: str
    values: dict[str, float | None]

    def ratio(self, server: str) -> float | None:
        """The server's value over the baseline's in the same step."""
        return table.ratio(self.values.get(server), self.values.get(BASELINE))


def label(run: Run, step: str) -> str:
    """What a step measured, in a few words, from its first report's parameters."""
    first = next((r for r in run.reports if r.get("step") == step), {})
    users, rate, rooms = first.get("users"), first.get("rate"), first.get("rooms")
    if step == "C":
        if isinstance(users, int) and isinstance(rate, int | float) and rate:
            return f"C: {users:,} handshakes\nat {rate:,.0f}/s"
        return "C: handshakes"
    who = f"{users:,} users" if isinstance(users, int) else ""
    if isinstance(rooms, int) and rooms:
        who += f"\nin {rooms:,} rooms"
    if step.endswith("-fixed") and isinstance(rate, int | float) and rate:
        who += f", {rate:,.0f} msg/s"
    elif step.endswith("-sat"):
        who += ", saturated"
    return f"{step.split('-')[0]}: {who}" if who else step


def throughput(run: Run) -> list[Group]:
    """Deliveries per second in each saturating step the run has."""
    return [
        Group(step, label(run, step),
              {server: median(run, step, server, "deliveries_per_s") for server in run.servers})
        for step in THROUGHPUT_STEPS
        if any(run.has(step, server) for server in run.servers)
    ]  # fmt: skip


def latency(run: Run) -> list[tuple[Group, Group]]:
    """(p50, p99) in microseconds for each fixed-rate step and C that the run has."""
    out = []
    for step, p50, p99 in LATENCY_STEPS:
        if not any(run.has(step, server) for server in run.servers):
            continue
        text = label(run, step)
        out.append(
            tuple(
                Group(
                    step, text, {server: median(run, step, server, key) for server in run.servers}
                )
                for key in (p50, p99)
            )
        )
    return out
