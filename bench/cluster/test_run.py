"""The cluster scenario, run small for real: Redis, three installed daemons, the C generator.

Without gcc or redis-server these tests are skipped, except in CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import os
import re
import shutil

import pytest

from bench.cluster.run import main


@pytest.fixture
def tools() -> None:
    missing = [tool for tool in ("gcc", "redis-server") if shutil.which(tool) is None]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"the cluster scenario needs {', '.join(missing)}")
        pytest.skip(f"no {', '.join(missing)}")


def test_a_small_cluster_loses_nothing_and_times_cross_node_lines(tools, capsys):
    """Three nodes of 4 people in 2 rooms, then one node of 12: every line reaches every other
    member of its room, and the cluster's report has the cross-node latency."""
    assert main(["--users", "4", "--rooms", "2", "--rate", "40", "--seconds", "1"]) == 0
    clustered, alone = capsys.readouterr().out.splitlines()
    for report in (clustered, alone):
        assert "lost 0, duplicated 0, malformed 0" in report
        sent = re.search(r"sent ([\d,]+)", report)
        assert sent is not None and int(sent.group(1).replace(",", "")) >= 30
    assert clustered.startswith("3 nodes x 4 users") and "cross-node p50" in clustered
    assert "node 0" in clustered and "redis" in clustered
    assert alone.startswith("1 node x 12 users")
