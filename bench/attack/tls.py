"""Scenario 1: connections that hold a TLS listener's slots without ever finishing a handshake.

A TCP connection that never sends its TLS ClientHello has no username either, so the handshake
timeout should close it like any other; refused connections (``--max-per-ip``) should go at once.
The figures are taken after a bounded wait: the handshake timeout plus a few seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

from bench.attack.context import Context
from bench.attack.figures import Row, Target
from bench.attack.wire import bystander, open_fds, raw_socket, tls_connect, tls_prompt

HANDSHAKE_TIMEOUT = 3.0
#: How long after the attack the figures are taken: the handshake timeout plus a few seconds.
SETTLE = HANDSHAKE_TIMEOUT + 5.0
FD_SLACK = 5


def silent_sockets(port: int, count: int, spread: bool = False) -> list[socket.socket]:
    """``count`` connected TCP sockets that will never send a byte.

    From 127.0.0.1, or with ``spread`` each from an address of its own, as from many machines.
    """
    sockets = []
    for _ in range(count):
        sock = raw_socket(bystander() if spread else "127.0.0.1")
        sock.settimeout(5)
        try:
            sock.connect(("127.0.0.1", port))
        except OSError:
            sock.close()
            continue
        sockets.append(sock)
    return sockets


def close_all(sockets) -> None:
    for sock in sockets:
        with contextlib.suppress(OSError):
            sock.close()


def fds_over(pid: int, baseline: int | None) -> int | None:
    now = open_fds(pid)
    return None if now is None or baseline is None else now - baseline


async def tls_silent(ctx: Context) -> list[Row]:
    """100 silent TCP connections fill ``--max-clients 100``; are they gone after the timeout?"""
    name = "1 tls-silent"
    args = ["--max-clients", "100", "--handshake-timeout", str(HANDSHAKE_TIMEOUT)]
    async with ctx.server("tls-silent", args + ctx.tls_listener()) as server:
        baseline = open_fds(server.pid)
        # From 100 addresses: one address would meet a per-address limit, which is not the point.
        sockets = await asyncio.to_thread(silent_sockets, server.port, 100, True)
        try:
            await asyncio.sleep(1.0)
            held = fds_over(server.pid, baseline)
            await asyncio.sleep(SETTLE + 2.0 - 1.0)
            left = fds_over(server.pid, baseline)
            served = await asyncio.to_thread(tls_prompt, server.port, bystander())
        finally:
            close_all(sockets)
    seconds = f"{SETTLE + 2:.0f} s"
    return [
        Row(name, "silent TCP connections opened, from 100 addresses", len(sockets)),
        Row(name, "server fds over baseline after 1 s", held),
        Row(name, f"server fds over baseline after {seconds}", left, "", Target("max", FD_SLACK)),
        Row(name, f"new TLS user gets the prompt after {seconds}", served, "", Target("is", True)),
    ]


async def tls_per_ip(ctx: Context) -> list[Row]:
    """400 silent connections from one address with ``--max-per-ip 5``, then 100 non-readers."""
    name = "1 tls-per-ip"
    args = ["--max-per-ip", "5", "--handshake-timeout", str(HANDSHAKE_TIMEOUT)]
    rows: list[Row] = []
    seconds = f"{SETTLE:.0f} s"
    async with ctx.server("tls-per-ip", args + ctx.tls_listener()) as server:
        baseline = open_fds(server.pid)
        sockets = await asyncio.to_thread(silent_sockets, server.port, 400, False)
        try:
            await asyncio.sleep(1.0)
            held = fds_over(server.pid, baseline)
            await asyncio.sleep(SETTLE - 1.0)
            left = fds_over(server.pid, baseline)
            served = await asyncio.to_thread(tls_prompt, server.port, "127.0.0.2")
        finally:
            close_all(sockets)
        rows += [
            Row(name, "silent TCP connections opened from 127.0.0.1", len(sockets)),
            Row(name, "server fds over baseline after 1 s", held),
            Row(name, f"server fds over baseline after {seconds}", left, "",
                Target("max", FD_SLACK)),
            Row(name, f"TLS user from 127.0.0.2 gets the prompt after {seconds}", served, "",
                Target("is", True)),
        ]  # fmt: skip
        await asyncio.sleep(1.0)
        baseline = open_fds(server.pid)
        readers = await asyncio.to_thread(non_readers, server.port, 100)
        try:
            await asyncio.sleep(1.0)
            held = fds_over(server.pid, baseline)
            await asyncio.sleep(SETTLE - 1.0)
            left = fds_over(server.pid, baseline)
            served = await asyncio.to_thread(tls_prompt, server.port, "127.0.0.2")
        finally:
            close_all(readers)
    rows += [
        Row(name, "TLS clients from 127.0.0.1 that never read", len(readers)),
        Row(name, "  server fds over baseline after 1 s", held),
        Row(name, f"  server fds over baseline after {seconds}", left, "", Target("max", FD_SLACK)),
        Row(name, f"  TLS user from 127.0.0.2 gets the prompt after {seconds}", served, "",
            Target("is", True)),
    ]  # fmt: skip
    return rows


def non_readers(port: int, count: int) -> list[socket.socket]:
    """``count`` TLS connections with the handshake done that never read what the server says."""
    sockets = []
    for _ in range(count):
        try:
            sockets.append(tls_connect(port))
        except OSError:
            continue
    return sockets
