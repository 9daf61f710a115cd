"""The charts' pure parts: reading saved runs, choosing the newest full one, medians and ratios."""

import json
from datetime import UTC, datetime

import pytest

from bench.charts import results
from bench.charts.run import choose, main

FULL = "python -m bench.fanout"
QUICK = "python -m bench.fanout --quick --runs 1"


def report(server, step, run=1, **values):
    return {"server": server, "step": step, "run": run, "error": None, **values}


def full_reports(runs=1, servers=("chatd", "baseline")):
    out = []
    for run in range(1, runs + 1):
        for step in results.FULL_STEPS:
            for server in servers:
                out.append(
                    report(server, step, run, deliveries_per_s=1000.0 * run, p50_us=100, p99_us=900)
                )
    return out


def save(directory, name, command=FULL, reports=None, checkout="abc1234"):
    path = directory / name
    path.mkdir(parents=True)
    saved = {
        "machine": {"checkout": checkout},
        "command": command,
        "reports": full_reports() if reports is None else reports,
    }
    (path / "reports.json").write_text(json.dumps(saved))
    return path


def test_load_run_reads_command_commit_and_the_start_from_the_name(tmp_path):
    """A run's date comes from its directory's stamp, its commit from the machine's checkout."""
    run = results.load_run(save(tmp_path, "20261202-151005", checkout="473b186"))
    assert run.started == datetime(2026, 12, 2, 15, 10, 5, tzinfo=UTC)
    assert run.checkout == "473b186"
    assert run.command == FULL
    assert (
        run.caption() == "2026-12-02 15:10 UTC, checkout 473b186, `python -m bench.fanout` (1 run)"
    )


def test_a_run_without_reports_json_is_unfinished(tmp_path):
    """The runner writes reports.json last, so a directory without it is refused with a reason."""
    (tmp_path / "20261202-151005" / "run1").mkdir(parents=True)
    with pytest.raises(ValueError, match="unfinished"):
        results.load_run(tmp_path / "20261202-151005")


def test_a_half_written_reports_json_is_refused(tmp_path):
    """A reports.json that does not parse is refused, not drawn from."""
    path = tmp_path / "20261202-151005"
    path.mkdir()
    (path / "reports.json").write_text('{"reports": [')
    with pytest.raises(ValueError, match="unreadable"):
        results.load_run(path)


def test_quick_and_partial_runs_are_not_full(tmp_path):
    """--quick, a missing step or a step that failed for chatd or the baseline each disqualify."""
    quick = results.load_run(save(tmp_path, "1", command=QUICK))
    assert results.not_full(quick) == "a --quick run"
    only_a = [r for r in full_reports() if r["step"].startswith("A")]
    assert "B-sat chatd" in results.not_full(results.load_run(save(tmp_path, "2", reports=only_a)))
    broken = full_reports()
    broken[-1]["error"] = "server did not start"  # C against the baseline
    assert results.not_full(results.load_run(save(tmp_path, "3", reports=broken))) == (
        "nothing measured for C baseline"
    )
    assert results.not_full(results.load_run(save(tmp_path, "4"))) is None


def test_newest_full_skips_newer_quick_unfinished_and_partial_runs(tmp_path):
    """The newest stamp wins among full runs; each newer one passed over is named with why."""
    save(tmp_path, "20261201-090000")
    save(tmp_path, "20261202-100000", checkout="wanted")
    save(tmp_path, "20261202-110000", command=QUICK)
    (tmp_path / "20261202-120000").mkdir()  # still running
    save(tmp_path, "20261202-130000", reports=full_reports(servers=("chatd",)))
    run, passed_over = results.newest_full(tmp_path)
    assert run.checkout == "wanted"
    assert [reason.split(":")[0] for reason in passed_over] == [
        "20261202-130000",
        "20261202-120000",
        "20261202-110000",
    ]


def test_stamped_runs_come_before_other_directories(tmp_path):
    """A directory whose name is not a stamp (a copy, say) never counts as newer than a run."""
    save(tmp_path, "20261202-100000", checkout="stamped")
    save(tmp_path, "zz-copied", checkout="copied")
    run, _ = results.newest_full(tmp_path)
    assert run.checkout == "stamped"


def test_no_full_run_says_why(tmp_path):
    """With nothing full to draw, the error lists each run and its reason."""
    save(tmp_path, "20261202-110000", command=QUICK)
    with pytest.raises(results.NoRun, match="20261202-110000: a --quick run"):
        results.newest_full(tmp_path)
    with pytest.raises(results.NoRun, match="not a directory"):
        results.newest_full(tmp_path / "absent")


def test_medians_over_repetitions_skip_failed_ones():
    """A group's value is the median over runs, and a failed repetition does not count."""
    reports = [*full_reports(runs=3), report("chatd", "A-sat", 4, error="broke")]
    run = results.Run(results.Path("x"), None, FULL, "c", reports)
    assert run.repetitions == 4
    assert results.median(run, "A-sat", "chatd", "deliveries_per_s") == 2000.0
    assert results.median(run, "R-sat", "chatd", "deliveries_per_s") is None


def test_throughput_groups_and_ratios_over_the_baseline():
    """Each saturating step the run has is a group; ratios are over the baseline's median."""
    reports = [
        report("chatd", "A-sat", deliveries_per_s=800.0, users=100),
        report("chatd-memory", "A-sat", deliveries_per_s=1000.0, users=100),
        report("baseline", "A-sat", deliveries_per_s=200.0, users=100),
        report("chatd", "R-sat", deliveries_per_s=50.0, users=1000, rooms=100),
        report("mystery", "R-sat", deliveries_per_s=60.0, users=1000, rooms=100),
    ]
    run = results.Run(results.Path("x"), None, FULL, "c", reports)
    assert run.servers == ["chatd", "chatd-memory", "baseline", "mystery"]
    groups = results.throughput(run)
    assert [group.step for group in groups] == ["A-sat", "R-sat"]
    assert groups[0].label == "A: 100 users, saturated"
    assert groups[0].ratio("chatd") == 4.0
    assert groups[0].ratio("chatd-memory") == 5.0
    assert groups[1].label == "R: 1,000 users\nin 100 rooms, saturated"
    assert groups[1].values["baseline"] is None
    assert groups[1].ratio("chatd") is None


def test_latency_pairs_take_handshake_percentiles_for_c():
    """Fixed-rate steps give p50/p99 of deliveries, C those of its handshakes."""
    reports = [
        report("chatd", "A-fixed", p50_us=400, p99_us=900, users=100, rate=200.0),
        report("baseline", "A-fixed", p50_us=800, p99_us=35000, users=100, rate=200.0),
        report(
            "chatd",
            "C",
            p50_us=1,
            p99_us=2,
            handshake_p50_us=790,
            handshake_p99_us=2460,
            users=10000,
            rate=1000.0,
        ),
    ]
    run = results.Run(results.Path("x"), None, FULL, "c", reports)
    pairs = results.latency(run)
    assert [p50.step for p50, _ in pairs] == ["A-fixed", "C"]
    (a50, a99), (c50, c99) = pairs
    assert a50.label == "A: 100 users, 200 msg/s"
    assert (a50.values["baseline"], a99.values["baseline"]) == (800.0, 35000.0)
    assert (c50.values["chatd"], c99.values["chatd"]) == (790.0, 2460.0)
    assert c50.label == "C: 10,000 handshakes\nat 1,000/s"


def test_a_run_directory_named_directly_is_drawn_even_if_quick(tmp_path):
    """--results may name one run, which is then taken as it is."""
    path = save(tmp_path, "20261202-110000", command=QUICK)
    assert choose(path).command == QUICK


def test_the_charts_are_drawn_into_the_output_directory(tmp_path):
    """A smoke test of the drawing: both PNGs are written, and redrawing changes no byte."""
    pytest.importorskip("matplotlib", reason="matplotlib is in the bench extra, not the test one")
    results_dir = tmp_path / "results"
    save(results_dir, "20261202-110000")
    for out in ("one", "two"):
        assert main(["--results", str(results_dir), "--out", str(tmp_path / out)]) == 0
    for name in ("fanout-throughput.png", "fanout-latency.png"):
        first = (tmp_path / "one" / name).read_bytes()
        assert first.startswith(b"\x89PNG")
        assert first == (tmp_path / "two" / name).read_bytes()


def test_nothing_to_draw_exits_2(tmp_path, capsys):
    """No full run: exit status 2 and the reason on stderr, no chart."""
    save(tmp_path, "20261202-110000", command=QUICK)
    assert main(["--results", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "a --quick run" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
