"""Protocol v2 with its users spread over three clustered nodes, byte for byte.

One redis-server and three installed nodes (``a``, ``b`` and ``c``) are shared by the module's
tests; each test uses names and rooms of its own, and starts once the previous test's users are
gone from Redis (``nobody_online``).  Only the first test speaks in ``#lobby``, so the others
can skip its replay when joining (:func:`enter`).  Where a thing done on one node takes a moment
to be known on another, the tests ask again until it is (``eventually``), within a bound.
"""

from __future__ import annotations

import re
import time

import pytest
from installed_daemon import WAIT
from redis_server import LOCAL, needs_redis, node
from websocket_peer import SocketWebSocket

from chatd.core.lookalike import lookalike_key

pytestmark = needs_redis

RECEIPT = re.compile(r"\+ (\d+) (#\S+) (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)$")


STAMP = re.compile(r"\[\d\d:\d\d\] ")


def unstamped(lines: list[str]) -> list[str]:
    """History or replay lines without their ``[HH:MM] `` (said today), which each must have."""
    assert all(STAMP.match(line) for line in lines), lines
    return [line[8:] for line in lines]


@pytest.fixture(scope="module")
def servers(module_daemon, module_redis):
    """Nodes a, b and c on one Redis; c has a web door too."""
    web = ("--web", f"tcp:0:{LOCAL}")
    return [node(module_daemon, module_redis, name, *extra)[0] for name, extra in
            (("a", ()), ("b", ()), ("c", web))]  # fmt: skip


@pytest.fixture(scope="module")
def cluster(servers):
    """The line ports of nodes a, b and c."""
    return tuple(server.ports()[0] for server in servers)


@pytest.fixture(autouse=True)
def nobody_online(module_redis, cluster):
    """Wait until no user of an earlier test is online or holds a name."""
    deadline = time.monotonic() + WAIT
    while module_redis.query(("HLEN", "chatd:users"), ("HLEN", "chatd:names")) != [0, 0]:
        assert time.monotonic() < deadline, "an earlier test's users are still online"
        time.sleep(0.05)


def announced(redis, name: str) -> None:
    """Wait until Redis has the record of user ``name``: the news of their arrival is then on
    its way to every node, ahead of anything a test does next."""
    deadline = time.monotonic() + WAIT
    while redis.query(("HEXISTS", "chatd:users", name.casefold())) != [1]:
        assert time.monotonic() < deadline, f"{name} was never announced"
        time.sleep(0.01)


@pytest.fixture
def enter(peers, module_redis):
    """``enter(port, name)``: a user ``name`` on the node at ``port``, past the welcome,
    ``* Online`` and the replay of ``#lobby``, announced to every node."""

    def enter(port: int, name: str):
        peer = peers(port)
        peer.join(name)
        peer.send("/receipts off")  # a marker: what comes before it is the replay
        for line in peer.expect("* Receipts are off"):
            assert line.startswith("["), f"{name} got {line!r} before the marker"
        announced(module_redis, name)
        return peer

    return enter


def eventually(peer, command: str, answer: str) -> None:
    """Send ``command`` until it is answered ``answer``: what another node did takes a moment
    to be heard here.  Other lines meanwhile are not expected."""
    deadline = time.monotonic() + WAIT
    while True:
        peer.send(command)
        line = peer.next_line()
        if line == answer:
            return
        assert time.monotonic() < deadline, f"{command!r} answered {line!r}, not {answer!r}"
        time.sleep(0.05)


def spread(enter, cluster, *names: str) -> list:
    """Users ``names`` on nodes a, b, c, a, ... in turn, each known to every node."""
    users = []
    everyone = f"* Online ({len(names)}): " + ", ".join(sorted(names, key=str.casefold))
    for index, name in enumerate(names):
        users.append(enter(cluster[index % 3], name))
        for earlier in users[:-1]:
            assert earlier.next_line() == f"* {name} has joined the chat"
    for user in users:
        eventually(user, "/who", everyone)
    return users


def test_joining_chatting_and_leaving_across_nodes(cluster, peers, module_redis):
    """Each user is welcomed with everyone online on every node, and the others hear of it;
    lines and actions reach the users of the other nodes once, without an echo; a newcomer
    gets the lobby's replay from another node; quitting and a lost connection are announced."""
    ann = peers(cluster[0])
    assert ann.join("ann") == "* Online (1): ann"
    announced(module_redis, "ann")
    ben = peers(cluster[1])
    assert ben.join("ben") == "* Online (2): ann, ben"
    assert ann.next_line() == "* ben has joined the chat"
    announced(module_redis, "ben")
    cid = peers(cluster[2])
    assert cid.join("cid") == "* Online (3): ann, ben, cid"
    assert [ann.next_line(), ben.next_line()] == ["* cid has joined the chat"] * 2

    ann.send("hello all")
    assert [ben.next_line(), cid.next_line()] == ["ann: hello all"] * 2
    ben.send("/me waves")
    assert [ann.next_line(), cid.next_line()] == ["* ben waves"] * 2
    cid.send("  indented", "//slash")
    assert ann.lines(2) == ben.lines(2) == ["cid:   indented", "cid: /slash"]
    for user in (ann, ben, cid):
        user.send("/who")
        assert user.next_line() == "* Online (3): ann, ben, cid"  # no echo came before it

    dan = peers(cluster[1])
    dan.expect_prompt()
    dan.send("dan")
    assert dan.lines(2) == [
        "* Welcome dan! If you ever want to quit, type <quit> to exit.",
        "* Online (4): ann, ben, cid, dan",
    ]
    assert unstamped(dan.lines(4)) == [
        "ann: hello all",
        "* ben waves",
        "cid:   indented",
        "cid: /slash",
    ]
    for user in (ann, ben, cid):
        assert user.next_line() == "* dan has joined the chat"

    cid.send("/quit off to bed")
    assert cid.next_line() == "* Goodbye cid!"
    cid.expect_eof()
    for user in (ann, ben, dan):
        assert user.next_line() == "* cid has left the chat (off to bed)"
    ben.close()
    for user in (ann, dan):
        assert user.next_line() == "* ben has left the chat"
        eventually(user, "/who", "* Online (2): ann, dan")


def test_rooms_topics_and_the_current_room_across_nodes(cluster, enter):
    """Rooms made on one node are joined from others with their members, topic (and who set
    it) and replay; a line of a room that is not one's current room carries its name; /part,
    /who #room and /rooms agree on every node."""
    eve, fay, gus = spread(enter, cluster, "eve", "fay", "gus")
    eve.send("/join #garden")
    assert eve.next_line() == "* Now talking in #garden (1 here: eve)"
    eventually(fay, "/who #garden", "* In #garden (1): eve")
    fay.send("/join #GARDEN")  # as first created
    assert fay.next_line() == "* Now talking in #garden (2 here: eve, fay)"
    assert eve.next_line() == "* fay has joined #garden"
    eventually(gus, "/who #garden", "* In #garden (2): eve, fay")
    gus.send("/join #garden")
    assert gus.next_line() == "* Now talking in #garden (3 here: eve, fay, gus)"
    assert [eve.next_line(), fay.next_line()] == ["* gus has joined #garden"] * 2

    fay.send("/topic roses and ivy")
    for user in (eve, fay, gus):
        assert user.next_line() == "* fay set the topic of #garden: roses and ivy"
    gus.send("/topic")
    assert gus.next_line() == "* Topic of #garden: roses and ivy"
    eve.send("first", "/me digs")
    assert fay.lines(2) == gus.lines(2) == ["eve: first", "* eve digs"]

    # Another room: lines of the room that is not current carry its name.
    gus.send("/join #shed")
    assert gus.next_line() == "* Now talking in #shed (1 here: gus)"
    eventually(fay, "/who #shed", "* In #shed (1): gus")
    fay.send("/join #shed", "/join #garden")
    assert fay.lines(2) == [
        "* Now talking in #shed (2 here: fay, gus)",
        "* Now talking in #garden (3 here: eve, fay, gus)",  # only switched: no topic, no replay
    ]
    assert gus.next_line() == "* fay has joined #shed"
    gus.send("in the shed", "/me hammers")
    assert fay.lines(2) == ["#shed gus: in the shed", "#shed * gus hammers"]
    eve.send("in the garden")
    assert fay.next_line() == "eve: in the garden"
    assert gus.next_line() == "#garden eve: in the garden"
    gus.send("/to #garden from the shed")
    assert eve.next_line() == "gus: from the shed"
    assert fay.next_line() == "gus: from the shed"

    eventually(eve, "/rooms", "* Rooms (3): #garden (3), #lobby (3), #shed (2)")
    eve.send("/who #shed", "/who #nowhere")
    assert eve.lines(2) == ["* In #shed (2): fay, gus", "! no such room: #nowhere"]

    # A newcomer on a third node: the topic and the replay, kept by its own node.
    hal = enter(cluster[2], "hal")
    for user in (eve, fay, gus):  # an event of #lobby, which is none of theirs now
        assert user.next_line() == "#lobby * hal has joined the chat"
    hal.send("/join #garden")
    assert hal.lines(2) == [
        "* Now talking in #garden (4 here: eve, fay, gus, hal)",
        "* Topic of #garden: roses and ivy",
    ]
    assert unstamped(hal.lines(4)) == [
        "eve: first",
        "* eve digs",
        "eve: in the garden",
        "gus: from the shed",
    ]
    assert [eve.next_line(), fay.next_line(), gus.next_line()] == [
        "* hal has joined #garden",
        "* hal has joined #garden",
        "#garden * hal has joined #garden",
    ]

    fay.send("/part #shed tidy", "/part", "/part")
    assert fay.lines(4) == [
        "* You left #shed",
        "* You left #garden",
        "* Now talking in #lobby (4 here: eve, fay, gus, hal)",
        "! you cannot leave your only room",
    ]
    assert gus.next_line() == "* fay has left #shed (tidy)"
    assert gus.next_line() == "#garden * fay has left #garden"
    assert eve.next_line() == hal.next_line() == "* fay has left #garden"
    eventually(hal, "/rooms", "* Rooms (3): #garden (3), #lobby (4), #shed (1)")
    hal.send("/part #shed")
    assert hal.next_line() == "! you are not in #shed"


def test_private_messages_across_nodes(cluster, enter):
    """/msg and /w reach a user on another node, named in any case; the sender gets the
    confirmation; an unknown name, or one who left, gets no such user."""
    ivy, jon, kim = spread(enter, cluster, "ivy", "jon", "kim")
    ivy.send("/msg jon psst, jon")
    assert jon.next_line() == "[private] ivy: psst, jon"
    assert ivy.next_line() == "[private to jon] psst, jon"
    jon.send("/w KIM hi kim")
    assert kim.next_line() == "[private] jon: hi kim"
    assert jon.next_line() == "[private to kim] hi kim"
    kim.send("/msg ivy back at you", "/msg nobody hello?")
    assert ivy.next_line() == "[private] kim: back at you"
    assert kim.lines(2) == ["[private to ivy] back at you", "! no such user: nobody"]
    jon.send("/who")
    assert jon.next_line() == "* Online (3): ivy, jon, kim"  # no one else heard a thing

    kim.send("/quit")
    assert [ivy.next_line(), jon.next_line()] == ["* kim has left the chat"] * 2
    ivy.send("/msg kim are you there?")
    assert ivy.next_line() == "! no such user: kim"


def test_renames_and_name_collisions_across_nodes(cluster, peers, enter):
    """A name, its other cases, widths and look-alikes are taken on every node while held;
    /nick is announced on every node, frees the old name for anyone, and is refused for a name
    held elsewhere; two nodes asked for one free name at once give it to one user."""
    lee, max_, ned = spread(enter, cluster, "lee", "max", "ned")
    newcomer = peers(cluster[2])
    newcomer.expect_prompt()
    for taken in ("lee", "LEE", "ｌｅｅ", "1ee", "rnax", "Ned"):
        newcomer.send(taken)
        assert newcomer.next_line() == f"! the username {taken} is taken, please choose another"

    lee.send("/nick leo")
    assert lee.next_line() == "* You are now known as leo"
    assert [max_.next_line(), ned.next_line()] == ["* lee is now known as leo"] * 2
    max_.send("/nick Leo", "/nick 1eo", "/nick ned")
    assert max_.lines(3) == [
        "! the username Leo is taken, please choose another",
        "! the username 1eo is taken, please choose another",
        "! the username ned is taken, please choose another",
    ]
    ned.send("/nick lee")  # free again, on another node
    assert ned.next_line() == "* You are now known as lee"
    assert [user.next_line() for user in (lee, max_)] == ["* ned is now known as lee"] * 2
    newcomer.send("ned", "/receipts off")
    assert newcomer.next_line() == "* Welcome ned! If you ever want to quit, type <quit> to exit."
    newcomer.expect("* Receipts are off")  # past the replay
    for user in (lee, max_, ned):
        assert user.next_line() == "* ned has joined the chat"
    for user in (lee, max_, ned, newcomer):
        eventually(user, "/who", "* Online (4): lee, leo, max, ned")

    # One free name asked for on two nodes at once: one user gets it.
    first, second = peers(cluster[0]), peers(cluster[1])
    first.expect_prompt()
    second.expect_prompt()
    first.send("pat")
    second.send("Pat")
    answers = sorted([first.next_line(), second.next_line()])
    assert answers[0].startswith("! the username ")
    assert answers[0].endswith(" is taken, please choose another")
    assert answers[1].startswith("* Welcome ")


def test_renaming_to_a_look_alike_of_ones_own_name_keeps_the_claim(
    cluster, peers, enter, module_redis
):
    """A user who renames to another case or a look-alike of their own name keeps the claim on
    it in Redis, which decides between nodes: the name is never free while they are online."""
    (olga,) = spread(enter, cluster, "olga")
    claim = ("HGET", "chatd:names", lookalike_key("olga"))
    assert module_redis.query(claim) == [b"a"]
    olga.send("/receipts on")
    assert olga.next_line() == "* Receipts are on"
    for new_name in ("Olga", "0lga"):
        olga.send(f"/nick {new_name}", "still me")
        assert olga.next_line() == f"* You are now known as {new_name}"
        # Node a's commands reach Redis in order: once the line is numbered, the rename's
        # commands were run before it.
        assert RECEIPT.match(olga.next_line())
        assert module_redis.query(claim) == [b"a"], f"no claim on the name after /nick {new_name}"
    intruder = peers(cluster[1])
    intruder.expect_prompt()
    intruder.send("olga")
    assert intruder.next_line() == "! the username olga is taken, please choose another"


def test_history_and_receipts_across_nodes(cluster, enter, servers):
    """Receipts number the lines said on two nodes in one sequence; /history on a third node
    (from its memory and from Redis beyond it) lists them in that order; a newcomer gets the
    newest 20 as the replay; a web user there pages by seq, before and after, with the seqs of
    the receipts."""
    quin, rae, sam = spread(enter, cluster, "quin", "rae", "sam")
    quin.send("/join #archive")
    assert quin.next_line() == "* Now talking in #archive (1 here: quin)"
    eventually(rae, "/who #archive", "* In #archive (1): quin")
    rae.send("/join #archive")
    assert rae.next_line() == "* Now talking in #archive (2 here: quin, rae)"
    eventually(sam, "/who #archive", "* In #archive (2): quin, rae")
    sam.send("/join #archive")
    assert sam.next_line() == "* Now talking in #archive (3 here: quin, rae, sam)"
    assert quin.lines(2) == ["* rae has joined #archive", "* sam has joined #archive"]
    assert rae.next_line() == "* sam has joined #archive"
    for user in (quin, rae):
        user.send("/receipts on")
        assert user.next_line() == "* Receipts are on"
    for number in range(15):
        quin.send(f"quin line {number}")
        rae.send(f"/me rae act {number}")
    said = {}  # by seq, from the receipts, which come in the order of one's own lines
    heard = {}  # what each speaker heard of the other
    for user, mine in ((quin, "quin: quin line {}"), (rae, "* rae rae act {}")):
        heard[user], receipts = [], 0
        while len(heard[user]) < 15 or receipts < 15:
            line = user.next_line()
            match = RECEIPT.match(line)
            if match is None:
                heard[user].append(line)
                continue
            assert match.group(2) == "#archive", line
            said[int(match.group(1))] = mine.format(receipts)
            receipts += 1
    assert sorted(said) == list(range(1, 31))
    order = [said[seq] for seq in range(1, 31)]
    assert heard[quin] == [line for line in order if line.startswith("* rae")]
    assert heard[rae] == [line for line in order if line.startswith("quin:")]
    assert sam.lines(30) == order  # sam, on the third node, saw them in the order of their seqs

    sam.send("/history 40")
    assert sam.next_line() == "* History of #archive (30 lines):"
    assert unstamped(sam.lines(30)) == order  # 20 from node c's memory, 10 from Redis
    assert sam.next_line() == "* End of history of #archive"
    sam.send("/history #archive 3")
    assert sam.next_line() == "* History of #archive (3 lines):"
    assert unstamped(sam.lines(3)) == order[-3:]
    assert sam.next_line() == "* End of history of #archive"
    sam.send("/history #elsewhere")
    assert sam.next_line() == "! you are not in #elsewhere"

    tom = enter(cluster[0], "tom")
    tom.send("/join #archive")
    assert tom.next_line() == "* Now talking in #archive (4 here: quin, rae, sam, tom)"
    assert unstamped(tom.lines(20)) == order[-20:]

    # The web door's history pages by seq: read from Redis, as node c keeps only 11 to 30.
    web = SocketWebSocket(servers[2].ports(2)[1])
    try:
        web.join("wes")
        web.send({"type": "join", "room": "#archive"})
        for request, seqs in (
            ({"before": 11, "limit": 5}, range(6, 11)),
            ({"after": 0, "limit": 500}, range(1, 31)),
            ({"after": 27}, range(28, 31)),
        ):
            web.send({"type": "history", "room": "#archive", **request})
            lines = web.next("history")["lines"]
            assert [line["seq"] for line in lines] == list(seqs), request
            assert [shown(line) for line in lines] == [said[seq] for seq in seqs], request
    finally:
        web.close()


def shown(line: dict) -> str:
    """A web door's ``said`` or ``acted`` as the line door shows it."""
    if line["type"] == "acted":
        return f"* {line['name']} {line['text']}"
    return f"{line['name']}: {line['text']}"
