"""``python -m bench.charts``: draw the newest full fan-out run as PNG charts.

By default the run is the newest full one (not ``--quick``, every step of A, B and C measured
for chatd and the baseline) in ``bench/fanout/results``; ``--results`` names another results
directory, or one run's own directory, which is then drawn whatever it holds. ``--attack`` draws
saved attack tables instead (``python -m bench.attack --json PATH``), each figure against its
target, one bar per table, e.g. before and after a fix. Exit status: 0 drawn, 2 nothing to draw
or matplotlib missing (``pip install '.[bench]'``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.charts import attack, results

HERE = Path(__file__).resolve().parent
DEFAULT_RESULTS = HERE.parent / "fanout" / "results"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.charts", description=__doc__)
    parser.add_argument(
        "--results",
        type=Path,
        default=DEFAULT_RESULTS,
        help="a results directory of bench.fanout (its newest full run is drawn), or one run's "
        "directory (default: bench/fanout/results)",
    )
    parser.add_argument(
        "--out", type=Path, default=HERE, help="where the PNGs go (default: bench/charts)"
    )
    parser.add_argument(
        "--attack",
        action="append",
        default=[],
        metavar="[LABEL=]JSON",
        help="draw bench/charts/attack.png from this attack table instead of the fan-out charts "
        "(repeatable, oldest first; the label defaults to the file's time)",
    )
    return parser.parse_args(argv)


def matplotlib_missing() -> bool:
    """Whether the drawing module cannot load; said on stderr. Checked after the inputs, so that
    a wrong path is reported as such even where matplotlib is not installed."""
    try:
        from bench.charts import draw  # noqa: F401
    except ImportError as error:
        print(f"bench.charts: needs matplotlib ({error}): pip install '.[bench]'", file=sys.stderr)
        return True
    return False


def draw_attack(arguments: list[str], out: Path) -> int:
    try:
        tables = [attack.load_table(argument) for argument in arguments]
    except ValueError as error:
        print(f"bench.charts: {error}", file=sys.stderr)
        return 2
    if not attack.rows(tables):
        print("bench.charts: no figure with a numeric target to draw", file=sys.stderr)
        return 2
    if matplotlib_missing():
        return 2
    from bench.charts import draw

    print(draw.draw_attack(tables, out / "attack.png"))
    return 0


def choose(path: Path) -> results.Run:
    """The run to draw: ``path`` itself if it is a run, else the newest full run under it."""
    if (path / "reports.json").exists():
        return results.load_run(path)
    run, passed_over = results.newest_full(path)
    for reason in passed_over:
        print(f"bench.charts: passed over {reason}", file=sys.stderr)
    return run


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.attack:
        return draw_attack(args.attack, args.out)
    try:
        run = choose(args.results)
    except (results.NoRun, ValueError) as error:
        print(f"bench.charts: {error}", file=sys.stderr)
        return 2
    if matplotlib_missing():
        return 2
    from bench.charts import draw

    print(f"bench.charts: drawing {run.path} ({run.caption()})", file=sys.stderr)
    drawn = []
    groups = results.throughput(run)
    if groups:
        drawn.append(draw.draw_throughput(run, groups, args.out / "fanout-throughput.png"))
    pairs = results.latency(run)
    if pairs:
        drawn.append(draw.draw_latency(run, pairs, args.out / "fanout-latency.png"))
    if not drawn:
        print("bench.charts: the run has no step to draw", file=sys.stderr)
        return 2
    for path in drawn:
        print(path)
    return 0
