"""Scenario 2: telnet commands streamed as fast as possible, against everyone else's latency.

Telnet commands are not lines, so flood control never sees them, and each ``IAC AYT`` or
``IAC DO`` gets an answer. Two pairs of users exchange private messages throughout; their latency
with no attacker (the baseline, in the same run, on the same server) is compared with their
latency while one or four connections stream commands.
"""

from __future__ import annotations

import asyncio
import time

from bench.attack import streamer
from bench.attack.context import Context, PrivatePairs
from bench.attack.figures import Row, Target, percentile
from bench.attack.wire import cpu_seconds

IAC, AYT, DO, NOP = 255, 246, 253, 241
ECHO = 1
PHASES = [
    ("no attacker (baseline)", b"", 0),
    ("1 x IAC AYT", bytes([IAC, AYT]), 1),
    ("4 x IAC AYT", bytes([IAC, AYT]), 4),
    ("1 x IAC DO ECHO", bytes([IAC, DO, ECHO]), 1),
    ("1 x IAC NOP", bytes([IAC, NOP]), 1),
]
MEASURE = 6.0
#: How far above the baseline others' p99 may rise under attack.
P99_SLACK_MS = 5.0


async def measured(pairs: PrivatePairs, pid: int, seconds: float) -> tuple[list[float], float]:
    """Latencies over ``seconds``, and the server's CPU share (%) meanwhile."""
    cpu, began = cpu_seconds(pid), time.monotonic()
    latencies = await pairs.measure(seconds)
    cpu_after, ended = cpu_seconds(pid), time.monotonic()
    share = (cpu_after - cpu) / (ended - began) * 100 if cpu is not None and cpu_after else None
    return latencies, share


async def telnet_commands(ctx: Context) -> list[Row]:
    """Others' latency with no attacker, then under each stream of telnet commands in turn."""
    name = "2 telnet"
    rows: list[Row] = []
    async with ctx.server("telnet", []) as server:
        pairs = PrivatePairs()
        await pairs.start(server.port)
        try:
            await asyncio.sleep(1.0)
            baseline = None
            for label, payload, count in PHASES:
                attackers = streamer.start(server.port, payload, count) if count else []
                try:
                    await asyncio.sleep(1.0 if count else 0)
                    latencies, share = await measured(pairs, server.pid, MEASURE)
                finally:
                    streamer.stop(attackers)
                p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
                target = None
                if count == 0:
                    baseline = p99
                elif baseline is not None:
                    target = Target("max", round(baseline + P99_SLACK_MS, 1))
                else:  # no baseline to compare with: the row fails rather than pass unjudged
                    target = Target("is", True)
                rows += [
                    Row(name, f"{label}: others' /msg p50", p50, "ms"),
                    Row(name, f"{label}: others' /msg p99", p99, "ms", target),
                    Row(name, f"{label}: server CPU", share, "%"),
                ]
                await asyncio.sleep(1.0)
        finally:
            await pairs.stop()
    return rows
