"""An operator's kick and untimed mute of a user connected to another node, on a fake Redis."""

from __future__ import annotations

from twisted.logger import Logger

from chatd.cluster.store import MUTES
from chatd.core import events
from chatd.core.peers import RECONNECTING_NAME, UNREACHABLE_NODE

from .conftest import Cluster, Node


def operator(node: Node):
    """An operator logged in on ``node`` (``oper`` is listed as one by the cluster fixture)."""
    oper, oper_client = node.join("oper")
    oper.receive("/register operpass1")
    oper_client.take()
    return oper, oper_client


def moderation_log(node: Node) -> list[dict]:
    """The log events of ``node``'s moderation, from now on."""
    logged: list[dict] = []
    node.hub.moderation.log = Logger(observer=logged.append)  # type: ignore[misc]
    return logged


def test_a_kick_of_a_user_of_another_node_is_carried_out_by_their_node(cluster: Cluster):
    """/kick of a user on another node disconnects them there as a local kick would; everyone
    sharing a room with them, on every node, and the operator see the kick notice once."""
    a, b, c = cluster.node("a"), cluster.node("b"), cluster.node("c")
    oper, oper_client = operator(a)
    _, bob_client = b.join("bob")
    _, dave_client = b.join("dave")
    _, carol_client = c.join("carol")
    cluster.settle()
    logged_a, logged_b = moderation_log(a), moderation_log(b)
    oper.receive("/kick bob flooding")
    kicked = events.Kicked("bob", "oper", "flooding")
    assert bob_client.take() == [events.Refused("you were kicked by oper (flooding)", "kicked")]
    assert bob_client.closed
    assert oper_client.take() == [kicked]
    assert dave_client.take() == [kicked]
    assert carol_client.take() == [kicked]
    for node in (a, b, c):
        assert node.hub.online() == ("carol", "dave", "oper")
    assert [event["log_format"] for event in logged_b] == ["{op} kicked {name}"]
    assert (logged_b[0]["op"], logged_b[0]["name"]) == ("oper", "bob")
    assert logged_a == []


def test_a_local_kick_shows_as_a_kick_on_the_other_nodes(cluster: Cluster):
    """A kick on the kicked user's own node reaches the other nodes as a kick, not a leave."""
    a, b = cluster.node("a"), cluster.node("b")
    _, carol_client = a.join("carol")
    oper, oper_client = operator(b)
    b.join("bob")
    cluster.settle()
    oper.receive("/kick bob")
    assert carol_client.take() == [events.Kicked("bob", "oper", None)]
    assert oper_client.take() == [events.Kicked("bob", "oper", None)]


def test_an_operator_sharing_no_room_with_the_remote_user_hears_the_kick_once(cluster: Cluster):
    """An operator in none of the kicked user's rooms is told of the kick all the same, once."""
    a, b = cluster.node("a"), cluster.node("b")
    oper, oper_client = operator(a)
    oper.receive("/join #ops")
    oper.receive("/part #lobby")
    _, bob_client = b.join("bob")
    cluster.settle()
    oper.receive("/kick bob")
    assert bob_client.closed
    assert oper_client.take() == [events.Kicked("bob", "oper", None)]


def test_a_kick_is_refused_when_the_users_node_or_redis_cannot_be_reached(cluster: Cluster):
    """A node that does not listen, or Redis away, gets the operator a refusal, never silence;
    the user stays connected."""
    a, b = cluster.node("a"), cluster.node("b")
    oper, oper_client = operator(a)
    _, bob_client = b.join("bob")
    cluster.settle()
    b.subscriber.drop()  # b hears nothing: dead, or its pub/sub connection cut
    oper.receive("/kick bob")
    unreachable = events.Refused(UNREACHABLE_NODE.format(name="bob"), "reconnecting")
    assert oper_client.take() == [unreachable]
    b.subscriber.restore()
    a.redis_down()
    oper.receive("/kick bob")
    assert oper_client.take() == [events.Refused(RECONNECTING_NAME, "reconnecting")]
    assert not bob_client.closed
    assert bob_client.take() == []


def test_a_kick_of_a_user_who_left_meanwhile_is_answered(cluster: Cluster):
    """A user who left before the kick reached their node: the operator is told they are gone."""
    a, b = cluster.node("a"), cluster.node("b")
    oper, oper_client = operator(a)
    bob, _ = b.join("bob")
    cluster.settle()
    cluster.redis.held = []  # a hears of bob's leaving only after sending the kick
    bob.receive("/quit")
    oper.receive("/kick bob")
    cluster.redis.release()
    assert oper_client.take() == [
        events.Left("bob", None),
        events.Refused("no such user: bob", "no_such_user"),
    ]


def test_a_mute_until_lifted_holds_on_every_node_and_in_no_store(cluster: Cluster):
    """/mute without a duration of a user on another node silences them on their node, which
    tells them; every node holds it, Redis keeps nothing, and /unmute ends it everywhere."""
    a, b, c = cluster.node("a"), cluster.node("b"), cluster.node("c")
    oper, oper_client = operator(a)
    bob, bob_client = b.join("bob")
    cluster.settle()
    oper.receive("/mute bob")
    assert oper_client.take() == [events.MuteSet("bob", None)]
    assert bob_client.take() == [events.YouAreMuted("oper", None)]
    bob.receive("hello")
    assert bob_client.take() == [events.Refused("you are muted", "muted")]
    assert [mute.key for mute in c.hub.moderation.mutes()] == ["bob"]
    assert not cluster.redis.hashes.get(MUTES)
    oper.receive("/unmute bob")
    assert bob_client.take() == [events.YouAreUnmuted()]
    assert [node.hub.moderation.mutes() for node in (a, b, c)] == [[], [], []]


def test_a_node_joining_later_learns_the_mutes_until_lifted(cluster: Cluster):
    """A node started (or restarted) after a mute until lifted was set holds it too, so the
    muted user cannot escape it by reconnecting there; the user is told only once."""
    a, b = cluster.node("a"), cluster.node("b")
    oper, _ = operator(a)
    _, bob_client = b.join("bob")
    cluster.settle()
    oper.receive("/mute bob")
    assert bob_client.take() == [events.YouAreMuted("oper", None)]
    a.die()  # the node that set it is gone; b still holds it
    c = cluster.node("c")
    assert [mute.key for mute in c.hub.moderation.mutes()] == ["bob"]
    assert bob_client.take() == []


def test_a_lifted_mute_is_not_brought_back_by_a_node_that_missed_the_lifting(cluster: Cluster):
    """A node cut off from Redis while a mute until lifted was lifted drops it once back,
    instead of muting the user again everywhere."""
    a, b, c = cluster.node("a"), cluster.node("b"), cluster.node("c")
    oper, _ = operator(a)
    _, bob_client = b.join("bob")
    cluster.settle()
    oper.receive("/mute bob")
    c.redis_down()
    oper.receive("/unmute bob")
    assert bob_client.take() == [events.YouAreMuted("oper", None), events.YouAreUnmuted()]
    assert [mute.key for mute in c.hub.moderation.mutes()] == ["bob"]
    c.redis_up()
    assert [node.hub.moderation.mutes() for node in (a, b, c)] == [[], [], []]
    assert bob_client.take() == []


def test_mutes_are_refused_while_redis_is_away(cluster: Cluster):
    """A /mute or /unmute that the other nodes could not hear gets the reconnecting refusal."""
    a, b = cluster.node("a"), cluster.node("b")
    oper, oper_client = operator(a)
    _, bob_client = b.join("bob")
    cluster.settle()
    a.redis_down()
    oper.receive("/mute bob")
    assert oper_client.take() == [events.Refused(RECONNECTING_NAME, "reconnecting")]
    assert a.hub.moderation.mutes() == []
    a.redis_up()
    oper.receive("/mute bob")
    a.redis_down()
    oper_client.take()
    oper.receive("/unmute bob")
    assert oper_client.take() == [events.Refused(RECONNECTING_NAME, "reconnecting")]
    assert bob_client.take() == [events.YouAreMuted("oper", None)]
