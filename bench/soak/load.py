"""The soak's timeline: join, load, drain, quit, then look at the stallers and the server.

1. Join: every stable client (chatters, flooders) and every staller connects and is welcomed
   before anyone speaks, so every stable client is owed every message.
2. Load, for ``duration`` seconds: stable clients talk, flooders burst, churners come and go.
3. Drain, at most ``drain`` seconds: nobody sends; wait until every stable client has read every
   message (a rate-limited server may still be working through a flooder's backlog).
4. Quit: every stable client says ``<quit>`` and must get its goodbye and a closed connection,
   which shows the server read all its lines and still answers.
5. Stallers: which ones the server cut off; their leftovers are read and checked.

Every phase has a bound, and every connection is reset on the way out whatever happened.
A once-a-second ticker samples the server's memory, CPU and open files throughout.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from bench.soak import probe
from bench.soak.clients import Churner, ChurnStats, Pace, StableClient, Staller
from bench.soak.ledger import Ledger, Tally

#: Joins in flight at once: enough to be quick, few enough not to look like a SYN flood.
JOIN_CONCURRENCY = 50
#: How long cut-off stallers get to hand over what they still hold.
STALLER_FINISH_SECONDS = 5.0
#: Time for the server to see the last clients go before the final sample.
SETTLE_SECONDS = 2.0


class SetupError(Exception):
    """The run could not start: some stable client or staller could not join."""


@dataclass(frozen=True)
class Plan:
    port: int
    server_pid: int
    duration: float
    drain: float
    chatters: int
    flooders: int
    stallers: int
    churners: int
    pace: Pace
    seed: int
    join_timeout: float = 60.0
    quit_timeout: float = 30.0

    def bound(self) -> float:
        """The longest :meth:`Soak.run` can take, in seconds."""
        return (
            self.join_timeout
            + self.duration
            + self.drain
            + self.quit_timeout
            + STALLER_FINISH_SECONDS
            + SETTLE_SECONDS
        )


@dataclass
class Outcome:
    tally: Tally
    churn: ChurnStats
    stallers_cut: int
    staller_cut_times: list[float]
    stable_dropped: list[str]
    quits_confirmed: int
    bursts: int
    drained: bool
    phases: dict[str, float] = field(default_factory=dict)
    samples: list[probe.Sample] = field(default_factory=list)
    baseline: probe.Sample | None = None
    final: probe.Sample | None = None


class Soak:
    """One run of :class:`Plan` against a running server."""

    def __init__(self, plan: Plan, progress: Callable[[str], None] = lambda phase: None) -> None:
        """``progress`` is told the name of each phase as it starts."""
        self.plan = plan
        self.progress = progress
        self.t0 = time.monotonic()
        pace = plan.pace
        chatters = [f"c{i:03d}" for i in range(1, plan.chatters + 1)]
        flooders = [f"f{i:03d}" for i in range(1, plan.flooders + 1)]
        groups = {**dict.fromkeys(chatters, "chatter"), **dict.fromkeys(flooders, "flooder")}
        self.ledger = Ledger(groups, readers=groups)
        self.stable = [
            StableClient(name, plan.port, self.ledger, pace, self._rng(name), group == "flooder")
            for name, group in groups.items()
        ]
        self.stallers = [
            Staller(f"s{i:03d}", plan.port, self.ledger) for i in range(1, plan.stallers + 1)
        ]
        self.churn = ChurnStats()
        self.churners = [
            Churner(i, plan.port, self.ledger, list(groups), pace, self._rng(f"k{i}"), self.churn)
            for i in range(1, plan.churners + 1)
        ]
        self.samples: list[probe.Sample] = []

    def _rng(self, name: str) -> random.Random:
        return random.Random(f"{self.plan.seed}:{name}")

    def _now(self) -> float:
        return time.monotonic() - self.t0

    async def run(self) -> Outcome:
        phases: dict[str, float] = {}
        ticker = asyncio.create_task(self._tick())
        try:
            baseline = probe.sample(self.plan.server_pid, self._now())
            await self._timed(phases, "join", self._join())
            await self._timed(phases, "load", self._load())
            drained = await self._timed(phases, "drain", self._drain())
            quits = await self._timed(phases, "quit", self._quit())
            await self._timed(phases, "stallers", self._finish_stallers())
            await asyncio.sleep(SETTLE_SECONDS)
            final = probe.sample(self.plan.server_pid, self._now(), len(self._cut_times()))
        finally:
            ticker.cancel()
            for client in (*self.stable, *self.stallers):
                client.abort()
        return Outcome(
            tally=self.ledger.tally(),
            churn=self.churn,
            stallers_cut=len(self._cut_times()),
            staller_cut_times=self._cut_times(),
            stable_dropped=[client.name for client in self.stable if client.dropped],
            quits_confirmed=quits,
            bursts=sum(client.bursts for client in self.stable),
            drained=drained,
            phases=phases,
            samples=self.samples,
            baseline=baseline,
            final=final,
        )

    async def _timed(self, phases: dict[str, float], name: str, work: Awaitable):
        started = time.monotonic()
        self.progress(name)
        try:
            return await work
        finally:
            phases[name] = round(time.monotonic() - started, 1)

    async def _tick(self) -> None:
        """Once a second: sample the server, and note stallers the server has cut off."""
        while True:
            for staller in self.stallers:
                staller.look(self._now())
            found = probe.sample(self.plan.server_pid, self._now(), len(self._cut_times()))
            if found is not None:
                self.samples.append(found)
            await asyncio.sleep(1.0)

    def _cut_times(self) -> list[float]:
        """When the stallers the server cut off were seen cut off, in seconds since the start."""
        return sorted(round(s.cut_at, 1) for s in self.stallers if s.cut_at is not None)

    async def _join(self) -> None:
        gate = asyncio.Semaphore(JOIN_CONCURRENCY)

        async def one(client: StableClient | Staller) -> None:
            async with gate:
                await client.join(self.plan.join_timeout)

        try:
            async with asyncio.timeout(self.plan.join_timeout):
                await _all(one(client) for client in (*self.stable, *self.stallers))
        except TimeoutError:
            raise SetupError(f"not all joined within {self.plan.join_timeout:g} s") from None
        except ExceptionGroup as failures:
            raise SetupError(f"a client could not join: {failures.exceptions[0]!r}") from None

    async def _load(self) -> None:
        until = time.monotonic() + self.plan.duration
        churning = [asyncio.create_task(churner.run(until)) for churner in self.churners]
        try:
            await _all(client.talk(until) for client in self.stable)
            await asyncio.sleep(max(0.0, until - time.monotonic()))
        finally:
            for task in churning:
                task.cancel()
            await asyncio.gather(*churning, return_exceptions=True)

    async def _drain(self) -> bool:
        """Wait until every stable client has read everything; False if the bound passed."""
        deadline = time.monotonic() + self.plan.drain
        while not self.ledger.complete():
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.1)
        return True

    async def _quit(self) -> int:
        results = await asyncio.gather(
            *(client.quit(self.plan.quit_timeout) for client in self.stable)
        )
        return sum(results)

    async def _finish_stallers(self) -> None:
        await asyncio.gather(
            *(staller.finish(self._now(), STALLER_FINISH_SECONDS) for staller in self.stallers)
        )


async def _all(work: Iterable[Awaitable]) -> None:
    """Run ``work`` concurrently; on the first failure cancel the rest and raise it."""
    async with asyncio.TaskGroup() as group:
        for item in work:
            group.create_task(item)
