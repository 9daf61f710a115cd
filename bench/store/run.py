"""Load the SQLite store from a real reactor and measure what its writer thread keeps up with.

Each run has a fresh database file (WAL, synchronous=NORMAL: the store's defaults):

- **fixed rate** (``--rates``, default 5,000, 20,000 and 50,000 lines a second): lines are
  appended every 10 ms from a reactor timer for ``--duration`` seconds, then the store is
  closed.  Reports the rows a second committed and the latency from ``append`` to ``durable``.
  A rate the writer cannot keep up with shows as latency that grows with the run.
- **burst**: ``--burst`` lines appended in one go, then nothing: the writer's rate when the
  reactor thread leaves it the GIL.

Each run reports its commits, the mean batch, and the reactor thread's time per ``append``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

from twisted.internet import reactor

from chatd.core.store import StoredLine
from chatd.store import SQLiteStore

TEXT = "a line of chat about the size of a real one, maybe eighty characters long......"


class Run:
    """One store under one kind of load."""

    def __init__(self, path: str, name: str) -> None:
        self.name = name
        self.store = SQLiteStore(path, reactor, history_days=0)
        self.store.load(0)
        self.store.add_room("dev", "#Dev")
        self.sent_at: list[float] = [0.0]
        self.latency: list[float] = []
        self.append_time = 0.0
        self.started = 0.0
        self.last_durable = 0.0

    def durable(self, line: StoredLine) -> None:
        now = time.perf_counter()
        self.latency.append(now - self.sent_at[line.seq])
        self.last_durable = now

    def append(self, count: int) -> None:
        seq = len(self.sent_at)
        store, durable, sent_at = self.store, self.durable, self.sent_at
        at = reactor.seconds()
        lines = [StoredLine("dev", seq + i, at, "ann", TEXT) for i in range(count)]
        began = time.perf_counter()
        sent_at.extend([began] * count)
        for line in lines:
            store.append(line, durable)
        self.append_time += time.perf_counter() - began

    def report(self) -> str:
        count = len(self.latency)
        elapsed = self.last_durable - self.started
        ordered = sorted(self.latency)
        commits = self.store.commits - 1  # the room's own

        def ms(q: float) -> str:
            return f"{ordered[min(int(q * count), count - 1)] * 1000:.1f}"

        return (
            f"{self.name}: {count} lines in {elapsed:.2f} s = {count / elapsed:,.0f} rows/s;"
            f" {commits} commits ({commits / elapsed:,.0f}/s, mean batch {count / commits:,.0f});"
            f" durable latency p50 {ms(0.5)} ms, p99 {ms(0.99)} ms,"
            f" max {ordered[-1] * 1000:.1f} ms, mean {statistics.fmean(ordered) * 1000:.1f} ms;"
            f" reactor time per append {self.append_time / count * 1e6:.2f} us"
        )


def fixed_rate(path: str, rate: int, duration: float, done) -> Run:
    run = Run(path, f"fixed rate {rate}/s")

    def tick() -> None:
        elapsed = time.perf_counter() - run.started
        if elapsed >= duration:
            run.store.close(done)
            return
        run.append(int(elapsed * rate) - (len(run.sent_at) - 1))
        reactor.callLater(0.01, tick)

    run.started = time.perf_counter()
    tick()
    return run


def burst(path: str, count: int, done) -> Run:
    run = Run(path, f"burst of {count}")
    run.started = time.perf_counter()
    run.append(count)
    run.store.close(done)
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.store",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rates", default="5000,20000,50000", help="lines a second, per run")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of each run (5)")
    parser.add_argument("--burst", type=int, default=100_000, help="lines of the burst run")
    parser.add_argument("--dir", default=None, help="where the database files go (a temp dir)")
    options = parser.parse_args(argv)
    rates = [int(rate) for rate in options.rates.split(",") if rate]
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(dir=options.dir, prefix="chatd-store-bench-") as where:
        starts = [
            lambda done, rate=rate: fixed_rate(
                os.path.join(where, f"rate{rate}.db"), rate, options.duration, done
            )
            for rate in rates
        ]
        if options.burst > 0:
            starts.append(lambda done: burst(os.path.join(where, "burst.db"), options.burst, done))

        def next_run() -> None:
            if starts:
                runs.append(starts.pop(0)(next_run))
            else:
                reactor.stop()

        reactor.callWhenRunning(next_run)
        reactor.run()
    for run in runs:
        print(run.report())
    print(f"(Python {sys.version.split()[0]}, SQLite {__import__('sqlite3').sqlite_version})")
    return 0
