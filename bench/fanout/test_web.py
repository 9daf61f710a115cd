"""Scenario W, B's load through chatd's web door: its steps, its server, its rows and target."""

from pathlib import Path

import pytest

from bench.fanout import run, servers, table
from bench.fanout.scenarios import steps


def report(server, step, run=1, **values):
    return {"server": server, "step": step, "run": run, **values}


def by_name(quick=False):
    return {step.name: step for step in steps(quick)}


def option(args, name):
    return args[args.index(name) + 1]


def test_w_is_b_through_the_web_door_against_chatd_only():
    """W has B's users, senders, window, size and rates; only the door differs."""
    for quick in (False, True):
        found = by_name(quick)
        for load in ("sat", "fixed"):
            line, web = found[f"B-{load}"], found[f"W-{load}"]
            assert web.door == "web" and line.door == "line"
            assert option(web.args, "--proto") == "web" and "--proto" not in line.args
            without = [a for a in web.args if a not in ("--proto", "web")]
            assert tuple(without) == line.args
            assert web.servers == ("chatd", "chatd-metrics")
            assert web.bound == line.bound
    full = by_name()
    assert option(full["W-fixed"].args, "--rate") == "40"
    assert full["W-fixed"].receipts and not full["W-sat"].receipts  # as B's steps for chatd
    assert full["W-fixed"].command_for("chatd")[-2:] == ("--receipts", "1")


def test_w_runs_right_after_b():
    """Measured minutes after B's steps, so that the machine's drift between them is small."""
    names = [step.name for step in steps()]
    assert names[names.index("B-fixed") + 1 : names.index("B-fixed") + 3] == ["W-sat", "W-fixed"]


def test_parse_port_finds_the_web_door_or_the_line_door():
    """With --web chatd logs two ports (three with metrics): each door loads its own."""
    log = (
        "2026-12-03T12:38:17+0000 [-] MetricsSite starting on 35531\n"
        "2026-12-03T12:38:17+0000 [-] LineDoorFactory starting on 35087\n"
        "2026-12-03T12:38:17+0000 [-] WebSite starting on 40005\n"
    )
    assert servers.parse_port(log) == 35087
    assert servers.parse_port(log, "web") == 40005
    first_two = "".join(log.splitlines(keepends=True)[:2])
    assert servers.parse_port(first_two, "web") is None  # not listening yet
    web_first = "2026-12-03T12:38:17+0000 [-] WebSite starting on 40005\n"
    assert servers.parse_port(web_first) is None  # the line door's is yet to come


def test_a_web_step_starts_chatd_with_the_web_door(tmp_path: Path):
    server = servers.make_server("chatd", tmp_path / "w", None, Path("twistd"), door="web")
    assert server.command[-2:] == list(servers.WEB_ARGS)
    assert server.door == "web"
    line = servers.make_server("chatd", tmp_path / "b", None, Path("twistd"))
    assert "--web" not in line.command and line.door == "line"
    with pytest.raises(ValueError):
        servers.make_server("baseline", tmp_path / "x", None, door="web")
    with pytest.raises(ValueError):
        servers.make_server("chatd", tmp_path / "y", None, door="telnet")


def ratio_row():
    (row,) = [row for row in table.rows() if row.scenario == "W" and row.versus is not None]
    return row


def test_web_over_line_is_the_median_of_same_run_ratios_and_needs_half():
    """Issue 16: chatd's W-sat deliveries/s at least 0.5x its B-sat ones, run by run."""
    row = ratio_row()
    reports = [
        report("chatd", "B-sat", 1, deliveries_per_s=4000.0),
        report("chatd", "W-sat", 1, deliveries_per_s=2400.0),  # 0.6
        report("chatd", "B-sat", 2, deliveries_per_s=2000.0),  # a slow run for both
        report("chatd", "W-sat", 2, deliveries_per_s=1100.0),  # 0.55
        report("chatd", "B-sat", 3, deliveries_per_s=4000.0),
        report("chatd", "W-sat", 3, deliveries_per_s=1600.0),  # 0.4
        report("chatd-memory", "B-sat", 3, deliveries_per_s=9000.0),  # another server
        report("chatd", "W-sat", 4, deliveries_per_s=9000.0),  # no B-sat partner: not counted
    ]
    (line,) = table.reduce(reports, [row])
    assert line.per_run == {1: 0.6, 2: 0.55, 3: 0.4}
    assert line.ratio == 0.55 and line.passed is True
    assert "0.550x" in table.format_table([line]) and ">= 0.5x" in table.format_table([line])
    (line,) = table.reduce(reports[4:6], [row])
    assert line.ratio == 0.4 and line.passed is False
    (line,) = table.reduce([report("chatd", "W-sat", 1, deliveries_per_s=2400.0)], [row])
    assert line.ratio is None and line.passed is False
    failed = [
        report("chatd", "B-sat", 1, deliveries_per_s=4000.0),
        report("chatd", "W-sat", 1, deliveries_per_s=2400.0, error="not every user could join"),
    ]
    (line,) = table.reduce(failed, [row])
    assert line.passed is False


def test_the_web_over_line_target_is_shown_only_with_b():
    rows, metric = table.rows(), ratio_row().metric
    assert metric in [row.metric for row in table.chosen(rows, ["B", "W"])]
    alone = table.chosen(rows, ["W"])
    assert metric not in [row.metric for row in alone]
    assert {row.step for row in alone} == {"W-sat", "W-fixed"}
    assert all(row.scenario == "B" for row in table.chosen(rows, ["B"]))


def test_w_judges_loss_in_both_steps_and_stored_lines():
    rows = [row for row in table.rows() if row.scenario == "W" and row.target is not None]
    damage = [row for row in rows if row.get is table.damage]
    assert {row.step for row in damage} == {"W-sat", "W-fixed"}
    reports = [
        report("chatd", "W-sat", 1, lost=0, duplicated=0, malformed=0),
        report("chatd", "W-sat", 2, lost=3, duplicated=0, malformed=0),
        report("chatd", "W-fixed", 1, lost=0, duplicated=0, malformed=0),
    ]
    lines = {line.row.step: line for line in table.reduce(reports, damage)}
    assert lines["W-sat"].chatd == 3.0 and lines["W-sat"].passed is False
    assert lines["W-fixed"].chatd == 0.0 and lines["W-fixed"].passed is True
    assert {row.step for row in rows if row.get is table.unstored} == {"W-sat", "W-fixed"}


def test_the_runner_takes_w_and_runs_it_by_default():
    assert run.parse_args([]).scenarios == ["A", "B", "C", "S", "R", "W"]
    assert run.parse_args(["--scenarios", "b,W"]).scenarios == ["B", "W"]
    with pytest.raises(SystemExit):
        run.parse_args(["--scenarios", "B,X"])
