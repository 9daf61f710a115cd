"""The attack table (``python -m bench.attack --json PATH``) as distances from its targets.

The attack scenarios measure different things in different units (descriptors, milliseconds,
notices a second, bytes of log), so one axis cannot hold their values; what they share is a
bound. Each figure with a numeric bound is drawn as its value over that bound: at most 1 meets a
``<=`` target. Figures judged yes or no, and bounds of zero (no ratio to take), are counted in
the chart's note instead. Pure functions only, tested without matplotlib.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

BOUND = re.compile(r"^<=\s*([0-9][0-9,]*(?:\.[0-9]+)?)")


@dataclass(frozen=True)
class Table:
    """One saved attack table: where it came from, and its figures as the runner wrote them."""

    label: str
    command: str
    figures: list[dict]


@dataclass(frozen=True)
class Share:
    """One figure's value over its bound (``value``, ``bound`` and ``unit`` as in the table)."""

    key: str
    scenario: str
    value: float
    bound: float
    unit: str
    passed: bool

    @property
    def share(self) -> float:
        return self.value / self.bound


def load_table(argument: str) -> Table:
    """``PATH`` or ``LABEL=PATH``; without a label, the file's modification time (UTC) is one.

    ValueError saying why if the file is not an attack table.
    """
    label, sep, path_text = argument.partition("=")
    path = Path(path_text if sep else argument)
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        written = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: {error}") from None
    figures = saved.get("figures") if isinstance(saved, dict) else None
    if not isinstance(figures, list) or not all(isinstance(f, dict) for f in figures):
        raise ValueError(f"{path}: not an attack table (no list of figures)")
    if not sep:
        label = f"written {written:%Y-%m-%d %H:%M} UTC"
    return Table(label, str(saved.get("command") or "python -m bench.attack"), figures)


def key(figure: dict, parent: str = "") -> str:
    """Scenario and figure, the way a reader finds the row in the table.

    An indented figure belongs to the unindented one before it (``TLS clients ... that never
    read`` then ``  server fds ...``), whose words it needs to tell it from a figure of the same
    name: ``parent`` is that figure.
    """
    text = str(figure.get("figure", ""))
    if text != text.lstrip() and parent:
        text = f"{parent}: {text.strip()}"
    return f"{figure.get('scenario', '')}: {text.strip()}"


def keyed(table: Table) -> list[tuple[str, dict]]:
    """Each figure of ``table`` with its key, indented ones told apart by their parent."""
    out, parent = [], ""
    for figure in table.figures:
        text = str(figure.get("figure", ""))
        if text == text.lstrip():
            parent = text
        out.append((key(figure, parent), figure))
    return out


def command(table: Table) -> str:
    """The table's command, without the path of its JSON file (which is this machine's)."""
    return re.sub(r"--json(=|\s+)\S+", "--json FILE", table.command)


def bound(figure: dict) -> float | None:
    """The numeric upper bound of a figure's target, or None (no target, yes/no, or zero)."""
    found = BOUND.match(str(figure.get("target") or ""))
    if not found:
        return None
    value = float(found.group(1).replace(",", ""))
    return value if value > 0 else None


def shares(table: Table) -> list[Share]:
    """Every figure of ``table`` with a positive numeric bound and a numeric value, in order."""
    out = []
    for name, figure in keyed(table):
        limit, value = bound(figure), figure.get("value")
        if limit is None or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        passed = figure.get("result") == "pass"
        scenario = str(figure.get("scenario", ""))
        out.append(
            Share(name, scenario, float(value), limit, str(figure.get("unit") or ""), passed)
        )
    return out


def not_drawn(table: Table) -> tuple[int, int]:
    """(met, in all) of the targets that have no share to draw: yes/no, zero bounds, unmeasured."""
    drawn = {share.key for share in shares(table)}
    judged = [f for name, f in keyed(table) if f.get("target") and name not in drawn]
    return sum(f.get("result") == "pass" for f in judged), len(judged)


def rows(tables: list[Table]) -> list[str]:
    """The keys to draw: scenarios in the order they first appear across ``tables``, and each
    scenario's figures in the order they first appear, so that a figure renamed between two
    tables (``5 s after`` becoming ``8 s after``) still sits beside its old name."""
    scenarios: dict[str, list[str]] = {}
    for table in tables:
        for share in shares(table):
            found = scenarios.setdefault(share.scenario, [])
            if share.key not in found:
                found.append(share.key)
    return [name for found in scenarios.values() for name in found]
