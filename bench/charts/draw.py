"""The charts themselves, drawn with matplotlib's Agg backend into PNG files.

Everything that could make two drawings of the same run differ is fixed here: the backend (no
display), the figure's size and resolution, the font (DejaVu Sans, which matplotlib ships), and
the PNG's metadata (no software version), so that redrawing unchanged results changes no byte
and a chart in the repository changes only when its figures do.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # after use(): the backend is chosen before pyplot loads
from matplotlib.patches import Patch

from bench.charts import attack
from bench.charts.results import BASELINE, Group, Run

SIZE = (10.0, 5.6)  # inches
DPI = 110
STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "chatd",
}
#: Each server's colour (dark for p99 and throughput, light for p50) and name in the legend.
COLOURS = {
    "chatd": ("#1f5fa8", "#9cc0e8"),
    "chatd-memory": ("#2e9b8f", "#a6dcd5"),
    "baseline": ("#9a9a9a", "#d6d6d6"),
}
OTHER = ("#b8762e", "#ecc89c")
NAMES = {
    "chatd": "chatd (SQLite store)",
    "chatd-memory": "chatd (store in memory)",
    "baseline": "baseline (naive Twisted server)",
}


def _name(server: str, servers: list[str]) -> str:
    if server == "chatd" and "chatd-memory" not in servers:
        return "chatd"
    return NAMES.get(server, server)


def _save(figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI, metadata={"Software": None})
    plt.close(figure)
    return path


def _title(axes, what: str, run: Run) -> None:
    axes.set_title(f"{what}\n{run.caption()}", fontsize=10, loc="left")


def millions(value: float) -> str:
    return f"{value / 1e6:.2f} M" if value >= 1e5 else f"{value:,.0f}"


def ms(micros: float) -> str:
    value = micros / 1000
    if value < 10:
        return f"{value:.2f}"
    if value < 100:
        return f"{value:.1f}"
    return f"{value:,.0f}"


def _slots(group: Group, servers: list[str]) -> list[tuple[int, str]]:
    """The servers that measured this group, each with its slot: a group's bars stay together,
    centred on its tick, when a server did not run the step (the baseline has no rooms)."""
    present = [server for server in servers if group.values.get(server) is not None]
    return list(enumerate(present))


def _ticks(axes, groups: list[Group], servers: list[str]) -> None:
    labels = []
    for group in groups:
        missing = [server for server in servers if group.values.get(server) is None]
        labels.append(group.label + "".join(f"\n({name} not run)" for name in missing))
    axes.set_xticks(range(len(groups)), labels)


def _legend(figure, handles: list[Patch], columns: int) -> None:
    figure.legend(handles=handles, loc="outside lower center", ncols=columns, frameon=False)


def draw_throughput(run: Run, groups: list[Group], path: Path) -> Path:
    """Deliveries/s per saturating step, a bar per server; each chatd bar says its ratio."""
    servers = run.servers
    width = 0.8 / len(servers)
    with plt.rc_context(STYLE):
        figure, axes = plt.subplots(figsize=SIZE, layout="constrained")
        top = max((v for g in groups for v in g.values.values() if v is not None), default=1.0)
        for place, group in enumerate(groups):
            slots = _slots(group, servers)
            for slot, server in slots:
                value = group.values[server]
                x = place + width * (slot - (len(slots) - 1) / 2)
                axes.bar(x, value, width * 0.92, color=COLOURS.get(server, OTHER)[0])
                text = millions(value)
                ratio = group.ratio(server) if server != BASELINE else None
                if ratio is not None:
                    text += f"\n{ratio:.2f}x"
                axes.text(x, value + top * 0.01, text, ha="center", va="bottom", fontsize=9,
                          fontweight="bold" if ratio is not None else "normal")  # fmt: skip
        _ticks(axes, groups, servers)
        axes.set_xlim(-0.5, len(groups) - 0.5)
        axes.set_ylim(0, top * 1.15)
        axes.set_ylabel("deliveries per second (lines read by all clients)")
        axes.yaxis.set_major_formatter(lambda value, _pos: millions(value) if value else "0")
        axes.grid(axis="y", color="#e4e4e4")
        axes.set_axisbelow(True)
        handles = [Patch(color=COLOURS.get(s, OTHER)[0], label=_name(s, servers)) for s in servers]
        _legend(figure, handles, len(servers))
        what = "chatd fan-out: deliveries per second, and chatd's ratio to the baseline"
        _title(axes, what + " (higher is better)", run)
        return _save(figure, path)


def draw_latency(run: Run, pairs: list[tuple[Group, Group]], path: Path) -> Path:
    """p50 and p99 per fixed-rate step and C's handshakes, two bars per server, log scale."""
    servers = run.servers
    width = 0.84 / (2 * len(servers))
    with plt.rc_context(STYLE):
        figure, axes = plt.subplots(figsize=SIZE, layout="constrained")
        present = [v for pair in pairs for g in pair for v in g.values.values() if v is not None]
        low, high = min(present, default=100.0), max(present, default=1000.0)
        for place, (p50, p99) in enumerate(pairs):
            slots = _slots(p99, servers)
            for slot, server in slots:
                for half, (group, shade) in enumerate(((p50, 1), (p99, 0))):
                    value = group.values.get(server)
                    if value is None:  # p99 measured but no p50: not from this runner
                        continue
                    x = place + width * (2 * slot + half - (2 * len(slots) - 1) / 2)
                    colour = COLOURS.get(server, OTHER)[shade]
                    axes.bar(x, value / 1000, width * 0.92, color=colour)
                    axes.text(x, value / 1000 * 1.08, ms(value), ha="center", va="bottom",
                              rotation=90, fontsize=8.5)  # fmt: skip
        axes.set_yscale("log")
        axes.set_ylim(low / 1000 * 0.5, high / 1000 * 6)
        _ticks(axes, [p99 for _p50, p99 in pairs], servers)
        axes.set_xlim(-0.5, len(pairs) - 0.5)
        axes.set_ylabel("latency, ms (log scale)")
        axes.yaxis.set_major_formatter(lambda value, _pos: f"{value:,g}")
        axes.grid(axis="y", color="#e4e4e4")
        axes.set_axisbelow(True)
        handles = []
        for server in servers:
            dark, light = COLOURS.get(server, OTHER)
            handles += [
                Patch(color=light, label=f"{_name(server, servers)}: p50"),
                Patch(color=dark, label=f"{_name(server, servers)}: p99"),
            ]
        _legend(figure, handles, len(servers))
        what = "chatd fan-out: latency at a fixed load, and C's handshakes (lower is better)"
        _title(axes, what, run)
        return _save(figure, path)


#: The attack tables' colours, in the order given (the first is usually "before").
TABLE_COLOURS = ("#b0b0b0", "#1f5fa8", "#2e9b8f", "#b8762e")
FLOOR = 0.01  # a share of zero (nothing left, say) is drawn here on the log axis


def _amount(share: attack.Share) -> str:
    number = (
        f"{share.value:,.0f}"
        if share.value >= 100 or share.value == int(share.value)
        else (f"{share.value:,.1f}")
    )
    return number + (f" {share.unit}" if share.unit else "")


def _wrapped(text: str) -> str:
    """At most two lines of 60 characters, so that long figure names keep to the margin."""
    return "\n".join(textwrap.wrap(text, 60, max_lines=2, placeholder=" ..."))


def draw_attack(tables: list[attack.Table], path: Path) -> Path:
    """Each bounded attack figure as its value over its bound, one bar per table, log scale."""
    keys = attack.rows(tables)
    per_table = [{share.key: share for share in attack.shares(table)} for table in tables]
    step = 0.8 / len(tables)
    height = 1.9 + 0.2 * len(keys) * len(tables) + 0.25 * len(tables)
    with plt.rc_context(STYLE):
        figure, axes = plt.subplots(figsize=(SIZE[0], height), layout="constrained")
        for index, found in enumerate(per_table):
            colour = TABLE_COLOURS[index % len(TABLE_COLOURS)]
            for place, name in enumerate(keys):
                share = found.get(name)
                if share is None:
                    continue
                y = place + step * (index - (len(tables) - 1) / 2)
                width = max(share.share, FLOOR)
                axes.barh(y, width, step * 0.9, color=colour, left=0)
                mark = "" if share.passed else "  FAIL"
                axes.text(width * 1.08, y, _amount(share) + mark, va="center", fontsize=8)
        axes.axvline(1.0, color="#c0392b", linewidth=1.2)
        axes.text(1.0, -0.9, " target ", color="#c0392b", fontsize=8.5, ha="center")
        axes.set_xscale("log")
        highest = max((s.share for found in per_table for s in found.values()), default=10)
        axes.set_xlim(FLOOR * 0.7, max(highest, 2) * 8)
        axes.set_ylim(len(keys) - 0.5, -1.2)
        axes.set_yticks(range(len(keys)), [_wrapped(k) for k in keys], fontsize=8.5)
        axes.xaxis.set_major_formatter(lambda value, _pos: f"{value:g}x")
        axes.set_xlabel(f"value over its target's bound (log scale; at most 1 meets it; "
                        f"0 is drawn at {FLOOR:g})")  # fmt: skip
        axes.grid(axis="x", color="#e4e4e4")
        axes.set_axisbelow(True)
        handles = []
        for index, table in enumerate(tables):
            met, total = attack.not_drawn(table)
            text = f"{table.label}: `{attack.command(table)}`"
            if total:
                text += f"; yes/no targets not drawn: {met} of {total} met"
            handles.append(Patch(color=TABLE_COLOURS[index % len(TABLE_COLOURS)], label=text))
        figure.legend(handles=handles, loc="outside lower left", frameon=False, fontsize=8.5)
        axes.set_title("chatd attack scenarios (issue 13): each figure against its target "
                       "(lower is better)", fontsize=10, loc="left")  # fmt: skip
        return _save(figure, path)
