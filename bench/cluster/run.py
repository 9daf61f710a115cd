"""The cluster scenario: three nodes on one Redis, 300 users each in 20 rooms, against one node.

``python -m bench.cluster`` starts a redis-server (a free loopback port, a scratch directory, AOF
on) and three installed daemons joined to it, and has bench/fanout's C load generator connect
``--users`` people to each node, spread over ``--rooms`` rooms (people of every node in every
room), and say ``--rate`` lines a second in all, each line carrying when it was sent: 2 s of
warm-up, then ``--seconds`` measured.  Then it does the same with one daemon alone (no Redis) and
all the people on it.  For each it reports the lines sent and the deliveries in the measured
seconds, the lines lost, duplicated or malformed over the whole run, the latency of a line from
its sender to its readers (for the cluster, also to readers on another node than the sender's:
cross-node), and the CPU each process used in the measured seconds.

Everything runs on loopback on this machine, the generator included; nothing is pinned, so the
daemons, Redis and the generator share the machine's cores as the kernel sees fit.  The generator
is the one bench/fanout uses (C, one epoll loop), compiled here with gcc: a Python one, reading
40,000 lines a second, lagged behind the daemons and measured mostly its own lag.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.fanout.scenarios import build_loadgen

TWISTD = Path(sys.executable).parent / "twistd"
HZ = os.sysconf("SC_CLK_TCK")
#: Seconds of load before the measured ones.
WARMUP = 2.0


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
        stdout=subprocess.DEVNULL,
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
        cwd=folder, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    ready = "caught up with the cluster" if "--redis" in extra else "starting on"
    deadline = time.monotonic() + 20
    while ready not in (folder / f"chatd-{port}.log").read_text(errors="replace"):
        if time.monotonic() > deadline or node.poll() is not None:
            raise SystemExit(f"chatd did not start: see {folder}")
        time.sleep(0.1)
    return node, port


def scenario(
    loadgen: Path,
    ports: list[int],
    users: int,
    rooms: int,
    rate: float,
    seconds: float,
    procs: dict[str, int],
) -> dict:
    """``users`` people on each of ``ports``, in ``rooms`` rooms, saying ``rate`` lines/s: the
    generator's report, with ``cpu``, the cores each of ``procs`` used in the measured seconds."""
    everyone = users * len(ports)
    command = [str(loadgen), "127.0.0.1", str(ports[0]), "fanout", "--users", str(everyone),
               "--senders", str(everyone), "--rooms", str(rooms),
               "--size", "64", "--window", "16", "--join-inflight", "40",
               "--warmup", str(WARMUP), "--duration", str(seconds)]  # fmt: skip
    if rate:  # else as fast as the servers take it
        command += ["--rate", str(rate)]
    if len(ports) > 1:
        command += ["--ports", ",".join(str(port) for port in ports)]
    generator = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    cpu: dict[str, float] = {}
    measuring = threading.Thread(target=measure_cpu, args=(procs, seconds, cpu), daemon=True)
    assert generator.stderr is not None
    for line in generator.stderr:  # its progress: once it says it is sending, time the CPU
        if "sending:" in line and not measuring.is_alive():
            measuring.start()
    output, _ = generator.communicate(timeout=60)
    measuring.join(seconds + WARMUP + 5)
    result = json.loads(output)
    if generator.returncode != 0:
        raise SystemExit(f"the load generator failed: {result.get('error', output)}")
    result["cpu"] = cpu
    return result


def measure_cpu(procs: dict[str, int], seconds: float, into: dict[str, float]) -> None:
    """After the warm-up, the cores each of ``procs`` uses over ``seconds``, into ``into``."""
    time.sleep(WARMUP)
    before = {name: cpu_seconds(pid) for name, pid in procs.items()}
    time.sleep(seconds)
    into.update({name: (cpu_seconds(pid) - before[name]) / seconds for name, pid in procs.items()})


def report(label: str, result: dict, cross: bool) -> str:
    shown = ", ".join(f"{name} {share:.0%}" for name, share in result["cpu"].items())
    latency = f"latency p50 {result['p50_us'] / 1000:.1f} ms, p99 {result['p99_us'] / 1000:.1f} ms"
    if cross:
        latency += (
            f" (cross-node p50 {result['cross_p50_us'] / 1000:.1f} ms, "
            f"p99 {result['cross_p99_us'] / 1000:.1f} ms)"
        )
    return (
        f"{label}: sent {result['sent_window']:,}, deliveries {result['deliveries']:,} "
        f"({result['deliveries_per_s']:,.0f}/s); lost {result['lost']}, duplicated "
        f"{result['duplicated']}, malformed {result['malformed']}; {latency}; "
        f"CPU (of one core) {shown}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cluster", description=__doc__)
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--users", type=int, default=300, help="per node")
    parser.add_argument("--rooms", type=int, default=20)
    parser.add_argument(
        "--rate", type=float, default=1000, help="lines per second, in all (0: saturate)"
    )
    parser.add_argument("--seconds", type=float, default=10)
    options = parser.parse_args(argv)
    if shutil.which("gcc") is None:
        raise SystemExit("gcc is needed to build the load generator (apt-get install gcc)")
    with tempfile.TemporaryDirectory(prefix="chatd-cluster-bench-") as scratch:
        folder = Path(scratch)
        loadgen = build_loadgen(folder / "build")
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
            procs |= {"redis": redis.pid}
            ports = [port for _, port in nodes]
            clustered = scenario(
                loadgen, ports, options.users, options.rooms, options.rate, options.seconds, procs
            )
            for process in started:
                process.send_signal(signal.SIGTERM)
            for process in started:
                process.wait(30)
            single, port = start_node(folder)
            started = [single]
            everyone = options.nodes * options.users
            alone = scenario(loadgen, [port], everyone, options.rooms, options.rate,
                             options.seconds, {"node": single.pid})  # fmt: skip
        finally:
            for process in started:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
                    process.wait(30)
    print(report(f"{options.nodes} nodes x {options.users} users", clustered, cross=True))
    print(report(f"1 node x {everyone} users", alone, cross=False))
    return 0
