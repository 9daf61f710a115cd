"""Several installed daemons on one real redis-server: one chat, and what happens when parts fail.

Each test starts its own ``redis-server`` (the ``redis`` fixture of ``tests/redis_server.py``).
"""

from __future__ import annotations

import re
import signal
import time
import urllib.request

import pytest
from cluster_invariants import NameWatch
from installed_daemon import WAIT
from redis_server import Redis, needs_redis, node

pytestmark = needs_redis

RECEIPT = re.compile(r"\+ \d+ #dev \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def wait_joined(peer, name: str) -> None:
    """Wait until ``peer`` hears that ``name`` joined the chat."""
    peer.expect(f"* {name} has joined the chat")


def eventually(peer, command: str, answer: str) -> None:
    """Send ``command`` until it is answered ``answer``: what another node did takes a moment
    to be heard here."""
    deadline = time.monotonic() + WAIT
    kind = answer.partition("(")[0]  # "* Online ": what an answer to the command starts with
    while True:
        peer.send(command)
        while not (line := peer.next_line()).startswith((kind, "! ")):
            pass  # news from other nodes, meanwhile
        if line == answer:
            return
        assert time.monotonic() < deadline, f"{command!r} never answered {answer!r}"
        time.sleep(0.05)


def history_until(peer, room: str, wanted) -> list[str]:
    """Ask for ``room``'s history until ``wanted(lines)`` holds (the lines without their
    times); return the last answer.  A node shows a line, its own users' too, once Redis has
    handed it back."""
    deadline = time.monotonic() + WAIT
    while True:
        peer.send(f"/history {room}")
        lines = peer.expect(f"* End of history of {room}")
        shown = [line.partition("] ")[2] for line in lines[1:]]
        assert lines[0] == f"* History of {room} ({len(shown)} lines):", lines
        if wanted(shown) or time.monotonic() > deadline:
            return shown
        time.sleep(0.05)


def heard_until(peer, command: str, answer: str) -> list[str]:
    """Send ``command`` until it is answered ``answer``; return the other lines that came."""
    deadline = time.monotonic() + WAIT
    heard = []
    while True:
        peer.send(command)
        while not (line := peer.next_line()).startswith(answer.partition("(")[0]):
            heard.append(line)
        if line == answer:
            return heard
        assert time.monotonic() < deadline, f"{command!r} never answered {answer!r}"
        time.sleep(0.05)


def pair(peers, port_a: int, port_b: int):
    """alice on one node and bob on another, each known to the other's node."""
    alice, bob = peers(port_a), peers(port_b)
    alice.join("alice")
    bob.join("bob")
    wait_joined(alice, "bob")
    eventually(bob, "/who", "* Online (2): alice, bob")
    return alice, bob


def test_three_nodes_are_one_chat(daemon, redis, peers):
    """Users on three nodes chat, meet in rooms, whisper, rename and see one /who and /rooms;
    a name on one node is refused on another; history and receipts come from Redis; a node's
    metrics name it."""
    metered, port_a = node(daemon, redis, "a", "--metrics", "tcp:0:interface=127.0.0.1")
    (_, port_b), (_, port_c) = (node(daemon, redis, n) for n in "bc")
    alice, bob, carol = peers(port_a), peers(port_b), peers(port_c)
    alice.join("alice")
    bob.join("bob")
    carol.join("carol")
    for peer in (alice, bob, carol):
        eventually(peer, "/who", "* Online (3): alice, bob, carol")
    intruder = peers(port_c)
    intruder.expect_prompt()
    intruder.send("Alice")
    intruder.expect("! the username Alice is taken, please choose another")
    intruder.send("a1ice")
    intruder.expect("! the username a1ice is taken, please choose another")
    alice.send("one")
    bob.send("two")
    seen = carol.lines(2)
    assert sorted(seen) == ["alice: one", "bob: two"]
    alice.next_line()  # bob's line
    # The order Redis gave them, which carol saw.  alice's own line comes back to her node
    # through Redis as anyone's does, and may not have yet: ask until it has.
    eventually(alice, "/history 2", "* History of #lobby (2 lines):")
    assert [line.partition("] ")[2] for line in alice.lines(3)[:2]] == seen
    bob.send("/join #dev")
    bob.expect("* Now talking in #dev (1 here: bob)")
    eventually(carol, "/who #dev", "* In #dev (1): bob")
    carol.send("/join #dev")
    carol.expect("* Now talking in #dev (2 here: bob, carol)")
    bob.expect("* carol has joined #dev")
    eventually(alice, "/rooms", "* Rooms (2): #dev (2), #lobby (3)")
    alice.send("/who #dev")
    alice.expect("* In #dev (2): bob, carol")
    alice.send("/msg carol psst")
    carol.expect("[private] alice: psst")
    bob.send("/receipts on")
    bob.expect("* Receipts are on")
    bob.send("in dev")
    assert carol.next_line() == "bob: in dev"
    assert bob.next_line().startswith("+ ")
    carol.send("/history 1")
    carol.expect("[" + time.strftime("%H:%M", time.gmtime()) + "] bob: in dev")
    bob.send("/nick robert")
    carol.expect("* bob is now known as robert")
    metrics_port = metered.ports(2)[1]
    with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=WAIT) as page:
        exposition = page.read().decode()
    assert 'chatd_cluster_node{node="a"} 1.0' in exposition
    assert "chatd_cluster_ready 1.0" in exposition
    late = peers(port_a)
    late.expect_prompt()
    late.send("dave")
    assert late.next_line() == "* Welcome dave! If you ever want to quit, type <quit> to exit."
    assert late.next_line() == "* Online (4): alice, carol, dave, robert"


def test_a_killed_nodes_users_leave_and_their_names_come_free(daemon, redis, peers):
    """SIGKILL one node: its users are shown leaving elsewhere within 15 s, and their names can
    be taken again; no name is held by two users meanwhile, in Redis or on the wire."""
    with NameWatch(redis) as watch:
        doomed, port_a = node(daemon, redis, "a")
        _, port_b = node(daemon, redis, "b")
        alice, bob = pair(peers, port_a, port_b)
        watch.welcomed("alice", alice)
        watch.welcomed("bob", bob)
        killed = doomed.signal(signal.SIGKILL)
        claimant = peers(port_b)
        claimant.expect_prompt()
        while True:  # refused while the dead node's lease runs
            claimant.send("alice")
            answer = claimant.next_line()
            if not answer.startswith("!"):
                break
            assert answer == "! the username alice is taken, please choose another"
            assert time.monotonic() - killed < 15
            time.sleep(0.5)
        assert answer == "* Welcome alice! If you ever want to quit, type <quit> to exit."
        watch.welcomed("alice", claimant)
        bob.expect("* alice has left the chat")
        assert time.monotonic() - killed < 15
        eventually(bob, "/who", "* Online (2): alice, bob")
    watch.assert_clean()


def test_while_redis_is_away_nodes_keep_their_people_and_say_why(daemon, redis, peers):
    """Redis stops: connections stay; a new name and a line are refused with the reconnecting
    texts; once Redis is back (from its append-only file) the chat goes on, names held."""
    server_a, port_a = node(daemon, redis, "a")
    server_b, port_b = node(daemon, redis, "b")
    alice, bob = pair(peers, port_a, port_b)
    alice.send("before")
    assert bob.next_line() == "alice: before"
    redis.stop()
    server_b.wait_for_log(r"redis \(pub/sub\) connection lost")
    alice.send("during")
    alice.expect("! not delivered: the chat is reconnecting")
    newcomer = peers(port_b)
    newcomer.expect_prompt()
    newcomer.send("carol")
    newcomer.expect("! the chat is reconnecting, try again in a moment")
    newcomer.expect_prompt()
    redis.start()
    server_b.wait_for_log(r"caught up with the cluster", count=2)
    deadline = time.monotonic() + WAIT
    while True:
        newcomer.send("alice")
        answer = newcomer.next_line()
        if answer != "! the chat is reconnecting, try again in a moment":
            break
        newcomer.expect_prompt()
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert answer == "! the username alice is taken, please choose another"
    server_a.wait_for_log(r"caught up with the cluster", count=2)
    alice.send("after")
    assert bob.next_line() == "alice: after"


def test_a_cut_pubsub_connection_loses_nothing(daemon, redis, peers):
    """CLIENT KILL TYPE pubsub while lines flow: the other node shows every line, in order."""
    _, port_a = node(daemon, redis, "a")
    server_b, port_b = node(daemon, redis, "b")
    alice, bob = pair(peers, port_a, port_b)
    alice.send(*[f"line {number}" for number in range(50)])
    redis.command("CLIENT", "KILL", "TYPE", "pubsub")
    alice.send(*[f"line {number}" for number in range(50, 100)])
    assert bob.lines(100) == [f"alice: line {number}" for number in range(100)]
    server_b.wait_for_log(r"caught up with the cluster", count=2)
    alice.send("last")
    assert bob.next_line() == "alice: last"


LINES = 5000


def test_a_node_too_slow_for_redis_catches_up(daemon, redis, peers):
    """A node stopped while lines flow is cut off by Redis as a slow subscriber; once it runs
    again it reconnects and shows every line, in order."""
    _, port_a = node(daemon, redis, "a")
    slow, port_b = node(daemon, redis, "b")
    alice, bob = pair(peers, port_a, port_b)
    redis.command("CONFIG", "SET", "client-output-buffer-limit", "pubsub 64kb 32kb 1")
    slow.signal(signal.SIGSTOP)
    try:
        # More than the kernel's socket buffers hold, so that Redis's own buffer fills.
        padding = "x" * 800
        alice.send(*[f"line {number} {padding}" for number in range(LINES)])
        alice.send("/who")
        alice.expect("* Online (2): alice, bob")
        time.sleep(1.5)  # past the soft limit's second
    finally:
        slow.signal(signal.SIGCONT)
    got = bob.lines(LINES)
    slow.wait_for_log(r"caught up with the cluster", count=2)
    assert got == [f"alice: line {number} {padding}" for number in range(LINES)]
    assert "cannot be recovered" not in slow.log()


def test_a_redis_with_a_password(daemon, peers, tmp_path):
    """--redis-password-file gives the password of a Redis that requires one."""
    secured = Redis(tmp_path / "secured", password="s3cret-redis")
    (tmp_path / "secured").mkdir()
    (tmp_path / "redis-password").write_text("s3cret-redis\n")
    secured.start()
    try:
        _, port = node(
            daemon, secured, "a", "--redis-password-file", str(tmp_path / "redis-password")
        )
        peers(port).join("alice")
    finally:
        secured.stop()


@pytest.fixture
def forgetful(tmp_path):
    """A Redis that keeps nothing: stopped and started again, it comes back empty."""
    (tmp_path / "forgetful").mkdir()
    server = Redis(tmp_path / "forgetful", durable=False)
    server.start()
    yield server
    server.stop()


def chatting_in_dev(daemon, forgetful, peers):
    """Nodes a and b; alice on a and bob on b, in #dev, where each said a line."""
    servers = [node(daemon, forgetful, name)[0] for name in "ab"]
    alice, bob = pair(peers, *(server.ports()[0] for server in servers))
    alice.send("/join #dev")
    assert alice.next_line() == "* Now talking in #dev (1 here: alice)"
    eventually(bob, "/who #dev", "* In #dev (1): alice")
    bob.send("/join #dev")
    assert bob.next_line() == "* Now talking in #dev (2 here: alice, bob)"
    assert alice.next_line() == "* bob has joined #dev"
    alice.send("before one")
    assert bob.next_line() == "alice: before one"
    bob.send("before two")
    assert alice.next_line() == "bob: before two"
    return servers, alice, bob


def forget_everything(forgetful, servers) -> None:
    """Restart Redis empty, and wait until every node has caught up with it."""
    forgetful.stop()
    forgetful.start()
    for server in servers:
        server.wait_for_log(r"caught up with the cluster", count=2)


def test_a_redis_that_lost_its_data_is_announced(daemon, forgetful, peers):
    """Redis back empty: each member of a room hears that some of its lines could not be
    recovered; the chat goes on, the names are still held, and /history shows the lines said
    since."""
    servers, alice, bob = chatting_in_dev(daemon, forgetful, peers)
    forget_everything(forgetful, servers)
    heard = []
    for user in (alice, bob):
        heard += user.expect("* Announcement: some lines of #dev could not be recovered")
        heard += heard_until(user, "/who #dev", "* In #dev (2): alice, bob")
    alice.send("after one")
    assert bob.next_line() == "alice: after one"
    bob.send("after two")
    assert alice.next_line() == "bob: after two"
    newcomer = peers(servers[1].ports()[0])
    newcomer.expect_prompt()
    newcomer.send("alice")
    assert newcomer.next_line() == "! the username alice is taken, please choose another"
    claims = forgetful.query(*(("HGET", "chatd:names", name) for name in ("allce", "bob")))
    assert claims == [b"a", b"b"]  # claimed again in the new Redis, which decides between nodes
    before, since = ["alice: before one", "bob: before two"], ["alice: after one", "bob: after two"]
    for user in (alice, bob):
        # What the node still had in memory, or not; and bob's own line is in his node's
        # history once Redis has handed it back, which may be a moment after alice saw it.
        shown = history_until(user, "#dev", lambda lines: lines in (since, before + since))
        assert shown in (since, before + since), shown
    departures = [line for line in heard if line.endswith(" has left the chat")]
    assert not departures, f"told of departures no one made: {departures}"
    for server in servers:
        server.assert_no_errors()


def test_after_redis_lost_its_data_sequence_numbers_go_on(daemon, forgetful, peers):
    """Redis back empty: a line said next is numbered above the lines before (a seq is never
    reused, so a client resuming after the last seq it saw misses nothing), and /history shows
    the lines in the order they were said."""
    servers, alice, bob = chatting_in_dev(daemon, forgetful, peers)  # seqs 1 and 2 of #dev
    alice.send("/receipts on")
    assert alice.next_line() == "* Receipts are on"
    forget_everything(forgetful, servers)
    alice.expect("* Announcement: some lines of #dev could not be recovered")
    alice.send("after")
    while not (receipt := alice.next_line()).startswith(("+ ", "! ")):
        pass  # what else the restart brought
    assert RECEIPT.match(receipt) and int(receipt.split()[1]) > 2, receipt
    bob.expect("alice: after")
    bob.send("/history")
    shown = [line.partition("] ")[2] for line in bob.expect("* End of history of #dev")[1:]]
    assert shown in (["alice: after"], ["alice: before one", "bob: before two", "alice: after"])
