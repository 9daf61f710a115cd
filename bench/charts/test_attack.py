"""The attack chart's pure parts: bounds read from targets, shares, rows and the command shown."""

import json

import pytest

from bench.charts import attack
from bench.charts.run import main


def figure(scenario, name, value, unit="", target=None, result="-"):
    return {"scenario": scenario, "figure": name, "value": value, "unit": unit,
            "target": target, "result": result}  # fmt: skip


FIGURES = [
    figure("1 tls-per-ip", "server fds over baseline after 8 s", 402, "", "<= 5", "FAIL"),
    figure("1 tls-per-ip", "TLS user from 127.0.0.2 gets the prompt", True, "", "yes", "pass"),
    figure("1 tls-per-ip", "TLS clients from 127.0.0.1 that never read", 100),
    figure("1 tls-per-ip", "  server fds over baseline after 8 s", 0, "", "<= 5", "pass"),
    figure("1b stalled-readers", "stalled readers still in /who", 0, "", "<= 0", "pass"),
    figure("2 telnet", "1 x IAC AYT: others' /msg p99", 1411.8, "ms", "<= 1,011.4 ms", "FAIL"),
    figure("3 ghost", "could not run: took too long", None, "", "yes", "FAIL"),
]


def save(tmp_path, name="after.json", figures=FIGURES):
    path = tmp_path / name
    command = f"python -m bench.attack --json {path}"
    path.write_text(json.dumps({"command": command, "figures": figures}))
    return path


def test_bound_is_a_positive_upper_bound_only():
    """Upper bounds with thousands separators are read; yes/no, zero and lower bounds are not."""
    assert attack.bound({"target": "<= 1,011.4 ms"}) == 1011.4
    assert attack.bound({"target": "<= 5"}) == 5.0
    assert attack.bound({"target": "<= 0"}) is None
    assert attack.bound({"target": "yes"}) is None
    assert attack.bound({"target": ">= 10"}) is None
    assert attack.bound({"target": None}) is None


def test_shares_keep_indented_figures_apart_from_their_namesakes(tmp_path):
    """An indented figure is named with the figure it belongs to, so two rows never merge."""
    table = attack.load_table(f"after={save(tmp_path)}")
    shares = attack.shares(table)
    assert [share.key for share in shares] == [
        "1 tls-per-ip: server fds over baseline after 8 s",
        "1 tls-per-ip: TLS clients from 127.0.0.1 that never read: server fds over baseline "
        "after 8 s",
        "2 telnet: 1 x IAC AYT: others' /msg p99",
    ]
    assert shares[0].share == pytest.approx(80.4)
    assert not shares[0].passed and shares[1].passed
    assert shares[2].unit == "ms"


def test_targets_not_drawn_are_counted(tmp_path):
    """Yes/no targets, zero bounds and unmeasured figures are counted for the chart's note."""
    table = attack.load_table(str(save(tmp_path)))
    assert attack.not_drawn(table) == (2, 3)


def test_label_and_command_shown(tmp_path):
    """The label defaults to the file's time, and the command loses this machine's path."""
    table = attack.load_table(str(save(tmp_path)))
    assert table.label.startswith("written ") and table.label.endswith(" UTC")
    assert attack.command(table) == "python -m bench.attack --json FILE"
    assert attack.load_table(f"before, 46ce2d7={save(tmp_path)}").label == "before, 46ce2d7"


def test_rows_keep_each_scenario_together_across_tables(tmp_path):
    """A figure only the later table has (renamed, say) sits with its scenario, not at the end."""
    renamed = figure("1 tls-per-ip", "server fds after 9 s", 3, "", "<= 5", "pass")
    before = attack.load_table(str(save(tmp_path, "before.json", [FIGURES[0], FIGURES[5]])))
    after = attack.load_table(str(save(tmp_path, "after.json", [FIGURES[5], renamed])))
    assert attack.rows([before, after]) == [
        "1 tls-per-ip: server fds over baseline after 8 s",
        "1 tls-per-ip: server fds after 9 s",
        "2 telnet: 1 x IAC AYT: others' /msg p99",
    ]


def test_not_an_attack_table_is_refused(tmp_path):
    """A file without a list of figures is refused with its path in the message."""
    path = tmp_path / "reports.json"
    path.write_text(json.dumps({"reports": []}))
    with pytest.raises(ValueError, match="not an attack table"):
        attack.load_table(str(path))
    with pytest.raises(ValueError, match="absent"):
        attack.load_table(str(tmp_path / "absent.json"))


def test_the_attack_chart_is_drawn(tmp_path):
    """A smoke test of the drawing: attack.png is written from two tables."""
    pytest.importorskip("matplotlib", reason="matplotlib is in the bench extra, not the test one")
    before, after = save(tmp_path, "before.json"), save(tmp_path, "after.json")
    out = tmp_path / "out"
    assert main(["--attack", f"before={before}", "--attack", str(after), "--out", str(out)]) == 0
    assert (out / "attack.png").read_bytes().startswith(b"\x89PNG")
