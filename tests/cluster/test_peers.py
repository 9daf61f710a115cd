"""Clustered hubs on a fake Redis: one chat across nodes, and what happens when parts fail."""

from __future__ import annotations

from chatd.cluster import scripts
from chatd.cluster.lease import LEASE, LEASE_LOST, RENEW_EVERY
from chatd.core import events
from chatd.core.lookalike import lookalike_key
from chatd.core.peers import RECONNECTING_LINE, RECONNECTING_NAME, UNREACHABLE_NODE

from .conftest import texts


def refusals(client) -> list[str]:
    return [event.reason for event in client.take() if isinstance(event, events.Refused)]


def test_a_name_is_unique_across_nodes(cluster):
    """A name, or one that looks like it, used on one node is refused on another."""
    a, b = cluster.node("a"), cluster.node("b")
    a.join("alice")
    session, client = b.connect()
    session.receive("Alice")
    assert session.name is None
    assert refusals(client) == ["the username Alice is taken, please choose another"]
    session.receive("a1ice")  # a look-alike
    assert session.name is None


def test_a_rename_to_a_look_alike_of_ones_own_name_keeps_the_claim(cluster):
    """/nick to a look-alike of one's own name is one claim: the old name is not given back, or
    the new one would be free for another node to take."""
    a, b = cluster.node("a"), cluster.node("b")
    olga, _ = a.join("olga")
    olga.receive("/nick 0lga")
    assert olga.name == "0lga"
    assert cluster.redis.hashes[scripts.NAMES] == {lookalike_key("olga").encode(): b"a"}
    session, client = b.connect()
    session.receive("olga")
    assert refusals(client) == ["the username olga is taken, please choose another"]


def test_a_name_claimed_by_another_node_meanwhile_is_refused(cluster):
    """Two nodes claiming one name at once: Redis's compare-and-set gives it to one of them."""
    a, b = cluster.node("a"), cluster.node("b")
    cluster.redis.held = []  # b has not heard that alice arrived on a
    a.join("alice")
    session, client = b.connect()
    session.receive("alice")
    assert session.name is None
    assert client.take() == [
        events.Refused("the username alice is taken, please choose another", "name_taken"),
        events.AskName(),
    ]


def test_lines_reach_every_node_in_one_order(cluster):
    """Lines said on two nodes reach everyone in the room's order; the sayer gets no echo."""
    a, b, c = cluster.node("a"), cluster.node("b"), cluster.node("c")
    alice, _alice_client = a.join("alice")
    bob, bob_client = b.join("bob")
    _, carol_client = c.join("carol")
    cluster.settle()
    alice.receive("one")
    bob.receive("two")
    alice.receive("three")
    assert texts(carol_client.take()) == ["one", "two", "three"]
    assert texts(bob_client.take()) == ["one", "three"]
    seqs = [line.seq for line in c.hub.rooms.lobby.tail]
    assert seqs == [1, 2, 3]


def test_who_rooms_and_private_messages_span_the_nodes(cluster):
    """/who, /who #room and /rooms count everyone; /msg reaches a user on another node."""
    a, b = cluster.node("a"), cluster.node("b")
    alice, alice_client = a.join("alice")
    bob, bob_client = b.join("bob")
    bob.receive("/join #dev")
    alice.receive("/join #dev")
    cluster.settle()
    alice.receive("/who")
    assert alice_client.take() == [events.Online(("alice", "bob"))]
    alice.receive("/who #dev")
    assert alice_client.take() == [events.InRoom("#dev", ("alice", "bob"))]
    bob.receive("/rooms")
    assert bob_client.take() == [events.RoomList((("#dev", 2), ("#lobby", 2)))]
    bob.receive("/msg alice psst")
    assert alice_client.take() == [events.Whispered("bob", "psst")]
    assert bob_client.take() == [events.WhisperSent("alice", "psst")]


def test_a_private_message_another_node_cannot_take_is_refused(cluster):
    """/msg to a user whose node does not listen, or while Redis is away, is answered as not
    delivered; the sender is never told it went."""
    a, b = cluster.node("a"), cluster.node("b")
    _, alice_client = a.join("alice")
    bob, bob_client = b.join("bob")
    cluster.settle()
    bob_client.take()
    a.subscriber.drop()  # a hears nothing: dead, or its pub/sub connection cut
    bob.receive("/msg alice psst")
    unreachable = "not delivered: " + UNREACHABLE_NODE.format(name="alice")
    assert bob_client.take() == [events.Refused(unreachable, "reconnecting")]
    a.subscriber.restore()
    b.redis_down()
    bob.receive("/msg alice psst")
    assert bob_client.take() == [events.Refused(RECONNECTING_LINE, "reconnecting")]
    assert [e for e in alice_client.take() if isinstance(e, events.Whispered)] == []


def test_joins_renames_and_leaving_are_seen_on_other_nodes(cluster):
    """Arrivals, room changes, renames, topics and departures on one node show on the others."""
    a, b = cluster.node("a"), cluster.node("b")
    _, bob_client = b.join("bob")
    alice, _ = a.join("alice")
    assert bob_client.take() == [events.Joined("alice")]
    bob_session = b.hub.find_user("bob")
    bob_session.receive("/join #dev")
    alice.receive("/join #dev")
    assert events.RoomJoined("alice", "#dev") in bob_client.take()
    alice.receive("/topic cats")
    assert events.TopicSet("alice", "#dev", "cats") in bob_client.take()
    alice.receive("/nick alicia")
    assert events.Renamed("alice", "alicia") in bob_client.take()
    alice.receive("/quit")
    assert events.Left("alicia", None) in bob_client.take()
    assert b.hub.online() == ("bob",)


def test_history_and_receipts_come_from_the_streams(cluster):
    """/history on another node reads the room's stream; a receipt names the Redis sequence."""
    a, b = cluster.node("a"), cluster.node("b")
    alice, alice_client = a.join("alice")
    alice.receive("/receipts on")
    for number in range(8):
        alice.receive(f"line {number}")
    receipts = [e for e in alice_client.take() if isinstance(e, events.Receipt)]
    assert [receipt.seq for receipt in receipts] == list(range(1, 9))
    bob, bob_client = b.join("bob")
    bob.receive("/history 8")
    (history,) = bob_client.take()
    assert [line.original.text for line in history.lines] == [f"line {n}" for n in range(8)]


def test_a_newcomer_on_a_node_started_later_sees_the_replay(cluster):
    """A node started after lines were said serves their replay from the stream."""
    a = cluster.node("a")
    alice, _ = a.join("alice")
    alice.receive("before")
    b = cluster.node("b")
    session, client = b.connect()
    session.receive("bob")
    replayed = [e.original.text for e in client.take() if isinstance(e, events.Replayed)]
    assert replayed == ["before"]


def test_a_lost_message_is_filled_from_the_stream_and_duplicates_dropped(cluster):
    """A line whose message was lost is read from the stream; a message seen twice shows once."""
    a, b = cluster.node("a"), cluster.node("b")
    alice, _ = a.join("alice")
    _, bob_client = b.join("bob")
    cluster.redis.held = []
    alice.receive("one")
    alice.receive("two")
    alice.receive("three")
    held = cluster.redis.held
    lines = [m for m in held if m[0] == scripts.LINES]
    cluster.redis.release([lines[2], lines[0], lines[2], lines[1]])
    assert texts(bob_client.take()) == ["one", "two", "three"]
    assert (b.peers.order.refilled, b.peers.order.lost_lines) == (1, 0)  # the metrics


def test_a_gap_the_stream_cannot_fill_is_announced(cluster):
    """Lines the stream no longer has are skipped, and the room's members are told."""
    a, b = cluster.node("a"), cluster.node("b")
    alice, _ = a.join("alice")
    _, bob_client = b.join("bob")
    cluster.redis.held = []
    for text in ("one", "two", "three"):
        alice.receive(text)
    lines = [m for m in cluster.redis.held if m[0] == scripts.LINES]
    cluster.redis.trim(scripts.stream("#lobby"), 1)
    cluster.redis.release([lines[2]])
    got = bob_client.take()
    assert events.LinesLost("#lobby", 2) in got
    assert texts(got) == ["three"]
    assert b.peers.order.lost_lines == 2  # the metric


def test_a_dead_nodes_users_leave_and_their_names_are_free_again(cluster):
    """A node that stops renewing its lease: its users are shown leaving, their names free."""
    a, b = cluster.node("a"), cluster.node("b")
    a.join("alice")
    _, bob_client = b.join("bob")
    a.die()
    for _ in range(int(LEASE / RENEW_EVERY) + 2):  # b renews (and buries) every RENEW_EVERY
        cluster.clock.advance(RENEW_EVERY)
    assert events.Left("alice", None) in bob_client.take()
    assert LEASE + 2 * RENEW_EVERY <= 15
    b.join("alice")


def test_while_redis_is_away_names_and_lines_are_refused(cluster):
    """Without Redis, users stay connected; a new name, a line and a topic (which the other
    nodes could not hear) get the reconnecting refusals."""
    a = cluster.node("a")
    alice, alice_client = a.join("alice")
    a.redis_down()
    alice.receive("hello?")
    assert refusals(alice_client) == [RECONNECTING_LINE]
    alice.receive("/topic unheard")
    assert refusals(alice_client) == [RECONNECTING_NAME]
    alice.receive("/topic")
    assert alice_client.take() == [events.TopicIs("#lobby", None)]
    session, client = a.connect()
    session.receive("bob")
    assert refusals(client) == [RECONNECTING_NAME]
    assert not alice_client.closed
    cluster.clock.advance(LEASE - 2 * RENEW_EVERY)
    assert not alice_client.closed  # a short outage keeps every connection


def test_a_node_without_a_lease_for_too_long_lets_its_users_go(cluster):
    """Redis away nearly as long as a lease runs: the node disconnects its users rather than
    let another node give their names to someone else while they are still here."""
    a = cluster.node("a")
    _, alice_client = a.join("alice")
    a.redis_down()
    cluster.clock.advance(LEASE)
    assert alice_client.closed
    assert events.Refused(LEASE_LOST, "reconnecting") in alice_client.take()


def test_after_redis_comes_back_names_are_asserted_and_gaps_filled(cluster):
    """Once Redis is back, the node re-subscribes, announces its users again and fills gaps."""
    a, b = cluster.node("a"), cluster.node("b")
    alice, _ = a.join("alice")
    _, bob_client = b.join("bob")
    b.subscriber.drop()  # b's pub/sub connection is cut
    alice.receive("missed")
    b.subscriber.restore()
    assert texts(bob_client.take()) == ["missed"]
    cluster.redis.hashes[scripts.USERS].clear()  # as if alice's record were lost
    cluster.redis.hashes[scripts.NAMES].clear()
    a.redis_down()
    a.redis_up()
    assert set(cluster.redis.hashes[scripts.NAMES]) == {lookalike_key("alice").encode()}
    assert b"alice" in cluster.redis.hashes[scripts.USERS]
    session, _client = b.connect()
    session.receive("alice")
    assert session.name is None


def test_a_redis_that_lost_its_data_is_announced(cluster):
    """A Redis back with less data (a new epoch): the rooms' members hear lines were lost."""
    a = cluster.node("a")
    alice, alice_client = a.join("alice")
    alice.receive("one")
    a.redis_down()
    cluster.redis.flush()
    a.redis_up()
    assert alice_client.take() == [events.LinesLost("#lobby", 1)]
    alice.receive("again")
    assert a.hub.rooms.lobby.tail[-1].text == "again"
    assert a.hub.rooms.lobby.tail[-1].seq == 2  # numbering goes on: no seq means two lines


def test_after_redis_lost_its_data_no_one_is_shown_leaving_who_did_not(cluster):
    """Redis back empty: the node that catches up first does not take the others' users, not yet
    announced again, for gone; a node that did not come back has its users leave a lease later."""
    a, b, c = cluster.node("a"), cluster.node("b"), cluster.node("c")
    _, alice_client = a.join("alice")
    b.join("bob")
    c.join("carol")
    cluster.settle()
    for node in (a, b, c):
        node.redis_down()
    cluster.redis.flush()
    a.redis_up()
    b.redis_up()  # c never comes back
    assert alice_client.take() == [events.LinesLost("#lobby", 0)]
    for _ in range(int(LEASE) - 1):
        cluster.clock.advance(1)
    assert alice_client.take() == []
    cluster.clock.advance(1)
    assert alice_client.take() == [events.Left("carol", None)]
    assert a.hub.online() == ("alice", "bob")


def test_accounts_are_shared_by_every_node(cluster):
    """A name registered on one node needs its password on the others, a node started later too."""
    a, b = cluster.node("a"), cluster.node("b")
    alice, alice_client = a.join("alice")
    alice.receive("/register sesame123")
    assert events.Registered("alice") in alice_client.take()
    alice.receive("/quit")
    for node in (b, cluster.node("c")):
        session, client = node.connect()
        session.receive("alice")
        assert client.take() == [events.AskPassword("alice")]
        session.receive("sesame123")
        assert session.name == "alice"
        session.receive("/quit")


def test_bans_and_mutes_hold_on_every_node(cluster):
    """An operator's ban on one node disconnects the user on another and keeps the name out
    there; a timed mute set on one node silences the user on theirs."""
    a, b = cluster.node("a"), cluster.node("b")
    oper, _ = a.join("oper")
    oper.receive("/register operpass1")
    b.join("bob")
    _, mallory_client = b.join("mallory")
    cluster.settle()
    oper.receive("/mute bob 10m")
    bob = b.hub.find_user("bob")
    assert isinstance(b.clients[0].take()[-1], events.YouAreMuted)
    bob.receive("hello")
    (refusal,) = refusals(b.clients[0])
    assert refusal.startswith("you are muted until ")
    oper.receive("/ban mallory")
    assert mallory_client.closed
    session, client = b.connect()
    session.receive("mallory")
    assert refusals(client) == ["mallory is banned"]
    oper.receive("/unmute bob")
    assert b.clients[0].take()[-1] == events.YouAreUnmuted()


def test_a_node_restarted_under_its_name_announces_its_old_users_gone(cluster):
    """A node killed and started again at once, with the same name, lets its old users go:
    shown leaving, names free, though its lease never ran out."""
    a, b = cluster.node("a"), cluster.node("b")
    a.join("alice")
    _, bob_client = b.join("bob")
    a.die()
    again = cluster.node("a")
    assert events.Left("alice", None) in bob_client.take()
    assert b.hub.online() == ("bob",)
    b.join("alice")
    session, _ = again.connect()
    session.receive("alice")
    assert session.name is None
