"""Scenario 5: one address exhausting the server's resources or amplifying its own traffic.

(a) join and quit in a loop while 300 users are online: notices each of them receives; (b) 20
connections flooding one user with ``/msg``; (c) server log written per connect-and-close; (d)
``--rate 0`` and 64 KiB packets of empty lines: the server's CPU and others' latency; (e) how many
named users one address, or 30 addresses, can hold of ``--max-clients 200``, and whether someone
else can still join. IPv6 loopback is the one address ``::1``, so the /64 variant of (e) is not run.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from bench.attack import streamer
from bench.attack.context import Context, PrivatePairs
from bench.attack.figures import Row, Target, percentile
from bench.attack.readers import close_all, join_many
from bench.attack.wire import PROMPT, Conn, connect, cpu_seconds

ONLINE = 300
CHURN_SECONDS = 5.0
FLOODERS = 20
FLOOD_SECONDS = 20.0
STORM_CYCLES = 1000
CAPACITY = 200


async def churn(ctx: Context) -> list[Row]:
    """Each join and quit is two notices to every user: what one address's loop costs them."""
    name = "5a churn"
    async with ctx.server("churn", []) as server:
        online = await join_many(server.port, [f"u{index}" for index in range(ONLINE)])
        notices = [0]
        counting = [False]

        def on_line(line: str) -> None:
            if counting[0] and line.startswith("* ") and " has " in line:
                notices[0] += 1

        # Only the one user whose notices are counted reads: the others' few kilobytes wait in
        # their kernel buffers, which leaves this process's time to the churning client.
        drains = [asyncio.create_task(online[0].drain(on_line))]
        cycles = 0
        try:
            await asyncio.sleep(1.0)
            counting[0] = True
            began = time.monotonic()
            while time.monotonic() - began < CHURN_SECONDS:
                conn = await connect(server.port)
                try:
                    # Name and <quit> in one write, without waiting for the prompt.
                    await conn.send(f"c{cycles}\r\n<quit>\r\n")
                    if await conn.until("* Goodbye", 5) is not None:
                        cycles += 1
                finally:
                    conn.close()
            elapsed = time.monotonic() - began
            await asyncio.sleep(0.5)
            counting[0] = False
        finally:
            for task in drains:
                task.cancel()
            close_all(online)
    return [
        Row(name, "join-and-quit cycles per second from one address", cycles / elapsed),
        Row(name, f"notices per second to each of {ONLINE} users", notices[0] / elapsed, "",
            Target("max", 10)),
    ]  # fmt: skip


async def msg_flood(ctx: Context) -> list[Row]:
    """Flood control holds each flooder to its rate; does the victim survive twenty of them?"""
    name = "5b msg-flood"
    async with ctx.server("msg-flood", []) as server:
        pairs = PrivatePairs("vic", users=2)  # vic0 is the victim, vic1 a friend writing to it
        await pairs.start(server.port)
        flooders = await join_many(
            server.port, [f"mf{index}" for index in range(FLOODERS)], "127.0.0.1", required=False
        )
        line = f"/msg vic0 {'y' * 3900}\r\n" * 20

        async def flood(conn: Conn) -> None:
            with contextlib.suppress(OSError):
                while True:
                    await conn.send(line)

        tasks = [asyncio.create_task(conn.drain()) for conn in flooders]
        tasks += [asyncio.create_task(flood(conn)) for conn in flooders]
        try:
            latencies = await pairs.measure(FLOOD_SECONDS)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        try:
            (watcher,) = await join_many(server.port, ["watcher"])
            names = await watcher.online() or []
            watcher.close()
            connected = "vic0" in names and not pairs.conns[0].eof
        finally:
            await pairs.stop()
            close_all(flooders)
    return [
        Row(name, f"flooders from 127.0.0.1 that joined, of {FLOODERS}", len(flooders)),
        Row(name, "friend's /msg sent to the victim while measured", pairs.window_sent),
        Row(name, "  refused by the victim's private budget (by design)", pairs.window_refused),
        Row(name, f"victim still connected after {FLOOD_SECONDS:.0f} s", connected, "",
            Target("is", True)),
        Row(name, "friend's delivered /msg to the victim p50", percentile(latencies, 50), "ms"),
        Row(name, "friend's delivered /msg to the victim p99", percentile(latencies, 99), "ms",
            Target("max", 250)),
    ]  # fmt: skip


async def log_volume(ctx: Context) -> list[Row]:
    """A connection storm from one address must not become a disk-filling log storm."""
    name = "5c log-volume"
    async with ctx.server("log-volume", []) as server:
        before = server.log_path.stat().st_size
        done, prompted = [0], [0]
        deadline = time.monotonic() + 30  # a server slowing the storm down must not stall us

        async def cycle_forever(count: int) -> None:
            for _ in range(count):
                if time.monotonic() > deadline:
                    return
                try:
                    conn = await connect(server.port)
                except (OSError, TimeoutError):
                    continue
                try:
                    # The prompt, or a refusal and the close: either way one cycle.
                    await conn.until(PROMPT, 5)
                    prompted[0] += not conn.eof
                finally:
                    conn.close()
                    done[0] += 1

        began = time.monotonic()
        await asyncio.gather(*(cycle_forever(STORM_CYCLES // 20) for _ in range(20)))
        elapsed = time.monotonic() - began
        await asyncio.sleep(1.0)
        grown = server.log_path.stat().st_size - before
    return [
        Row(name, "connect-and-close cycles per second", done[0] / elapsed),
        Row(name, "cycles that got the prompt", prompted[0]),
        Row(name, "server log bytes per cycle", grown / done[0] if done[0] else None, "B",
            Target("max", 100)),
    ]  # fmt: skip


async def newlines(ctx: Context) -> list[Row]:
    """Empty lines are ignored, but each still costs work; with no flood control, how much?"""
    name = "5d newlines"
    async with ctx.server("newlines", ["--rate", "0"]) as server:
        pairs = PrivatePairs()
        await pairs.start(server.port)
        try:
            await asyncio.sleep(1.0)
            baseline = await pairs.measure(4.0)
            attackers = streamer.start(server.port, b"\n")  # in 64 KiB writes
            try:
                await asyncio.sleep(0.5)
                cpu, began = cpu_seconds(server.pid), time.monotonic()
                latencies = await pairs.measure(8.0)
                cpu_after, ended = cpu_seconds(server.pid), time.monotonic()
            finally:
                streamer.stop(attackers)
        finally:
            await pairs.stop()
    base99 = percentile(baseline, 99)
    share = None if cpu is None or cpu_after is None else (cpu_after - cpu) / (ended - began) * 100
    return [
        Row(name, "no attacker (baseline): others' /msg p99", base99, "ms"),
        Row(name, "64 KiB packets of newlines: others' /msg p50", percentile(latencies, 50), "ms"),
        Row(name, "64 KiB packets of newlines: others' /msg p99", percentile(latencies, 99), "ms",
            Target("max", round(base99 + 20, 1)) if base99 is not None else Target("is", True)),
        Row(name, "64 KiB packets of newlines: server CPU", share, "%"),
    ]  # fmt: skip


async def fill(port: int, sources: list[str], attempts: int) -> tuple[list[Conn], list[str]]:
    """Named idle users from ``sources`` in turn: the ones that joined, and the refusals."""
    held, refusals = [], []
    silent = 0  # refusals in a row without an answer: a server that stalls us, not refuses
    for index in range(attempts):
        if silent >= 20:
            refusals.append("gave up")
            continue
        try:
            conn = await connect(port, source=sources[index % len(sources)])
        except (OSError, TimeoutError) as error:
            refusals.append(repr(error))
            continue
        answer = await conn.join(f"h{index}", 5)
        if answer == "ok":
            held.append(conn)
            silent = 0
        else:
            refusals.append(answer)
            silent = silent + 1 if answer in ("timeout", "no prompt") else 0
            conn.close()
    return held, refusals


async def served(port: int, source: str, name: str) -> bool:
    """Whether a user from ``source`` is welcomed."""
    try:
        conn = await connect(port, source=source)
    except (OSError, TimeoutError):
        return False
    try:
        return await conn.join(name, 5) == "ok"
    finally:
        conn.close()


async def one_address(ctx: Context) -> list[Row]:
    """Idle named users from one address (then 30) fill ``--max-clients``: who else gets in?"""
    name = "5e one-address"
    args = ["--max-clients", str(CAPACITY)]
    rows: list[Row] = []
    many = [f"127.0.0.{host}" for host in range(10, 40)]
    for label, sources in (("1 address", ["127.0.0.1"]), ("30 addresses", many)):
        async with ctx.server(f"one-address-{len(sources)}", args) as server:
            held, _ = await fill(server.port, sources, CAPACITY + 10)
            drains = [asyncio.create_task(conn.drain()) for conn in held]
            try:
                if len(sources) == 1:
                    rows += [
                        Row(name, f"{label}: idle users held of {CAPACITY}", len(held)),
                        Row(name, f"{label}: a user from 127.0.0.2 can join",
                            await served(server.port, "127.0.0.2", "visitor"), "",
                            Target("is", True)),
                    ]  # fmt: skip
                else:
                    rows += [
                        Row(name, f"{label} (127.0.0.10-39): idle users held", len(held)),
                        Row(name, f"{label}: a user from 127.0.0.2 (same /24) can join",
                            await served(server.port, "127.0.0.2", "visitor")),
                        Row(name, f"{label}: a user from 127.1.0.1 can join",
                            await served(server.port, "127.1.0.1", "guest")),
                    ]  # fmt: skip
            finally:
                for task in drains:
                    task.cancel()
                close_all(held)
    return rows
