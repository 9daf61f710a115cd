"""From the generator's JSON reports to one table: medians over runs, ratios, targets, pass/fail.

Pure functions only, so that the arithmetic can be tested without running anything. A report is
the dict :func:`bench.fanout.scenarios.run_step` returns; a value missing from it (a step that
failed or was cut short, or a server the step does not run against) is None and shows as ``-``;
a target whose chatd value is None fails. Targets judge ``chatd``, the server as it ships (with
its on-disk store); ``chatd-memory`` (``--db :memory:``) is shown beside it for comparison.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass

SERVERS = ("chatd", "chatd-memory", "baseline")


@dataclass(frozen=True)
class Target:
    kind: str  # "ratio" (chatd / baseline >= value), "max" (chatd <= value), "min" (chatd >= value)
    value: float

    def text(self, fmt: Callable[[float | None], str]) -> str:
        if self.kind == "ratio":
            return f">= {self.value:g}x"
        return ("<= " if self.kind == "max" else ">= ") + fmt(self.value)

    def met(self, chatd: float | None, ratio: float | None) -> bool:
        if self.kind == "ratio":
            return ratio is not None and ratio >= self.value
        if chatd is None:
            return False
        return chatd <= self.value if self.kind == "max" else chatd >= self.value


def number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}"


def millis(value: float | None) -> str:
    """Microseconds shown as milliseconds."""
    if value is None:
        return "-"
    return f"{value / 1000:,.2f} ms"


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f} %"


def kib(value: float | None) -> str:
    """Bytes shown as KiB."""
    return "-" if value is None else f"{value / 1024:,.2f} KiB"


def field(key: str) -> Callable[[dict], float | None]:
    def get(report: dict) -> float | None:
        if report.get("error"):
            return None  # a step that failed measured nothing worth a median
        value = report.get(key)
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            return None
        return float(value)

    return get


def damage(report: dict) -> float | None:
    """Lost + duplicated + malformed lines, or None if the report does not have them."""
    if report.get("error"):
        return None
    parts = [report.get(key) for key in ("lost", "duplicated", "malformed")]
    if not all(isinstance(part, int) for part in parts):
        return None
    return float(sum(parts))


@dataclass(frozen=True)
class Row:
    scenario: str
    metric: str
    step: str
    get: Callable[[dict], float | None]
    fmt: Callable[[float | None], str] = number
    target: Target | None = None
    worst: bool = False  # reduce over runs by the maximum instead of the median
    ratio: bool = False  # show chatd / baseline
    #: show (and judge) the median over runs of chatd's value minus chatd-memory's in the same run
    over_memory: bool = False


def rows(c_users: int = 10000, storm_users: int = 2000) -> list[Row]:
    """The table's rows; the targets are those of issue 5."""
    out: list[Row] = []
    for scenario, users, rate, p99 in (("A", 100, 200, 2000), ("B", 1000, 40, 10000)):
        sat, fixed = f"{scenario}-sat", f"{scenario}-fixed"
        out += [
            Row(scenario, f"{users} users: deliveries/s", sat, field("deliveries_per_s"),
                target=Target("ratio", 6), ratio=True),
            Row(scenario, "saturated latency p50", sat, field("p50_us"), millis),
            Row(scenario, "saturated latency p99", sat, field("p99_us"), millis),
            Row(scenario, f"{rate} msg/s latency p50", fixed, field("p50_us"), millis),
            Row(scenario, f"{rate} msg/s latency p99", fixed, field("p99_us"), millis,
                Target("max", p99)),
        ]  # fmt: skip
        if scenario == "A":  # issue 14: the store may cost A's fixed-load p99 at most 0.5 ms
            out.append(
                Row(scenario, f"{rate} msg/s p99, store minus :memory:", fixed, field("p99_us"),
                    millis, Target("max", 500), over_memory=True)
            )  # fmt: skip
        out += _damage_rows(scenario, sat, fixed, rate) + _store_rows(scenario, sat, fixed, rate)
        out += _cpu_rows(scenario, sat)
    out += [
        Row("C", f"handshakes ok of {c_users:,}", "C", field("handshakes_ok"),
            target=Target("min", c_users)),
        Row("C", "handshake p50", "C", field("handshake_p50_us"), millis),
        Row("C", "handshake p99", "C", field("handshake_p99_us"), millis, Target("max", 5000)),
        Row("C", "server RSS per connection", "C", field("rss_per_conn_bytes"), kib,
            Target("max", 2048)),
        Row("C", "server CPU", "C", field("server_cpu_share"), percent),
        Row("C", "loadgen CPU", "C", field("loadgen_cpu_share"), percent),
        Row("C", "other processes' CPU", "C", field("other_cpu_share"), percent),
        Row("S", f"handshakes completed of {storm_users:,}", "S", field("completed"),
            target=Target("min", storm_users)),
        Row("S", "stalled (no prompt or welcome)", "S", field("stalled")),
        Row("R", "100 rooms of 10, 50 active: deliveries/s", "R-sat",
            field("deliveries_per_s")),
        Row("R", "saturated latency p50", "R-sat", field("p50_us"), millis),
        Row("R", "saturated latency p99", "R-sat", field("p99_us"), millis),
        Row("R", "200 msg/s latency p50", "R-fixed", field("p50_us"), millis),
        Row("R", "200 msg/s latency p99", "R-fixed", field("p99_us"), millis),
    ]  # fmt: skip
    out += _damage_rows("R", "R-sat", "R-fixed", 200) + _store_rows("R", "R-sat", "R-fixed", 200)
    out += _cpu_rows("R", "R-sat")
    return out


def _damage_rows(scenario: str, sat: str, fixed: str, rate: int) -> list[Row]:
    return [
        Row(scenario, "lost+dup+malformed (saturated)", sat, damage, target=Target("max", 0),
            worst=True),
        Row(scenario, f"lost+dup+malformed ({rate} msg/s)", fixed, damage,
            target=Target("max", 0), worst=True),
    ]  # fmt: skip


def _store_rows(scenario: str, sat: str, fixed: str, rate: int) -> list[Row]:
    """Receipts (every sender has them on): the store's commit rate and the wait for a receipt;
    and lines the database lacked once the server had stopped (which must be none)."""
    return [
        Row(scenario, "store commits/s (saturated)", sat, field("receipts_per_s")),
        Row(scenario, "receipt latency p50 (saturated)", sat, field("receipt_p50_us"), millis),
        Row(scenario, "receipt latency p99 (saturated)", sat, field("receipt_p99_us"), millis),
        Row(scenario, f"store commits/s ({rate} msg/s)", fixed, field("receipts_per_s")),
        Row(scenario, f"receipt latency p50 ({rate} msg/s)", fixed, field("receipt_p50_us"),
            millis),
        Row(scenario, f"receipt latency p99 ({rate} msg/s)", fixed, field("receipt_p99_us"),
            millis),
        Row(scenario, "lines not in the database after stop", sat, unstored,
            target=Target("max", 0), worst=True),
        Row(scenario, f"lines not in the database after stop ({rate} msg/s)", fixed, unstored,
            target=Target("max", 0), worst=True),
    ]  # fmt: skip


def _cpu_rows(scenario: str, sat: str) -> list[Row]:
    return [
        Row(scenario, "server CPU (saturated)", sat, field("server_cpu_share"), percent),
        Row(scenario, "loadgen CPU (saturated)", sat, field("loadgen_cpu_share"), percent),
        Row(scenario, "other processes' CPU (saturated)", sat, field("other_cpu_share"),
            percent),
    ]  # fmt: skip


def unstored(report: dict) -> float | None:
    """Lines sent that the database did not hold after the server stopped (on-disk chatd only)."""
    value = report.get("unstored")
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return float(value)


def median(values: Iterable[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


def worst(values: Iterable[float | None]) -> float | None:
    """The largest value; None if any run has none (an unknown count cannot be called zero)."""
    values = list(values)
    if not values or any(value is None for value in values):
        return None
    return max(values)


def ratio(chatd: float | None, baseline: float | None) -> float | None:
    if chatd is None or baseline is None or baseline <= 0:
        return None
    return chatd / baseline


@dataclass(frozen=True)
class Line:
    row: Row
    values: dict[str, float | None]  # per server in SERVERS
    ratio: float | None
    passed: bool | None  # None when the row has no target

    @property
    def chatd(self) -> float | None:
        return self.values.get("chatd")

    @property
    def baseline(self) -> float | None:
        return self.values.get("baseline")


def _over_memory(reports: list[dict], row: Row) -> float | None:
    """Median over runs of chatd's value minus chatd-memory's in the same run."""
    by_run: dict[object, dict[str, float | None]] = {}
    for report in reports:
        if report.get("step") == row.step and report.get("server") in ("chatd", "chatd-memory"):
            by_run.setdefault(report.get("run"), {})[report["server"]] = row.get(report)
    differences = []
    for pair in by_run.values():
        store, memory = pair.get("chatd"), pair.get("chatd-memory")
        if store is not None and memory is not None:
            differences.append(store - memory)
    return statistics.median(differences) if differences else None


def reduce(reports: list[dict], table_rows: list[Row]) -> list[Line]:
    """One line per row: each server's median (or worst) over the runs in ``reports``."""
    lines = []
    for row in table_rows:
        if row.over_memory:
            difference = _over_memory(reports, row)
            passed = None if row.target is None else row.target.met(difference, None)
            values = dict.fromkeys(SERVERS)
            values["chatd"] = difference
            lines.append(Line(row, values, None, passed))
            continue
        values = {}
        for server in SERVERS:
            found = [
                row.get(report)
                for report in reports
                if report.get("server") == server and report.get("step") == row.step
            ]
            reducer = worst if row.worst else median
            values[server] = reducer(found) if found else None
        both = ratio(values["chatd"], values["baseline"])
        passed = None if row.target is None else row.target.met(values["chatd"], both)
        lines.append(Line(row, values, both, passed))
    return lines


HEADER = ("scenario", "metric", "chatd", ":memory:", "baseline", "ratio", "target", "result")


def format_table(lines: list[Line]) -> str:
    cells = [HEADER]
    for line in lines:
        row = line.row
        shown = [row.fmt(line.values.get(server)) for server in SERVERS]
        if row.over_memory:
            shown[1:] = ["", ""]
        cells.append(
            (
                row.scenario,
                row.metric,
                *shown,
                f"{line.ratio:.2f}x" if row.ratio and line.ratio is not None else "",
                row.target.text(row.fmt) if row.target else "",
                {None: "", True: "pass", False: "FAIL"}[line.passed],
            )
        )
    widths = [max(len(cell[i]) for cell in cells) for i in range(len(HEADER))]
    right = {2, 3, 4, 5}
    out = []
    for number_, cell in enumerate(cells):
        parts = [
            text.rjust(widths[i]) if i in right else text.ljust(widths[i])
            for i, text in enumerate(cell)
        ]
        out.append("  ".join(parts).rstrip())
        if number_ == 0:
            out.append("  ".join("-" * width for width in widths))
    return "\n".join(out)


def verdict(lines: list[Line]) -> tuple[int, int]:
    """(targets met, targets in all)."""
    judged = [line for line in lines if line.passed is not None]
    return sum(1 for line in judged if line.passed), len(judged)


def not_realtime(reports: list[dict]) -> list[str]:
    """The steps whose generator asked for real-time priority and did not get it."""
    return [
        f"run {report.get('run')} {report.get('step')} {report.get('server')}"
        for report in reports
        if "--realtime 1" in report.get("command", "") and report.get("realtime") is False
    ]


def disturbed(reports: list[dict], limit: float = 0.1) -> list[str]:
    """The steps during which other processes used more than ``limit`` of a core."""
    found = []
    for report in reports:
        share = report.get("other_cpu_share")
        if isinstance(share, int | float) and share > limit:
            found.append(
                f"run {report.get('run')} {report.get('step')} {report.get('server')}"
                f" ({share * 100:.0f}%)"
            )
    return found
