"""``--metrics``: the installed daemon serves Prometheus metrics that move with the chat.

Each test scrapes a running ``twistd chatd`` over HTTP, as Prometheus would, and reads the whole
response with ``prometheus_client``'s own parser.
"""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

#: Every metric chatd promises, by the family name the parser gives (without ``_total``).
CHATD_FAMILIES = {
    "chatd_connections": "gauge",
    "chatd_users_online": "gauge",
    "chatd_lines_received": "counter",
    "chatd_deliveries": "counter",
    "chatd_bytes_sent": "counter",
    "chatd_flood_delays": "counter",
    "chatd_slow_readers_dropped": "counter",
    "chatd_rooms": "gauge",
    "chatd_handshake_timeouts": "counter",
    "chatd_refusals": "counter",
    "chatd_store_commit_seconds": "histogram",
    "chatd_store_queue_lines": "gauge",
}


STORE_COMMITS = ("chatd_store_commit_seconds_count", ())


def scrape_until(port: int, ready, timeout: float = 10.0) -> dict:
    """Scrape until ``ready(samples)`` holds, or ``timeout`` seconds have passed; the last one."""
    deadline = time.monotonic() + timeout
    samples = scrape(port)
    while not ready(samples) and time.monotonic() < deadline:
        time.sleep(0.05)
        samples = scrape(port)
    return samples


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """GET /metrics and parse all of it; every sample, keyed by name and sorted labels."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        body = response.read().decode("utf-8")
    families = list(text_string_to_metric_families(body))
    types = {family.name: family.type for family in families}
    assert {name: types.get(name) for name in CHATD_FAMILIES} == CHATD_FAMILIES
    assert "process_resident_memory_bytes" in types  # the process collector is there too
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in families
        for sample in family.samples
    }


def line_door(sample: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    return (sample, (("door", "line"),))


@pytest.fixture
def chatd(daemon):
    """A daemon with metrics on a free loopback port; (chat port, metrics port)."""
    server = daemon(
        "chatd",
        "--port", "0",
        "--interface", "127.0.0.1",
        "--max-per-ip", "1",
        "--metrics", "tcp:0:interface=127.0.0.1",
    )  # fmt: skip
    chat_port = int(server.wait_for_log(r"LineDoorFactory starting on (\d+)\n")[0])
    metrics_port = int(server.wait_for_log(r"MetricsSite starting on (\d+)\n")[0])
    return chat_port, metrics_port


def test_values_move_with_what_people_do(chatd, peers):
    """Connections, users, lines, deliveries, bytes and refusals all follow a short chat."""
    chat_port, metrics_port = chatd
    before = scrape(metrics_port)
    assert before[line_door("chatd_connections")] == 0
    assert before[line_door("chatd_users_online")] == 0

    alice, bob = peers(chat_port), peers(chat_port)
    alice.join("alice")
    bob.join("bob")
    alice.expect("* bob has joined the chat")
    alice.send("hello bob", "how are you?")
    bob.expect("alice: how are you?")
    # From alice's address: one over --max-per-ip.
    again = peers(chat_port, source=alice.sock.getsockname()[0])
    again.expect("! too many connections from your address (limit 1)")
    again.expect_eof()
    unnamed = peers(chat_port)
    unnamed.expect_prompt()

    after = scrape(metrics_port)
    assert after[line_door("chatd_connections")] == 3  # alice, bob, unnamed
    assert after[line_door("chatd_users_online")] == 2
    assert after[line_door("chatd_lines_received_total")] == 4  # two names, two lines
    # Each side: the prompt, welcome, online list; alice hears bob join; bob hears both lines;
    # the refused one its refusal; the unnamed one its prompt.
    assert after[line_door("chatd_deliveries_total")] == 3 + 3 + 1 + 2 + 1 + 1
    assert after[line_door("chatd_bytes_sent_total")] > before[line_door("chatd_bytes_sent_total")]
    assert after[("chatd_refusals_total", (("reason", "max_per_ip"),))] == 1
    # The two lines go to the database on the writer's thread, once they are relayed: its first
    # commit (the lobby's creation at start, maybe) comes soon after, not necessarily before.
    committed = scrape_until(metrics_port, lambda now: now[STORE_COMMITS] >= 1)
    assert committed[STORE_COMMITS] >= 1
    assert after[("chatd_store_queue_lines", ())] in (0, 1, 2)
    assert after[("chatd_refusals_total", (("reason", "max_clients"),))] == 0

    bob.send("/quit")
    bob.expect_eof()
    alice.expect("* bob has left the chat")
    last = scrape(metrics_port)
    assert last[line_door("chatd_users_online")] == 1
    assert last[line_door("chatd_connections")] == 2


def test_only_metrics_is_served(chatd):
    """Any other path than /metrics is 404."""
    _, metrics_port = chatd
    for path in ("/", "/index.html", "/metric"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}{path}", timeout=10)
        assert refused.value.code == 404


def test_without_the_option_nothing_more_listens(daemon):
    """Metrics are off by default: only the chat port is opened."""
    server = daemon("chatd", "--port", "0", "--interface", "127.0.0.1")
    server.ports(1)
    server.wait_for_log(r"left \d+ start-up objects")  # start-up is over
    assert "MetricsSite" not in server.log()


def test_a_bad_metrics_endpoint_is_one_line(run_twistd):
    """A --metrics value that is no endpoint is refused by name before anything starts."""
    result = run_twistd("-n", "--pidfile=", "chatd", "--metrics", "nonsense:9100")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("chatd: cannot listen on --metrics nonsense:9100: ")
    assert result.stderr.count("\n") == 1


def test_a_busy_metrics_port_is_one_line_naming_the_option(run_twistd):
    """A --metrics port that is taken ends start-up with one line that names --metrics."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        endpoint = f"tcp:{busy}:interface=127.0.0.1"
        result = run_twistd(
            "-n", "--pidfile=", "chatd", "--port", "0", "--interface", "127.0.0.1",
            "--metrics", endpoint,
        )  # fmt: skip
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert f"chatd: cannot listen on --metrics {endpoint}: address already in use" in output
