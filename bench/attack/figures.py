"""The runner's pure parts: percentiles, targets, and the table every scenario's figures go into.

A scenario returns :class:`Row` objects; a row's target judges its value (``pass``, ``FAIL``, or
``-`` for a figure shown for information). A value of None means the scenario could not measure
it, which fails its target: a run that broke must not look like a pass.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Value = float | bool | None


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile (``share`` from 0 to 100) of ``values``; None if empty.

    Nearest rank, not interpolation, so that p99 of a hundred samples is a sample that happened.
    """
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass(frozen=True)
class Target:
    """At most ``bound`` (``max``), at least ``bound`` (``min``), or exactly ``bound`` (``is``)."""

    kind: str
    bound: float | bool

    def met(self, value: Value) -> bool:
        if value is None:
            return False
        if self.kind == "is":
            return value is self.bound
        if isinstance(value, bool):
            return False
        if self.kind == "max":
            return value <= self.bound
        if self.kind == "min":
            return value >= self.bound
        raise ValueError(self.kind)

    def describe(self, unit: str = "") -> str:
        if self.kind == "is":
            return "yes" if self.bound else "no"
        sign = "<=" if self.kind == "max" else ">="
        return f"{sign} {format_number(float(self.bound))}{unit_suffix(unit)}"


@dataclass(frozen=True)
class Row:
    scenario: str
    figure: str
    value: Value
    unit: str = ""
    target: Target | None = None

    def verdict(self) -> str:
        if self.target is None:
            return "-"
        return "pass" if self.target.met(self.value) else "FAIL"


def unit_suffix(unit: str) -> str:
    return f" {unit}" if unit else ""


def format_number(number: float) -> str:
    """Thousands separated; whole numbers and numbers from 100 up without decimals, others one."""
    if number == int(number) or abs(number) >= 100:
        return f"{number:,.0f}"
    return f"{number:,.1f}"


def format_value(value: Value, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return format_number(float(value)) + unit_suffix(unit)


HEADER = ("scenario", "figure", "value", "target", "result")


def format_table(rows: Sequence[Row]) -> str:
    """Rows as aligned columns: scenario and figure to the left, value and target to the right."""
    cells = [HEADER] + [
        (
            row.scenario,
            row.figure,
            format_value(row.value, row.unit),
            row.target.describe(row.unit) if row.target else "",
            row.verdict(),
        )
        for row in rows
    ]
    widths = [max(len(line[column]) for line in cells) for column in range(len(HEADER))]
    rules = tuple("-" * width for width in widths)
    lines = []
    for line in [cells[0], rules, *cells[1:]]:
        left = [line[0].ljust(widths[0]), line[1].ljust(widths[1])]
        right = [line[2].rjust(widths[2]), line[3].ljust(widths[3]), line[4]]
        lines.append("  ".join(left + right).rstrip())
    return "\n".join(lines)


def tally(rows: Sequence[Row]) -> tuple[int, int]:
    """Targets met, and targets in all (figures without a target do not count)."""
    judged = [row for row in rows if row.target is not None]
    return sum(row.verdict() == "pass" for row in judged), len(judged)
