"""From the generator's JSON reports to one table: medians over runs, ratios, targets, pass/fail.

Pure functions only, so that the arithmetic can be tested without running anything. A report is
the dict :func:`bench.fanout.scenarios.run_step` returns; a value missing from it (a step that
failed or was cut short, or a server the step does not run against) is None and shows as ``-``;
a target whose chatd value is None fails. Targets judge ``chatd``, the server as it ships (with
its on-disk store); the other servers are shown beside it for comparison, and a few rows set two
servers against each other (:class:`Versus`): chatd and chatd-memory, chatd-metrics and chatd,
chatd and chatd-before; or one server in two steps: chatd's web door (W-sat) against its line
door (B-sat) in the same run.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from bench.fanout.servers import DEFAULT_SERVERS, SERVERS

#: Each server's column heading.
COLUMNS = {
    "chatd": "chatd",
    "chatd-memory": ":memory:",
    "chatd-metrics": "metrics",
    "chatd-before": "before",
    "baseline": "baseline",
}


@dataclass(frozen=True)
class Target:
    #: "ratio" (the ratio >= value), "within" (the ratio within 1 ± value), "max" (chatd's value
    #: <= value), "min" (chatd's value >= value)
    kind: str
    value: float

    def text(self, fmt: Callable[[float | None], str]) -> str:
        if self.kind == "ratio":
            return f">= {self.value:g}x"
        if self.kind == "within":
            return f"within ±{self.value * 100:g}%"
        return ("<= " if self.kind == "max" else ">= ") + fmt(self.value)

    def met(self, chatd: float | None, ratio: float | None) -> bool:
        if self.kind == "ratio":
            return ratio is not None and ratio >= self.value
        if self.kind == "within":
            # 1e-9: so that 0.95 (0.0500...04 from 1 in binary) is within 5 %
            return ratio is not None and abs(ratio - 1) <= self.value + 1e-9
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


def times(value: float | None) -> str:
    """A ratio of two servers, to three places: enough to tell 0.949 from 0.951 against ±5 %."""
    return "-" if value is None else f"{value:.3f}x"


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


#: How a :class:`Versus` row sets its two servers' figures against each other.
SAME_RUN_DIFFERENCE = "same-run difference"  # the median over runs of first - second in each run
SAME_RUN_RATIO = "same-run ratio"  # the median over runs of first / second in each run
RATIO_OF_MEDIANS = "ratio of medians"  # first's median / second's, as chatd / baseline is taken


@dataclass(frozen=True)
class Versus:
    """Two servers of one step set against each other, in a row of its own; or, with
    ``second_step``, the second's figure taken from another step (the same server in two steps).

    The same-run figures pair the servers measured minutes apart, so that the machine's drift
    between runs cancels out; a ratio to the baseline is taken as issue 5 takes chatd's.
    """

    first: str
    second: str
    how: str = SAME_RUN_RATIO
    #: the step of the second server's figure, if not the row's own
    second_step: str | None = None


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
    #: instead of each server's figure, one figure setting two servers against each other: a
    #: difference shows in the first server's column, a ratio in the ratio column
    versus: Versus | None = None


def rows(
    c_users: int = 10000, storm_users: int = 2000, servers: Collection[str] = DEFAULT_SERVERS
) -> list[Row]:
    """The table's rows; the targets are those of issues 5, 14 and 15. A row setting two
    servers against each other is there only when both are among ``servers``."""
    out: list[Row] = []
    for scenario, users, rate, p99 in (("A", 100, 200, 2000), ("B", 1000, 40, 10000)):
        sat, fixed = f"{scenario}-sat", f"{scenario}-fixed"
        out += [
            Row(scenario, f"{users} users: deliveries/s", sat, field("deliveries_per_s"),
                target=Target("ratio", 6), ratio=True),
            *_versus_rows(scenario, sat),
            Row(scenario, "saturated latency p50", sat, field("p50_us"), millis),
            Row(scenario, "saturated latency p99", sat, field("p99_us"), millis),
            Row(scenario, f"{rate} msg/s latency p50", fixed, field("p50_us"), millis),
            Row(scenario, f"{rate} msg/s latency p99", fixed, field("p99_us"), millis,
                Target("max", p99)),
        ]  # fmt: skip
        if scenario == "A":  # issue 14: the store may cost A's fixed-load p99 at most 0.5 ms
            out.append(
                Row(scenario, f"{rate} msg/s p99, store minus :memory:", fixed, field("p99_us"),
                    millis, Target("max", 500),
                    versus=Versus("chatd", "chatd-memory", SAME_RUN_DIFFERENCE))
            )  # fmt: skip
        out += _damage_rows(scenario, sat, fixed, rate)
        if scenario == "A":
            out += _receipts_rows()
        out += _receipt_rows(scenario, fixed, f"{rate} msg/s")
        out += _unstored_rows(scenario, sat, fixed, rate) + _cpu_rows(scenario, sat)
    out += _web_rows()
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
    out += _damage_rows("R", "R-sat", "R-fixed", 200)
    out += _receipt_rows("R", "R-sat", "saturated") + _receipt_rows("R", "R-fixed", "200 msg/s")
    out += _unstored_rows("R", "R-sat", "R-fixed", 200) + _cpu_rows("R", "R-sat")
    chosen = set(servers)
    return [
        row for row in out if row.versus is None or {row.versus.first, row.versus.second} <= chosen
    ]


def _web_rows() -> list[Row]:
    """W: B's 1,000 users through chatd's web door (issue 16), its throughput judged against the
    line door's in B-sat of the same run, and nothing lost."""
    deliveries = field("deliveries_per_s")
    return [
        Row("W", "1000 WebSocket users: deliveries/s", "W-sat", deliveries),
        Row("W", "deliveries/s, web (W-sat) / line (B-sat)", "W-sat", deliveries, times,
            Target("ratio", 0.5), versus=Versus("chatd", "chatd", second_step="B-sat")),
        Row("W", "saturated latency p50", "W-sat", field("p50_us"), millis),
        Row("W", "saturated latency p99", "W-sat", field("p99_us"), millis),
        Row("W", "40 msg/s latency p50", "W-fixed", field("p50_us"), millis),
        Row("W", "40 msg/s latency p99", "W-fixed", field("p99_us"), millis),
        *_damage_rows("W", "W-sat", "W-fixed", 40),
        *_receipt_rows("W", "W-fixed", "40 msg/s"),
        *_unstored_rows("W", "W-sat", "W-fixed", 40),
        *_cpu_rows("W", "W-sat"),
    ]  # fmt: skip


def _versus_rows(scenario: str, sat: str) -> list[Row]:
    """Deliveries/s in A's or B's saturating step of two servers set against each other: the
    code before a feature and now (``--before``), and metrics on and off (issue 15)."""
    deliveries = field("deliveries_per_s")
    return [
        Row(scenario, "deliveries/s, before / baseline", sat, deliveries, times,
            versus=Versus("chatd-before", "baseline", RATIO_OF_MEDIANS)),
        Row(scenario, "deliveries/s, chatd / before", sat, deliveries, times,
            versus=Versus("chatd", "chatd-before")),
        Row(scenario, "deliveries/s, metrics on / off", sat, deliveries, times,
            Target("within", 0.05), versus=Versus("chatd-metrics", "chatd")),
    ]  # fmt: skip


def _damage_rows(scenario: str, sat: str, fixed: str, rate: int) -> list[Row]:
    return [
        Row(scenario, "lost+dup+malformed (saturated)", sat, damage, target=Target("max", 0),
            worst=True),
        Row(scenario, f"lost+dup+malformed ({rate} msg/s)", fixed, damage,
            target=Target("max", 0), worst=True),
    ]  # fmt: skip


def _receipts_rows() -> list[Row]:
    """A-receipts, A's saturating load with receipts for every sender: the throughput left
    (against A-sat's, what receipts cost), and nothing lost to them."""
    return [
        Row("A", "receipts on: deliveries/s", "A-receipts", field("deliveries_per_s")),
        Row("A", "lost+dup+malformed (receipts on)", "A-receipts", damage,
            target=Target("max", 0), worst=True),
        *_receipt_rows("A", "A-receipts", "saturated"),
    ]  # fmt: skip


def _receipt_rows(scenario: str, step: str, load: str) -> list[Row]:
    """A step where every sender has receipts on: the store's commit rate and the wait for a
    receipt (issue 14)."""
    return [
        Row(scenario, f"store commits/s ({load})", step, field("receipts_per_s")),
        Row(scenario, f"receipt latency p50 ({load})", step, field("receipt_p50_us"), millis),
        Row(scenario, f"receipt latency p99 ({load})", step, field("receipt_p99_us"), millis),
    ]


def _unstored_rows(scenario: str, sat: str, fixed: str, rate: int) -> list[Row]:
    """Lines the database lacked once the server had stopped, which must be none."""
    steps = [(sat, ""), (fixed, f" ({rate} msg/s)")]
    if scenario == "A":
        steps.insert(1, ("A-receipts", " (receipts on)"))
    return [
        Row(scenario, f"lines not in the database after stop{load}", step, unstored,
            target=Target("max", 0), worst=True)
        for step, load in steps
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
    #: a :class:`Versus` row's figure in each run that measured both servers, by run
    per_run: dict[object, float] = dataclass_field(default_factory=dict)

    @property
    def chatd(self) -> float | None:
        return self.values.get("chatd")

    @property
    def baseline(self) -> float | None:
        return self.values.get("baseline")


def _reduced(reports: list[dict], row: Row, server: str, step: str | None = None) -> float | None:
    """The server's median (or worst) over the runs of ``step`` (the row's if None); None if
    none ran it."""
    step = row.step if step is None else step
    found = [
        row.get(report)
        for report in reports
        if report.get("server") == server and report.get("step") == step
    ]
    reducer = worst if row.worst else median
    return reducer(found) if found else None


def same_run(reports: list[dict], row: Row) -> dict[object, float]:
    """For a :class:`Versus` row, each run's figure of its first server set against its second
    (a difference, or else a ratio), for the runs that measured both."""
    assert row.versus is not None
    first = (row.versus.first, row.step)
    second = (row.versus.second, row.versus.second_step or row.step)
    by_run: dict[object, dict[tuple, float | None]] = {}
    for report in reports:
        key = (report.get("server"), report.get("step"))
        if key in (first, second):
            by_run.setdefault(report.get("run"), {})[key] = row.get(report)
    figures: dict[object, float] = {}
    for run, pair in by_run.items():
        a, b = pair.get(first), pair.get(second)
        if a is None or b is None:
            continue
        figure = a - b if row.versus.how == SAME_RUN_DIFFERENCE else ratio(a, b)
        if figure is not None:
            figures[run] = figure
    return figures


def _versus(reports: list[dict], row: Row) -> Line:
    assert row.versus is not None
    versus, per_run = row.versus, same_run(reports, row)
    if versus.how == RATIO_OF_MEDIANS:
        second = _reduced(reports, row, versus.second, versus.second_step)
        figure = ratio(_reduced(reports, row, versus.first), second)
    else:
        figure = median(per_run.values())
    values: dict[str, float | None] = dict.fromkeys(SERVERS)
    shown_ratio = None
    if versus.how == SAME_RUN_DIFFERENCE:
        values[versus.first] = figure
    else:
        shown_ratio = figure
    passed = None if row.target is None else row.target.met(values[versus.first], shown_ratio)
    return Line(row, values, shown_ratio, passed, per_run)


def step_scenario(step: str) -> str:
    """The scenario of a step: "B" of "B-sat", "C" of "C"."""
    return step.split("-", 1)[0]


def chosen(table_rows: list[Row], scenarios: Collection[str]) -> list[Row]:
    """The rows of the chosen scenarios; a row that compares with another scenario's step (W
    with B) only if that scenario is chosen too."""
    kept = []
    for row in table_rows:
        other = row.versus.second_step if row.versus is not None else None
        if row.scenario in scenarios and (other is None or step_scenario(other) in scenarios):
            kept.append(row)
    return kept


def reduce(reports: list[dict], table_rows: list[Row]) -> list[Line]:
    """One line per row: each server's median (or worst) over the runs in ``reports``, or for a
    :class:`Versus` row its one figure."""
    lines = []
    for row in table_rows:
        if row.versus is not None:
            lines.append(_versus(reports, row))
            continue
        values = {server: _reduced(reports, row, server) for server in SERVERS}
        both = ratio(values["chatd"], values["baseline"])
        passed = None if row.target is None else row.target.met(values["chatd"], both)
        lines.append(Line(row, values, both, passed))
    return lines


def header(servers: Collection[str] = DEFAULT_SERVERS) -> tuple[str, ...]:
    """The table's headings, with a column for each of ``servers`` in :data:`SERVERS` order."""
    shown = [COLUMNS[server] for server in SERVERS if server in servers]
    return ("scenario", "metric", *shown, "ratio", "target", "result")


def _cells(line: Line, servers: list[str]) -> tuple[str, ...]:
    row, versus = line.row, line.row.versus
    if versus is None:
        values = [row.fmt(line.values.get(server)) for server in servers]
        shown_ratio = f"{line.ratio:.2f}x" if row.ratio and line.ratio is not None else ""
    elif versus.how == SAME_RUN_DIFFERENCE:
        values = [row.fmt(line.values[s]) if s == versus.first else "" for s in servers]
        shown_ratio = ""
    else:
        values, shown_ratio = [""] * len(servers), row.fmt(line.ratio)
    return (
        row.scenario,
        row.metric,
        *values,
        shown_ratio,
        row.target.text(row.fmt) if row.target else "",
        {None: "", True: "pass", False: "FAIL"}[line.passed],
    )


def format_table(lines: list[Line], servers: Collection[str] = DEFAULT_SERVERS) -> str:
    """The lines as aligned text, with a column for each of ``servers`` (the ones measured)."""
    shown = [server for server in SERVERS if server in servers]
    cells = [header(shown), *(_cells(line, shown) for line in lines)]
    widths = [max(len(cell[i]) for cell in cells) for i in range(len(cells[0]))]
    right = set(range(2, 3 + len(shown)))  # the servers' figures and the ratio
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
