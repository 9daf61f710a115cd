"""When a run passes, fails, or only earns a note.  Run: ``python -m pytest bench/soak``."""

from __future__ import annotations

import argparse

import pytest

from bench.soak.report import render, verdict
from bench.soak.run import pace_warnings


def passing_report() -> dict:
    return {
        "started": "2026-01-01 00:00:00 UTC",
        "seed": 1,
        "command": "python -m bench.soak",
        "workdir": "/tmp/x",
        "wall_s": 190.0,
        "generator_cpu_s": 40.0,
        "phases": {"join": 0.1, "load": 180.0},
        "warnings": [],
        "server": {
            "command": ["twistd"],
            "limits": {"max-send-buffer": "1048576 (default)"},
            "died_during_run": False,
            "stop": {"status": -15, "signalled": True, "seconds": 0.1, "killed": False},
            "log": {
                "lines": 10,
                "tracebacks": 0,
                "unhandled_errors": 0,
                "errors": 0,
                "warnings": 0,
                "connections_opened": 5,
                "connections_closed": 5,
                "warning_and_error_kinds": {},
                "first_problem": [],
            },
        },
        "clients": {
            "chatters": 2,
            "flooders": 1,
            "stallers": 2,
            "churners": 1,
            "stable_dropped": [],
            "quits_confirmed": 3,
        },
        "stallers": {
            "count": 2,
            "cut": 2,
            "cut_times": [50.0, 60.0],
            "bytes_to_each": 8_000_000,
            "cut_expected_above": 5_000_000,
        },
        "phases_ok": {"drained": True},
        "messages": {
            "sent": {"chatter": 10},
            "expected": 20,
            "received": 20,
            "lost": 0,
            "duplicated": 0,
            "out_of_order": 0,
            "malformed": 0,
            "malformed_examples": [],
            "errors_to_stable": 0,
            "error_examples": [],
            "lines_by_kind": {"telnet refusals (others)": 2},
            "bursts": 1,
            "latency": {"chatter": {"count": 20, "p50_s": 0.01, "p99_s": 0.1, "max_s": 0.2}},
        },
        "churn": {
            "connections": 9,
            "joined": 4,
            "handshake_timeouts": 0,
            "anomalies": 0,
            "anomaly_examples": [],
        },
    }


def test_a_clean_run_passes() -> None:
    report = passing_report()
    assert verdict(report) == ([], [])
    assert render(report).startswith("chatd soak: PASS")


@pytest.mark.parametrize("key", ["lost", "duplicated", "out_of_order", "malformed"])
def test_any_message_fault_fails(key: str) -> None:
    report = passing_report()
    report["messages"][key] = 1
    failures, _ = verdict(report)
    assert failures == [f"1 {key.replace('_', ' ')}"]


@pytest.mark.parametrize("key", ["tracebacks", "unhandled_errors"])
def test_unhandled_errors_in_the_log_fail(key: str) -> None:
    report = passing_report()
    report["server"]["log"][key] = 2
    assert verdict(report)[0]


def test_a_staller_left_connected_past_the_bound_fails() -> None:
    report = passing_report()
    report["stallers"]["cut"] = 1
    assert "were not cut off" in verdict(report)[0][0]


def test_a_staller_left_connected_under_the_bound_is_a_note() -> None:
    report = passing_report()
    report["stallers"].update(cut=0, cut_times=[], bytes_to_each=1_000_000)
    failures, notes = verdict(report)
    assert failures == [] and "under the bound" in notes[0]


def test_no_bound_at_all_is_a_note() -> None:
    report = passing_report()
    report["stallers"].update(cut=0, cut_times=[], cut_expected_above=None)
    failures, notes = verdict(report)
    assert failures == [] and "no send-buffer bound" in notes[0]


def test_a_run_that_could_not_start_fails_with_its_reason() -> None:
    report = passing_report()
    for key in ("messages", "clients", "stallers", "churn", "phases_ok"):
        del report[key]
    report["error"] = "could not run: twistd exited with status 1"
    assert verdict(report) == (["could not run: twistd exited with status 1"], [])
    assert "FAIL: could not run" in render(report)


def pace(**overrides: float) -> argparse.Namespace:
    values = {"flood_lines": 100, "flood_every": 30.0, "chat_interval": 10.0}
    values |= {"drain": 60.0, "duration": 180.0}
    return argparse.Namespace(**(values | overrides))


def test_default_pace_fits_the_default_rate_limit() -> None:
    assert pace_warnings(pace(), {"rate": "5 (default)", "burst": "20 (default)"}) == []
    assert pace_warnings(pace(), {"rate": "not supported"}) == []


def test_pace_above_the_rate_limit_is_flagged() -> None:
    warnings = pace_warnings(pace(flood_every=10.0), {"rate": "5 (default)", "burst": "20"})
    assert any("pile up" in warning for warning in warnings)
    warnings = pace_warnings(pace(drain=1.0, duration=10.0), {"rate": "1 (set)", "burst": "20"})
    assert any("raise --drain" in warning for warning in warnings)
