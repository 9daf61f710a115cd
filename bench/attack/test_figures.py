"""The runner's pure parts: percentiles, targets, the table, and the choice of scenarios."""

from pathlib import Path

import pytest

from bench.attack import readers, run
from bench.attack.figures import Row, Target, format_table, format_value, percentile, tally
from bench.attack.wire import bystander


def test_percentile_is_nearest_rank():
    """p50 and p99 are samples that happened, by nearest rank, whatever the input order."""
    values = list(range(100, 0, -1))  # 1..100, reversed
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile([7.0], 99) == 7.0
    assert percentile([1.0, 2.0, 3.0], 50) == 2.0
    assert percentile([1.0, 2.0], 99) == 2.0


def test_percentile_of_nothing_is_none():
    """With no samples there is no percentile, rather than a zero that could pass a target."""
    assert percentile([], 99) is None


def test_targets_judge_bounds_and_yes_no():
    """Max and min bounds include the bound; a yes/no target wants exactly that answer."""
    assert Target("max", 5).met(5)
    assert not Target("max", 5).met(5.01)
    assert Target("min", 2).met(2)
    assert not Target("min", 2).met(1)
    assert Target("is", True).met(True)
    assert not Target("is", True).met(False)
    assert not Target("is", True).met(1.0)


def test_an_unmeasured_value_fails_its_target():
    """A figure the run could not take (None), or a yes/no where a number belongs, fails."""
    assert not Target("max", 5).met(None)
    assert not Target("is", False).met(None)
    assert not Target("max", 5).met(False)


def test_row_verdicts():
    """A row passes or fails against its target, and shows '-' when it has none."""
    assert Row("s", "f", 1, "", Target("max", 2)).verdict() == "pass"
    assert Row("s", "f", 3, "", Target("max", 2)).verdict() == "FAIL"
    assert Row("s", "f", 3).verdict() == "-"


def test_values_are_formatted_with_units_and_separators():
    """Numbers get thousands separators and one decimal below 100; yes/no and '-' for the rest."""
    assert format_value(1502.4, "ms") == "1,502 ms"
    assert format_value(5.64, "ms") == "5.6 ms"
    assert format_value(200) == "200"
    assert format_value(3.0, "s") == "3 s"
    assert format_value(True) == "yes"
    assert format_value(False) == "no"
    assert format_value(None, "ms") == "-"


def test_table_aligns_columns_and_describes_targets():
    """The table has a header, a rule, and one aligned line per row with target and result."""
    rows = [
        Row("2 telnet", "p99", 1502.4, "ms", Target("max", 10.6)),
        Row("1 tls-silent", "new TLS user gets the prompt", False, "", Target("is", True)),
        Row("3 ghost", "lines sent", 3000),
    ]
    lines = format_table(rows).splitlines()
    assert lines[0].split() == ["scenario", "figure", "value", "target", "result"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert lines[2].endswith("1,502 ms  <= 10.6 ms  FAIL")
    assert lines[3].endswith("no  yes         FAIL")
    assert lines[4].endswith("3,000              -")
    values = ["1,502 ms", "no", "3,000"]
    ends = {line.rfind(value) + len(value) for line, value in zip(lines[2:], values, strict=True)}
    assert len(ends) == 1  # values are right-aligned in one column


def test_tally_counts_only_rows_with_targets():
    """Targets met and targets in all; figures shown for information do not count."""
    rows = [
        Row("a", "x", 1, "", Target("max", 2)),
        Row("a", "y", 3, "", Target("max", 2)),
        Row("a", "z", 3),
    ]
    assert tally(rows) == (1, 2)


def test_scenarios_are_chosen_by_name_or_item_in_order_without_repeats():
    """--scenario takes names or the issue's item numbers; each scenario runs once."""
    args = run.parse_args(["--scenario", "3", "--scenario", "ghost", "--scenario", "1b"])
    assert args.scenarios == ["ghost", "paused-memory", "stalled-readers"]
    assert run.parse_args([]).scenarios == list(run.SCENARIOS)


def test_an_unknown_scenario_is_refused():
    """A misspelt scenario stops the runner with a usage error before any server starts."""
    with pytest.raises(SystemExit):
        run.parse_args(["--scenario", "gohst"])


def test_every_scenario_has_an_item_label():
    """Each scenario is labelled with its item of the issue, and every group names real ones."""
    assert run.LABELS["tls-silent"] == "1 tls-silent"
    assert run.LABELS["one-address"] == "5e one-address"
    assert all(name in run.SCENARIOS for names in run.GROUPS.values() for name in names)
    assert sorted(name for names in run.GROUPS.values() for name in names) == sorted(run.SCENARIOS)


def test_the_server_is_shown_relative_to_the_current_directory(tmp_path, monkeypatch):
    """A twistd under the current directory is shown relative to it, another one as given."""
    monkeypatch.chdir(tmp_path)
    assert run.shown(tmp_path / ".venv" / "bin" / "twistd") == ".venv/bin/twistd"
    assert run.shown(Path("/opt/other/bin/twistd")) == "/opt/other/bin/twistd"


def test_stalled_readers_memory_target_is_half_the_pending_growth_within_bounds():
    """Memory must fall to half its growth while output was pending, between 2 and 16 MiB."""
    assert readers.memory_target(13.3) == Target("max", 6.7)
    assert readers.memory_target(60.0) == Target("max", 16.0)
    assert readers.memory_target(1.0) == Target("max", 2.0)
    assert readers.memory_target(None) == Target("max", 16)


def test_bystanders_come_from_addresses_and_networks_of_their_own():
    """Measured users never share an address or a /24 with each other or with the attackers."""
    addresses = [bystander() for _ in range(600)]
    networks = {address.rsplit(".", 1)[0] for address in addresses}
    assert len(networks) == len(addresses)
    assert all(address.startswith("127.") for address in addresses)
    assert not any(address.startswith(("127.0.", "127.1.")) for address in addresses)
