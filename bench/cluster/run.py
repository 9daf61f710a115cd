"""The cluster scenario: three nodes on one Redis, 300 users each in 20 rooms, against one node.

``python -m bench.cluster`` starts a redis-server (a free loopback port, a scratch directory, AOF
on) and three installed daemons joined to it, connects ``--users`` people to each node, spread
over ``--rooms`` rooms, and has them say ``--rate`` lines a second in all for ``--seconds``,
each line carrying when it was sent.  Then it does the same with one daemon alone (no Redis) and
all the people on it.  For each it reports lines sent, deliveries expected and received (lost =
the difference), deliveries per second, the latency of a line from its sender to readers (for
the cluster, to readers on another node: cross-node), and the CPU the daemons and Redis used.

Everything runs on loopback on this machine, clients included: on a machine with few cores the
clients, the daemons and Redis share them, which the figures include.
"""

from __future__ import annotations

import argparse
import os
import random
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

TWISTD = Path(sys.executable).parent / "twistd"
HZ = os.sysconf("SC_CLK_TCK")
#: With two CPUs or more, the servers (Redis and the daemons) share the first and the clients
#: have the second, as in bench/fanout: otherwise the clients, which read 40,000 lines a second,
#: and the nodes take turns on both, and each waits for the other's turn.
PINNED = (os.cpu_count() or 1) >= 2
SERVER_CPU, CLIENT_CPU = 0, 1


def on_server_cpu() -> None:
    """A ``preexec_fn``: the child runs on the servers' CPU."""
    if PINNED:
        os.sched_setaffinity(0, {SERVER_CPU})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    redis = subprocess.Popen(
        [shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind",
         "127.0.0.1", "--dir", str(folder), "--save", "", "--appendonly", "yes"],
        stdout=subprocess.DEVNULL, preexec_fn=on_server_cpu,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                probe.sendall(b"PING\r\n")
                if probe.recv(16).startswith(b"+PONG"):
                    return redis, port
        except OSError:
            time.sleep(0.05)
    raise SystemExit("redis-server did not start")


def start_node(folder: Path, *extra: str) -> tuple[subprocess.Popen[bytes], int]:
    """An installed daemon listening on a free loopback port, once it is ready."""
    port = free_port()
    log = open(folder / f"chatd-{port}.log", "wb")  # the daemon's, until it ends
    node = subprocess.Popen(
        [str(TWISTD), "-n", "--pidfile=", "chatd", "--listen", f"tcp:{port}:interface=127.0.0.1",
         "--db", ":memory:", "--history", "0", "--max-clients", "5000", "--max-per-ip", "0",
         "--arrival-rate", "0", "--rate", "0", "--max-rooms-per-user", "50", *extra],
        cwd=folder, stdout=log, stderr=subprocess.STDOUT, preexec_fn=on_server_cpu,
    )  # fmt: skip
    ready = "caught up with the cluster" if "--redis" in extra else "starting on"
    deadline = time.monotonic() + 20
    while ready not in (folder / f"chatd-{port}.log").read_text(errors="replace"):
        if time.monotonic() > deadline or node.poll() is not None:
            raise SystemExit(f"chatd did not start: see {folder}")
        time.sleep(0.1)
    return node, port


@dataclass
class Tally:
    """What the readers saw."""

    sent: int = 0
    expected: int = 0
    received: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds, readers on other nodes
    all_latencies: list[float] = field(default_factory=list)
    #: Each process's CPU time while the lines were said (and the last ones read), in cores.
    cpu: dict[str, float] = field(default_factory=dict)


@dataclass
class User:
    """One person: their socket, and what of their connection's output is not a whole line yet."""

    name: str
    node: int
    room: int
    sock: socket.socket | None = None
    rest: bytes = b""
    ready: bool = False


class Readers:
    """Every person's socket in one epoll loop: reads what arrived and tallies the lines.

    Raw non-blocking sockets and ``selectors`` rather than asyncio streams: with 900 readers
    taking 40,000 lines a second, an asyncio reader's wake-up per read made the clients the
    slowest part of the run, and their lag counted as latency.
    """

    def __init__(self, tally: Tally, nodes_of: dict[bytes, int]) -> None:
        self.tally = tally
        self.nodes_of = nodes_of
        self.selector = selectors.DefaultSelector()

    def add(self, user: User, port: int) -> None:
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(f"{user.name}\n/join #r{user.room}\n".encode())
        sock.setblocking(False)
        user.sock = sock
        self.selector.register(sock, selectors.EVENT_READ, user)

    def poll(self, timeout: float) -> None:
        """Read every socket that has something, waiting at most ``timeout`` seconds."""
        tally, nodes_of = self.tally, self.nodes_of
        for key, _ in self.selector.select(max(0.0, timeout)):
            user: User = key.data
            try:
                chunk = user.sock.recv(262144)  # type: ignore[union-attr]
            except BlockingIOError:
                continue
            if not chunk:
                self.selector.unregister(key.fileobj)
                continue
            now = time.monotonic_ns()
            lines = (user.rest + chunk).split(b"\n")
            user.rest = lines.pop()
            for line in lines:
                name, colon, text = line.partition(b": t ")
                if not colon:
                    if not user.ready and line.startswith(b"* Now talking in "):
                        user.ready = True
                    continue
                latency = (now - int(text.split(b" ", 1)[0])) / 1e9
                tally.received += 1
                tally.all_latencies.append(latency)
                if nodes_of.get(name) != user.node:
                    tally.latencies.append(latency)

    def close(self) -> None:
        for key in list(self.selector.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]
        self.selector.close()


def scenario(
    ports: list[int], users: int, rooms: int, rate: float, seconds: float, procs: dict[str, int]
) -> Tally:
    """``users`` people on each of ``ports``, in ``rooms`` rooms, saying ``rate`` lines/s;
    ``procs`` are the processes whose CPU time is measured meanwhile."""
    tally = Tally()
    people = [
        User(f"n{node}u{index}", node, (node * users + index) % rooms)
        for node in range(len(ports))
        for index in range(users)
    ]
    nodes_of = {user.name.encode(): user.node for user in people}
    members = [sum(1 for user in people if user.room == room) for room in range(rooms)]
    readers = Readers(tally, nodes_of)
    for start in range(0, len(people), 100):
        batch = people[start : start + 100]
        for user in batch:
            readers.add(user, ports[user.node])
        deadline = time.monotonic() + 30
        while not all(user.ready for user in batch):
            if time.monotonic() > deadline:
                raise SystemExit("people could not join in time")
            readers.poll(0.1)
    settle = time.monotonic() + 2  # every node hears of every arrival
    while time.monotonic() < settle:
        readers.poll(settle - time.monotonic())
    tick = 0.01
    per_tick = rate * tick
    owed = 0.0
    cpu_before = {name: cpu_seconds(pid) for name, pid in procs.items()}
    began = time.monotonic()
    next_at = began
    while time.monotonic() - began < seconds:
        owed += per_tick
        while owed >= 1:
            owed -= 1
            user = random.choice(people)
            assert user.sock is not None
            user.sock.send(f"t {time.monotonic_ns()} {tally.sent}\n".encode())
            tally.sent += 1
            tally.expected += members[user.room] - 1
        next_at += tick
        while (left := next_at - time.monotonic()) > 0:
            readers.poll(left)
    drain = time.monotonic() + 3  # what is in flight arrives
    while time.monotonic() < drain:
        readers.poll(drain - time.monotonic())
    elapsed = time.monotonic() - began
    tally.cpu = {
        name: (cpu_seconds(pid) - cpu_before[name]) / elapsed for name, pid in procs.items()
    }
    readers.close()
    return tally


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def report(label: str, tally: Tally, seconds: float, cross: bool) -> str:
    latencies = tally.latencies if cross else tally.all_latencies
    shown = ", ".join(f"{name} {share:.0%}" for name, share in tally.cpu.items())
    return (
        f"{label}: sent {tally.sent}, deliveries {tally.received} of {tally.expected} "
        f"(lost {tally.expected - tally.received}), {tally.received / seconds:,.0f} deliveries/s; "
        f"{'cross-node ' if cross else ''}latency p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms; CPU (of one core) {shown}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cluster", description=__doc__)
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--users", type=int, default=300, help="per node")
    parser.add_argument("--rooms", type=int, default=20)
    parser.add_argument("--rate", type=float, default=1000, help="lines per second, in all")
    parser.add_argument("--seconds", type=float, default=10)
    options = parser.parse_args(argv)
    if PINNED:
        os.sched_setaffinity(0, {CLIENT_CPU})
    with tempfile.TemporaryDirectory(prefix="chatd-cluster-bench-") as scratch:
        folder = Path(scratch)
        redis, redis_port = start_redis(folder)
        started: list[subprocess.Popen[bytes]] = [redis]
        try:
            nodes = [
                start_node(folder, "--redis", f"tcp:127.0.0.1:{redis_port}", "--node-name",
                           f"n{index}")
                for index in range(options.nodes)
            ]  # fmt: skip
            started += [process for process, _ in nodes]
            procs = {f"node {i}": p.pid for i, (p, _) in enumerate(nodes)}
            procs |= {"redis": redis.pid, "clients": os.getpid()}
            ports = [port for _, port in nodes]
            clustered = scenario(
                ports, options.users, options.rooms, options.rate, options.seconds, procs
            )
            for process in started:
                process.send_signal(signal.SIGTERM)
            for process in started:
                process.wait(30)
            single, port = start_node(folder)
            started = [single]
            everyone = options.nodes * options.users
            alone = scenario([port], everyone, options.rooms, options.rate, options.seconds,
                             {"node": single.pid, "clients": os.getpid()})  # fmt: skip
        finally:
            for process in started:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
                    process.wait(30)
    print(
        report(
            f"{options.nodes} nodes x {options.users} users", clustered, options.seconds, cross=True
        )
    )
    print(report(f"1 node x {everyone} users", alone, options.seconds, cross=False))
    return 0
