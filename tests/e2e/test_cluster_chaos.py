"""Chaos: people on three nodes chat in two rooms while the test breaks things, in turn.

First the pub/sub connections are killed every second (``CLIENT KILL TYPE pubsub``), then a node
is SIGKILLed and started again (its people reconnect), then Redis is restarted from its
append-only file.  Afterwards: no one saw a line twice or out of the room's order, every line
that got a receipt is in the room's history, and every line someone missed while connected was
announced as lost.  Throughout, a :class:`~cluster_invariants.NameWatch` looks for a name held by
two users at once.
"""

from __future__ import annotations

import re
import signal
import time

from cluster_invariants import NameWatch
from redis_server import needs_redis, node

pytestmark = needs_redis

ROOMS = ("#r0", "#r1")
RECEIPT = re.compile(r"\+ (\d+) (#r\d) ")
SAID = re.compile(r"(u\d): (u\d \d+)$")
LOST = "* Announcement: some lines of {room} could not be recovered"
#: Seconds between one person's lines.
EVERY = 0.25


class Connection:
    """What one connection of a person said (answered in order, by a receipt or a refusal) and
    saw (``name: text``), and whether a loss in their room was announced to it."""

    def __init__(self, peer) -> None:
        self.peer = peer
        self.said: list[str] = []
        self.answers: list[str] = []
        self.seen: list[str] = []
        self.lost = False


class Person:
    """One person in one room, over the connections they made."""

    def __init__(self, name: str, room: str) -> None:
        self.name, self.room = name, room
        self.connections: list[Connection] = []
        self.count = 0

    @property
    def current(self) -> Connection:
        return self.connections[-1]

    def connect(self, peers, port: int, watch: NameWatch) -> None:
        peer = peers(port)
        peer.join(self.name)
        watch.welcomed(self.name, peer)
        peer.send("/receipts on", f"/join {self.room}")
        while not peer.next_line().startswith(f"* Now talking in {self.room} "):
            pass
        self.connections.append(Connection(peer))

    def speak(self) -> None:
        connection = self.current
        if connection.peer.closed:
            return
        text = f"{self.name} {self.count}"
        self.count += 1
        try:
            connection.peer.send(text)
        except OSError:
            return
        connection.said.append(text)

    def read(self) -> None:
        connection = self.current
        for line in connection.peer.ready_lines():
            if RECEIPT.match(line) or line == "! not delivered: the chat is reconnecting":
                connection.answers.append(line)
            elif SAID.match(line) is not None:
                connection.seen.append(line)
            elif line == LOST.format(room=self.room):
                connection.lost = True


def history(peer, room: str) -> list[str]:
    """The room's lines as /history 500 shows them, without their times."""
    peer.send(f"/history {room} 500")
    while not peer.next_line().startswith(f"* History of {room} "):
        pass
    lines = []
    while not (line := peer.next_line()).startswith("* End of history"):
        lines.append(line.partition("] ")[2])
    return lines


def test_chaos(daemon, redis, peers):
    """Pub/sub cut every second, a node killed and restarted, Redis restarted: no duplicate or
    reordered line, every receipted line in the history, every gap announced, and no name held
    by two users at any moment."""
    with NameWatch(redis) as watch:
        servers = {}
        ports = {}
        for name in "abc":
            servers[name], ports[name] = node(daemon, redis, name)
        people = [Person(f"u{index}", ROOMS[index % 2]) for index in range(6)]
        homes = {person.name: "abc"[index % 3] for index, person in enumerate(people)}
        for person in people:
            person.connect(peers, ports[homes[person.name]], watch)

        def chat(seconds: float, each_second=None) -> None:
            deadline = time.monotonic() + seconds
            next_tick = time.monotonic()
            second = time.monotonic() + 1
            while time.monotonic() < deadline:
                for person in people:
                    person.speak()
                    person.read()
                if each_second is not None and time.monotonic() >= second:
                    each_second()
                    second += 1
                next_tick += EVERY
                time.sleep(max(0.0, next_tick - time.monotonic()))

        chat(1)
        chat(3, lambda: redis.command("CLIENT", "KILL", "TYPE", "pubsub"))
        servers["c"].signal(signal.SIGKILL)
        servers["c"].wait_exit()
        chat(1)
        servers["c"], ports["c"] = node(daemon, redis, "c")
        for person in people:
            if homes[person.name] == "c":
                person.read()
                person.connect(peers, ports["c"], watch)
        chat(2)
        caught_up = {
            name: server.log().count("caught up with the cluster")
            for name, server in servers.items()
        }
        redis.stop()
        chat(1)
        redis.start()
        for name, server in servers.items():
            server.wait_for_log(r"caught up with the cluster", count=caught_up[name] + 1)
        chat(2)
        time.sleep(1)
        for person in people:
            person.read()

    watch.assert_clean()
    everyone = "* Online (6): " + ", ".join(person.name for person in people)
    for home in "abc":  # no name twice, no one missing, on any node
        asker = next(person for person in people if homes[person.name] == home).current.peer
        deadline = time.monotonic() + 10
        while True:
            asker.send("/who")
            while not (line := asker.next_line()).startswith("* Online ("):
                pass
            if line == everyone or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert line == everyone, f"node {home}: {line}"
    answers = [a for p in people for c in p.connections for a in c.answers]
    assert sum(answer.startswith("+ ") for answer in answers) > 100  # the chat went on
    assert "! not delivered: the chat is reconnecting" in answers  # Redis was away meanwhile
    for room in ROOMS:
        members = [person for person in people if person.room == room]
        order = history(members[0].current.peer, room)
        assert len(order) == len(set(order)), "a line is twice in the history"
        position = {line: index for index, line in enumerate(order)}
        for person in members:
            for connection in person.connections:
                seen = connection.seen
                assert len(seen) == len(set(seen)), f"{person.name} saw a line twice"
                places = [position[line] for line in seen]
                assert places == sorted(places), f"{person.name} saw lines out of order"
                if places:
                    span = order[places[0] : places[-1] + 1]
                    own = person.name + ":"
                    missed = [
                        line for line in span if line not in seen and not line.startswith(own)
                    ]
                    assert not missed or connection.lost, f"{person.name} missed {missed[:3]}"
                answered = zip(connection.said, connection.answers, strict=False)
                for text, answer in answered:
                    if answer.startswith("+ "):
                        assert f"{person.name}: {text}" in position, f"{text!r} not in history"
