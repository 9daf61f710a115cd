"""The runner's pure parts: medians, worst runs, ratios, targets, the table, the port in a log."""

from pathlib import Path

from bench.fanout import servers, table
from bench.fanout.before import Before
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
    assert table.Target("within", 0.05).met(None, 0.95)
    assert table.Target("within", 0.05).met(None, 1.05)
    assert not table.Target("within", 0.05).met(None, 0.949)
    assert not table.Target("within", 0.05).met(None, 1.051)
    assert not table.Target("within", 0.05).met(1.0, None)
    assert table.Target("within", 0.05).text(table.times) == "within ±5%"


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
    assert lines[0].split() == list(table.header())
    assert table.header() == ("scenario", "metric", "chatd", ":memory:", "baseline", "ratio",
                              "target", "result")  # fmt: skip
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
        assert {step.scenario for step in found} == {"A", "B", "C", "S", "R", "W"}
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
    """The baseline speaks v1 only: it would relay "/receipts on" as chat; so may chatd-before."""
    step = {step.name: step for step in steps()}["A-fixed"]
    assert step.command_for("chatd")[-2:] == ("--receipts", "1")
    assert step.command_for("chatd-memory")[-2:] == ("--receipts", "1")
    assert step.command_for("chatd-metrics")[-2:] == ("--receipts", "1")
    assert "--receipts" not in step.command_for("baseline")
    assert "--receipts" not in step.command_for("chatd-before")


def test_saturating_a_and_b_are_plain_chat_for_every_server():
    """The throughput ratio compares the baseline's own workload (issue 5): no receipts."""
    for quick in (False, True):
        found = {step.name: step for step in steps(quick)}
        for name in ("A-sat", "B-sat"):
            assert set(found[name].servers) == set(servers.SERVERS)
            assert all("--receipts" not in found[name].command_for(s) for s in servers.SERVERS)
        receipts = found["A-receipts"]
        assert receipts.scenario == "A" and receipts.args == found["A-sat"].args
        assert set(receipts.servers) == {"chatd", "chatd-memory", "chatd-metrics"}
        assert receipts.command_for("chatd")[-2:] == ("--receipts", "1")


def test_chatd_before_runs_only_the_plain_saturating_steps_and_metrics_wherever_chatd_does():
    found = steps()
    assert [step.name for step in found if "chatd-before" in step.servers] == ["A-sat", "B-sat"]
    assert all(("chatd" in step.servers) == ("chatd-metrics" in step.servers) for step in found)


def test_chatd_variants_name_their_database():
    assert chatd_command(db=":memory:")[-2:] == ["--db", ":memory:"]
    assert "--db" not in chatd_command()


def test_store_minus_memory_is_the_median_of_same_run_differences():
    """Issue 14's target compares the store and :memory: run by run, not medians of each."""
    (row,) = [row for row in table.rows() if row.versus is not None and row.step == "A-fixed"]
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
    assert line.per_run == {1: 400.0, 2: 100.0, 3: -200.0}
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


def versus_rows(chosen):
    return {row.metric: row for row in table.rows(servers=chosen) if row.versus is not None}


def test_rows_setting_two_servers_against_each_other_need_both_chosen():
    web_line = "deliveries/s, web (W-sat) / line (B-sat)"  # chatd against itself
    assert set(versus_rows(servers.DEFAULT_SERVERS)) == {
        "200 msg/s p99, store minus :memory:",
        web_line,
    }
    assert set(versus_rows(["chatd", "baseline"])) == {web_line}
    assert set(versus_rows(["chatd-memory", "baseline"])) == set()
    every = versus_rows(servers.SERVERS)
    assert {
        "deliveries/s, before / baseline",
        "deliveries/s, chatd / before",
        "deliveries/s, metrics on / off",
    } < set(every)
    assert [row.scenario for row in table.rows(servers=servers.SERVERS)
            if row.metric == "deliveries/s, metrics on / off"] == ["A", "B"]  # fmt: skip
    assert set(versus_rows(["chatd", "chatd-metrics"])) == {
        "deliveries/s, metrics on / off",
        web_line,
    }


def test_metrics_on_off_is_judged_on_the_median_of_same_run_ratios():
    """Issue 15: within ±5 %; each run pairs the two servers measured minutes apart."""
    row = next(
        row
        for row in table.rows(servers=servers.SERVERS)
        if row.metric == "deliveries/s, metrics on / off" and row.step == "A-sat"
    )
    reports = [
        report("chatd", "A-sat", 1, deliveries_per_s=1000.0),
        report("chatd-metrics", "A-sat", 1, deliveries_per_s=970.0),
        report("chatd", "A-sat", 2, deliveries_per_s=500.0),  # a slow run for both
        report("chatd-metrics", "A-sat", 2, deliveries_per_s=510.0),
        report("chatd", "A-sat", 3, deliveries_per_s=1000.0),
        report("chatd-metrics", "A-sat", 3, deliveries_per_s=900.0),
        report("chatd-metrics", "B-sat", 3, deliveries_per_s=9.0),  # another step
    ]
    (line,) = table.reduce(reports, [row])
    assert line.per_run == {1: 0.97, 2: 1.02, 3: 0.9}
    assert line.ratio == 0.97 and line.passed is True
    (line,) = table.reduce(reports[4:], [row])
    assert line.ratio == 0.9 and line.passed is False
    (line,) = table.reduce(reports[:1], [row])  # chatd-metrics never measured: not within
    assert line.ratio is None and line.per_run == {} and line.passed is False


def test_before_against_the_baseline_is_taken_as_chatd_against_it():
    """The ratio of medians, as issue 5 defines chatd's; chatd / before pairs runs instead."""
    rows = versus_rows(servers.SERVERS)
    reports = [
        report("chatd-before", "B-sat", 1, deliveries_per_s=300.0),
        report("chatd-before", "B-sat", 2, deliveries_per_s=600.0),
        report("chatd-before", "B-sat", 3, deliveries_per_s=900.0),
        report("baseline", "B-sat", 1, deliveries_per_s=100.0),
        report("baseline", "B-sat", 2, deliveries_per_s=300.0),
        report("baseline", "B-sat", 3, deliveries_per_s=200.0),
        report("chatd", "B-sat", 1, deliveries_per_s=150.0),
        report("chatd", "B-sat", 2, deliveries_per_s=1200.0),
    ]
    by_step = [
        row for row in table.rows(servers=servers.SERVERS) if row.versus and row.step == "B-sat"
    ]
    before, versus, _metrics = table.reduce(reports, by_step)
    assert before.row.metric == rows["deliveries/s, before / baseline"].metric
    assert before.ratio == 600.0 / 200.0 and before.passed is None
    assert before.per_run == {1: 3.0, 2: 2.0, 3: 4.5}  # in the JSON report, for the spread
    assert versus.ratio == (0.5 + 2.0) / 2 and versus.per_run == {1: 0.5, 2: 2.0}


def test_format_table_has_a_column_per_chosen_server_and_ratios_in_the_ratio_column():
    chosen = ["chatd", "chatd-metrics", "baseline"]
    rows = [row for row in table.rows(servers=chosen) if row.step == "A-sat"][:2]
    reports = [
        report("chatd", "A-sat", deliveries_per_s=1_000_000.0),
        report("chatd-metrics", "A-sat", deliveries_per_s=940_000.0),
        report("baseline", "A-sat", deliveries_per_s=250_000.0),
    ]
    lines = table.format_table(table.reduce(reports, rows), chosen).splitlines()
    assert lines[0].split() == ["scenario", "metric", "chatd", "metrics", "baseline", "ratio",
                                "target", "result"]  # fmt: skip
    assert lines[2].split()[-7:] == ["1,000,000", "940,000", "250,000", "4.00x", ">=", "6x",
                                     "FAIL"]  # fmt: skip
    versus = lines[3]
    assert "deliveries/s, metrics on / off" in versus
    assert versus.split()[-4:] == ["0.940x", "within", "±5%", "FAIL"]
    assert "940,000" not in versus  # the servers' own figures are on their row, not this one


def test_table_and_runner_know_the_same_servers():
    assert set(table.COLUMNS) == set(servers.SERVERS)
    assert set(servers.DEFAULT_SERVERS) < set(servers.SERVERS)
    assert "chatd-metrics" not in servers.DEFAULT_SERVERS  # only when named


def test_parse_port_skips_the_metrics_listener():
    """chatd-metrics logs two ports; the generator must load the chat one, whichever is first."""
    log = (
        "2026-12-02T17:05:39+0000 [-] MetricsSite starting on 35531\n"
        "2026-12-02T17:05:39+0000 [-] LineDoorFactory starting on 44455\n"
    )
    assert parse_port(log) == 44455
    assert parse_port(log.splitlines(keepends=True)[0]) is None
    assert servers.listening(log) == {"MetricsSite": 35531, "LineDoorFactory": 44455}


def test_chatd_metrics_is_chatd_plus_a_metrics_listener():
    chatd = servers.server_command("chatd", "x.db", ("--history", "0"))
    metrics = servers.server_command("chatd-metrics", "x.db", ("--history", "0"))
    assert metrics == [*chatd, "--metrics", "tcp:0:interface=127.0.0.1"]
    assert servers.uses_database("chatd-metrics") and not servers.uses_database("chatd-memory")


def before(*options):
    return Before("3eea5df", "3eea5df" + "0" * 33, Path("old/twistd"), frozenset(options))


def test_chatd_before_gets_only_the_options_it_knows_and_not_chatd_arg():
    """An older chatd refuses options that came later (3eea5df has no --arrival-rate, --db)."""
    old = before("port", "interface", "rate", "burst", "max-clients", "max-per-ip")
    command = servers.server_command("chatd-before", "x.db", ("--history", "0"), old)
    assert command[:5] == ["old/twistd", "-n", "--pidfile=", "chatd", "--port"]
    assert command[-8:] == ["--rate", "1000000", "--burst", "1000000", "--max-clients",
                            "20000", "--max-per-ip", "0"]  # fmt: skip
    assert "--arrival-rate" not in command and "--db" not in command
    assert "--history" not in command
    assert not servers.uses_database("chatd-before", old)
    stored = before("rate", "burst", "db")
    assert servers.server_command("chatd-before", "x.db", (), stored)[-6:] == [
        "--rate", "1000000", "--burst", "1000000", "--db", "x.db"]  # fmt: skip
    assert servers.uses_database("chatd-before", stored)
