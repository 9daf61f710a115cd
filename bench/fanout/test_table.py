"""The runner's pure parts: medians, worst runs, ratios, targets, the table, the port in a log."""

from bench.fanout import table
from bench.fanout.scenarios import steps
from bench.fanout.servers import chatd_command, parse_port


def report(server, step, run=1, **values):
    return {"server": server, "step": step, "run": run, **values}


def test_median_ignores_missing_runs():
    assert table.median([3.0, None, 1.0, 2.0]) == 2.0
    assert table.median([None, None]) is None
    assert table.median([]) is None


def test_worst_is_the_maximum_and_unknown_if_a_run_is_unknown():
    assert table.worst([0.0, 2.0, 1.0]) == 2.0
    assert table.worst([0.0, None]) is None
    assert table.worst([]) is None


def test_ratio_needs_a_positive_baseline():
    assert table.ratio(8.0, 2.0) == 4.0
    assert table.ratio(8.0, 0.0) is None
    assert table.ratio(None, 2.0) is None
    assert table.ratio(8.0, None) is None


def test_targets():
    assert table.Target("ratio", 4).met(None, 4.0)
    assert not table.Target("ratio", 4).met(100.0, 3.99)
    assert not table.Target("ratio", 4).met(100.0, None)
    assert table.Target("max", 2000).met(2000.0, None)
    assert not table.Target("max", 2000).met(2001.0, None)
    assert not table.Target("max", 0).met(None, None)
    assert table.Target("min", 2000).met(2000.0, None)
    assert not table.Target("min", 2000).met(1999.0, None)


def test_field_rejects_missing_negative_and_non_numbers():
    get = table.field("p99_us")
    assert get({"p99_us": 1500}) == 1500.0
    assert get({}) is None
    assert get({"p99_us": -1}) is None  # the generator's "no data"
    assert get({"p99_us": "x"}) is None
    assert get({"p99_us": True}) is None
    assert get({"p99_us": 0, "error": "not every user could join"}) is None


def test_damage_adds_lost_duplicated_malformed():
    assert table.damage({"lost": 1, "duplicated": 2, "malformed": 3}) == 6.0
    assert table.damage({"lost": 0, "duplicated": 0}) is None
    assert table.damage({"lost": 0, "duplicated": 0, "malformed": 0, "error": "x"}) is None


def test_reduce_takes_medians_per_server_and_judges_chatd():
    rows = [row for row in table.rows() if row.step == "A-sat" and row.ratio]
    reports = [
        report("chatd", "A-sat", 1, deliveries_per_s=400.0),
        report("chatd", "A-sat", 2, deliveries_per_s=900.0),
        report("chatd", "A-sat", 3, deliveries_per_s=500.0),
        report("baseline", "A-sat", 1, deliveries_per_s=50.0),
        report("baseline", "A-sat", 2, deliveries_per_s=80.0),
        report("baseline", "A-sat", 3, deliveries_per_s=200.0),
    ]
    (line,) = table.reduce(reports, rows)
    assert (line.chatd, line.baseline) == (500.0, 80.0)
    assert line.ratio == 500.0 / 80.0
    assert line.passed is True


def test_reduce_uses_the_worst_run_for_damage_and_fails_without_data():
    rows = [row for row in table.rows() if row.step == "A-sat" and row.get is table.damage]
    clean = {"lost": 0, "duplicated": 0, "malformed": 0}
    reports = [
        report("chatd", "A-sat", 1, **clean),
        report("chatd", "A-sat", 2, **{**clean, "lost": 3}),
        report("chatd", "A-sat", 3, **clean),
    ]
    (line,) = table.reduce(reports, rows)
    assert line.chatd == 3.0 and line.baseline is None and line.passed is False
    (line,) = table.reduce([], rows)
    assert line.chatd is None and line.passed is False


def test_format_table_aligns_columns_and_marks_results():
    rows = [row for row in table.rows() if row.step in ("A-sat", "S")]
    reports = [
        report("chatd", "A-sat", deliveries_per_s=1_000_000.0, p50_us=1500, p99_us=2500),
        report("baseline", "A-sat", deliveries_per_s=200_000.0, p50_us=9000, p99_us=40000),
        report("chatd", "S", completed=2000, stalled=0),
        report("baseline", "S", completed=1181, stalled=819),
    ]
    text = table.format_table(table.reduce(reports, rows))
    lines = text.splitlines()
    assert lines[0].split() == list(table.HEADER)
    assert set(lines[1]) == {"-", " "}
    deliveries = next(line for line in lines if "deliveries/s" in line)
    assert deliveries.split()[-6:] == ["-", "200,000", "5.00x", ">=", "6x", "FAIL"]
    assert "1,000,000" in deliveries
    latency = next(line for line in lines if "saturated latency p99" in line)
    assert "2.50 ms" in latency and "40.00 ms" in latency
    storm = next(line for line in lines if "completed" in line)
    assert storm.split()[-3:] == [">=", "2,000", "pass"]
    damage = next(line for line in lines if "lost+dup" in line)
    assert damage.endswith("FAIL")  # no counts reported: not known to be zero
    assert len({len(line) for line in lines[:2]}) == 1  # the rule is as wide as the header


def test_verdict_counts_judged_rows_only():
    rows = [row for row in table.rows() if row.scenario == "S"]
    lines = table.reduce([report("chatd", "S", completed=2000, stalled=0)], rows)
    assert table.verdict(lines) == (1, 1)


def test_formatters():
    assert table.millis(1234) == "1.23 ms"
    assert table.kib(2048) == "2.00 KiB"
    assert table.percent(0.456) == "46 %"
    assert table.number(1234567.4) == "1,234,567"
    assert table.number(None) == table.millis(None) == "-"


def test_parse_port_from_twisted_and_baseline_logs():
    twisted = "2026-11-21T20:41:04+0000 [-] LineDoorFactory starting on 45353\n"
    assert parse_port(twisted) == 45353
    assert parse_port("baseline starting on 34759\n") == 34759
    assert parse_port("LineDoorFactory starting on 4535") is None  # line not finished yet
    assert parse_port("") is None


def test_chatd_runs_with_the_rate_limit_raised_not_off():
    command = chatd_command()
    rate = command[command.index("--rate") + 1]
    burst = command[command.index("--burst") + 1]
    assert float(rate) >= 1_000_000 and int(burst) >= 1_000_000
    assert command[command.index("--interface") + 1] == "127.0.0.1"


def test_steps_cover_every_scenario_with_bounds():
    for quick in (False, True):
        found = steps(quick)
        assert {step.scenario for step in found} == {"A", "B", "C", "S", "R"}
        assert all(step.bound > 0 for step in found)
    full = {step.name: step for step in steps()}
    assert "--rate" not in full["A-sat"].args
    assert full["A-fixed"].args[-2:] == ("--rate", "200")
    assert full["C"].args[-2:] == ("--realtime", "1")
    assert all("--realtime" not in step.args for step in full.values() if step.scenario != "C")
    assert full["B-fixed"].args[-2:] == ("--rate", "40")
    assert full["C"].args[full["C"].args.index("--users") + 1] == "10000"
    r_sat = full["R-sat"].args
    assert (
        r_sat[r_sat.index("--rooms") + 1] == "100" and r_sat[r_sat.index("--senders") + 1] == "50"
    )
    assert "baseline" not in full["R-sat"].servers and "chatd-memory" in full["A-fixed"].servers
    assert "chatd-memory" not in full["C"].servers  # the store has no part in C or S


def test_receipts_are_asked_only_of_chatd():
    """The baseline speaks v1 only: it would relay "/receipts on" as chat."""
    step = {step.name: step for step in steps()}["A-sat"]
    assert step.command_for("chatd")[-2:] == ("--receipts", "1")
    assert step.command_for("chatd-memory")[-2:] == ("--receipts", "1")
    assert "--receipts" not in step.command_for("baseline")


def test_chatd_variants_name_their_database():
    assert chatd_command(db=":memory:")[-2:] == ["--db", ":memory:"]
    assert "--db" not in chatd_command()


def test_store_minus_memory_is_the_median_of_same_run_differences():
    """Issue 14's target compares the store and :memory: run by run, not medians of each."""
    (row,) = [row for row in table.rows() if row.over_memory]
    reports = [
        report("chatd", "A-fixed", 1, p99_us=1400),
        report("chatd-memory", "A-fixed", 1, p99_us=1000),
        report("chatd", "A-fixed", 2, p99_us=3000),
        report("chatd-memory", "A-fixed", 2, p99_us=2900),
        report("chatd", "A-fixed", 3, p99_us=900),
        report("chatd-memory", "A-fixed", 3, p99_us=1100),
        report("chatd", "A-fixed", 4, p99_us=5000),  # no :memory: partner: not counted
    ]
    (line,) = table.reduce(reports, [row])
    assert line.chatd == 100.0 and line.passed is True
    (line,) = table.reduce(reports[:2], [row])
    assert line.chatd == 400.0 and line.passed is True
    (line,) = table.reduce([report("chatd", "A-fixed", 1, p99_us=1600),
                            report("chatd-memory", "A-fixed", 1, p99_us=1000)], [row])  # fmt: skip
    assert line.passed is False
    (line,) = table.reduce(reports[-1:], [row])
    assert line.chatd is None and line.passed is False


def test_lines_missing_from_the_database_fail_and_count_the_worst_run():
    rows = [row for row in table.rows() if row.step == "A-sat" and row.get is table.unstored]
    (line,) = table.reduce(
        [report("chatd", "A-sat", 1, unstored=0), report("chatd", "A-sat", 2, unstored=7)], rows
    )
    assert line.chatd == 7.0 and line.passed is False
    (line,) = table.reduce([report("chatd", "A-sat", 1, unstored=0)], rows)
    assert line.passed is True


def test_cpu_parsers():
    from bench.fanout.scenarios import machine_busy_seconds, process_cpu_seconds

    hz = __import__("os").sysconf("SC_CLK_TCK")
    stat = "cpu  100 10 50 9000 5 1 2 3 0 0\ncpu0 1 2 3 4\n"
    assert machine_busy_seconds(stat) == (100 + 10 + 50 + 1 + 2 + 3) / hz
    pid = "123 (twistd chatd) S 1 2 3 0 -1 4194560 10 0 0 0 700 300 0 0 20 0 1 0 5 6 7"
    assert process_cpu_seconds(pid) == 1000 / hz


def test_not_realtime_lists_steps_refused_the_priority_they_asked_for():
    reports = [
        {"run": 1, "step": "C", "server": "chatd", "command": "loadgen connect --realtime 1",
         "realtime": False},
        {"run": 1, "step": "C", "server": "baseline", "command": "loadgen connect --realtime 1",
         "realtime": True},
        {"run": 1, "step": "A-sat", "server": "chatd", "command": "loadgen fanout",
         "realtime": False},
    ]  # fmt: skip
    assert table.not_realtime(reports) == ["run 1 C chatd"]


def test_disturbed_lists_steps_with_other_load():
    reports = [
        report("chatd", "A-sat", 1, other_cpu_share=0.82),
        report("baseline", "A-sat", 1, other_cpu_share=0.02),
        report("chatd", "S", 2),
    ]
    assert table.disturbed(reports) == ["run 1 A-sat chatd (82%)"]
