"""The web door of a clustered node: a browser's JSON protocol across nodes on a real Redis.

A bot on node a's web door and people on node b's line door: the JSON events of lines said on
another node carry the room's sequence and time from Redis, history and a resume after a seq are
read from the room's stream, and receipts name the same seq the other node shows.
"""

from __future__ import annotations

from redis_server import LOCAL, needs_redis, node
from websocket_peer import SocketWebSocket

pytestmark = needs_redis


def test_a_web_user_and_a_line_user_on_two_nodes(daemon, redis, peers):
    """A web user on one node and an nc user on another chat both ways, see each other online,
    and the web user's history, resume and receipts agree with the other node's numbering."""
    web_node, _ = node(daemon, redis, "a", "--web", f"tcp:0:{LOCAL}")
    _, line_b = node(daemon, redis, "b")
    web_port = web_node.ports(2)[1]
    bot = SocketWebSocket(web_port)
    assert bot.next()["type"] == "hello"
    bot.join("bot")
    ann = peers(line_b)
    if ann.join("ann") != "* Online (2): ann, bot":  # node b had not heard of bot yet
        assert ann.next_line() == "* bot has joined the chat"
    assert bot.next("joined") == {"type": "joined", "name": "ann", "room": "#lobby"}
    ann.send("one", "two")
    first, second = bot.next("said"), bot.next("said")
    assert [(s["name"], s["text"], s["room"]) for s in (first, second)] == [
        ("ann", "one", "#lobby"),
        ("ann", "two", "#lobby"),
    ]
    assert second["seq"] == first["seq"] + 1 and second["time"].endswith("Z")
    bot.send({"type": "receipts", "on": True})
    assert bot.next("receipts") == {"type": "receipts", "on": True}
    bot.send({"type": "say", "text": "beep"})
    assert ann.next_line() == "bot: beep"
    receipt = bot.next("receipt")
    assert (receipt["room"], receipt["seq"]) == ("#lobby", second["seq"] + 1)
    bot.send({"type": "who"})
    assert bot.next("online")["names"] == ["ann", "bot"]
    bot.send({"type": "history", "room": "#lobby", "after": first["seq"], "limit": 10})
    history = bot.next("history")
    assert [(line["name"], line["text"], line["seq"]) for line in history["lines"]] == [
        ("ann", "two", second["seq"]),
        ("bot", "beep", receipt["seq"]),
    ]
    bot.send({"type": "history", "room": "#lobby", "before": receipt["seq"], "limit": 1})
    assert [line["text"] for line in bot.next("history")["lines"]] == ["two"]
    ann.send("/history 1")  # node b shows the web user's line under the same seq
    assert ann.next_line().startswith("* History of #lobby")
    assert ann.next_line().endswith("] bot: beep")
    assert ann.next_line() == "* End of history of #lobby"
    bot.close()
    assert ann.next_line() == "* bot has left the chat"
