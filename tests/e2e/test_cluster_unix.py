"""Nodes that reach Redis over its Unix socket: ``--redis unix:PATH``, as on a Debian host
whose Redis listens on ``/run/redis/redis.sock``."""

from __future__ import annotations

import pytest
from redis_server import LOCAL, Redis, needs_redis, node

pytestmark = needs_redis


@pytest.fixture
def unix_redis(tmp_path):
    """A redis-server listening only on a Unix socket in the test's folder."""
    server = Redis(tmp_path, durable=False, unix=True)
    server.start()
    yield server
    server.stop()


def test_two_nodes_meet_at_a_unix_socket(daemon, unix_redis, peers, tmp_path):
    """Two nodes joined through ``unix:PATH`` are one chat: names and lines span them.  A node
    keeps nothing on its own disk: without ``--db``, no ``chatd.db`` appears where it runs."""
    _, port_a = node(daemon, unix_redis, "a")
    server_b = daemon("chatd", "--listen", f"tcp:0:{LOCAL}", "--redis", unix_redis.endpoint,
                      "--node-name", "b")  # fmt: skip
    (port_b,) = server_b.ports()
    server_b.wait_for_log(r"caught up with the cluster")
    alice, bob = peers(port_a), peers(port_b)
    alice.join("alice")
    if bob.join("bob") != "* Online (2): alice, bob":  # node b had not heard of alice yet
        bob.expect("* alice has joined the chat")
    alice.expect("* bob has joined the chat")
    taken = peers(port_b)
    taken.expect_prompt()
    taken.send("alice")
    taken.expect("! the username alice is taken, please choose another")
    alice.send("over the socket")
    assert bob.next_line() == "alice: over the socket"
    assert not (tmp_path / "chatd.db").exists()
