"""An operator on one node kicks and mutes a user connected to another, over a real redis-server.

Each test starts its own ``redis-server`` (the ``redis`` fixture of ``tests/redis_server.py``).
"""

from __future__ import annotations

import time

from installed_daemon import WAIT
from redis_server import needs_redis, node

pytestmark = needs_redis

PASSWORD = "s3cret-Horse-91"


def eventually(peer, command: str, answer: str) -> None:
    """Send ``command`` until it is answered ``answer``: another node's news take a moment."""
    deadline = time.monotonic() + WAIT
    while True:
        peer.send(command)
        if peer.next_line() == answer:
            return
        assert time.monotonic() < deadline, f"{command!r} never answered {answer!r}"
        time.sleep(0.05)


def test_an_operator_kicks_and_mutes_a_user_of_another_node(daemon, redis, peers):
    """An operator on node a mutes until lifted, unmutes and kicks bob, on node b: bob is told
    by his node, his room there sees the kick as after a local one, and b logs it."""
    server_a, port_a = node(daemon, redis, "a", "--operators", "oper")
    server_b, port_b = node(daemon, redis, "b", "--operators", "oper")
    oper, bob, carol = peers(port_a), peers(port_b), peers(port_b)
    oper.join("oper")
    oper.send(f"/register {PASSWORD}")
    oper.expect("* oper is now registered")
    bob.join("bob")
    carol.join("carol")
    eventually(oper, "/who", "* Online (3): bob, carol, oper")
    eventually(bob, "/who", "* Online (3): bob, carol, oper")
    oper.send("/mute bob")
    oper.expect("* bob is muted until /unmute")
    bob.expect("* You were muted by oper until an operator lifts it")
    bob.send("hello?")
    bob.expect("! you are muted")
    oper.send("/unmute bob")
    oper.expect("* bob is no longer muted")
    bob.expect("* You are no longer muted")
    oper.send("/kick bob spamming")
    assert bob.expect_eof().decode().endswith("! you were kicked by oper (spamming)\r\n")
    carol.expect("* bob was kicked by oper (spamming)")
    oper.expect("* bob was kicked by oper (spamming)")
    server_b.wait_for_log(r"oper kicked bob")
    assert "oper kicked bob" not in server_a.log()
