"""The relay's own cost, in-process: receiving a line, and a fan-out pass, on StringTransports.

The scenarios of :mod:`bench.fanout` measure chatd with the kernel, the load generator and the
machine around it, and on a shared machine they move by a fifth from run to run.  This measures
only chatd's Python, the same way every time: the line door of a hub with 100 users in the lobby
(``twisted.internet.testing.StringTransport`` connections and a ``task.Clock``, nothing on a
socket), 10 of them sending, each read carrying 1, 2 or 4 lines.  It times ``dataReceived``
(framing, flood control, the hub, the room, the store's queue, the fan-out's journal) apart from
the pass that writes the lines to everyone, and prints the best of 5 repetitions of 1,000 rounds.

It runs against whichever chatd the Python running it has installed, so two revisions compare on
equal terms: the one in ``.venv``, and an older one that ``python -m bench.fanout --before REV``
installed into ``bench/fanout/build/before-REV/venv``.  Run it by its path, not with ``-m``, so
that ``chatd`` is the installed one and not the checkout's; from the repository root::

    .venv/bin/python bench/fanout/inprocess.py
    bench/fanout/build/before-3eea5df/venv/bin/python bench/fanout/inprocess.py

A StringTransport's ``write`` costs more than a socket's ``send`` minus the kernel's share, so a
pass here is not a pass on the wire: compare revisions with it, not with the scenarios.
"""

from __future__ import annotations

import dataclasses
import gc
import time
from typing import Any

from twisted.internet import task
from twisted.internet.address import IPv4Address
from twisted.internet.testing import StringTransport

from chatd.core.hub import Hub
from chatd.doors.line import LineDoorFactory
from chatd.limits import Limits

USERS, SENDERS, ROUNDS, REPEATS = 100, 10, 1000, 5
#: The limits of the scenarios' chatd: flood control far above the load, no per-address limits.
LIMITS: dict[str, Any] = {
    "rate": 1e6,
    "burst": 1e6,
    "max_clients": 20000,
    "max_per_address": 0,
    "arrival_rate": 0,
}


def chat() -> tuple[task.Clock, list]:
    """A hub behind a line door with :data:`USERS` named users; their doors and transports."""
    fields = {field.name for field in dataclasses.fields(Limits)}
    limits = Limits(**{name: value for name, value in LIMITS.items() if name in fields})
    clock = task.Clock()
    factory = LineDoorFactory(Hub(clock=clock, limits=limits))
    wires = []
    for index in range(USERS):
        peer = IPv4Address("TCP", "127.0.0.1", 40000 + index)
        door, transport = factory.buildProtocol(peer), StringTransport(peerAddress=peer)
        door.makeConnection(transport)
        door.dataReceived(b"u%d\n" % index)
        wires.append((door, transport))
    clock.advance(0)
    return clock, wires


def measure(lines_per_read: int) -> tuple[float, float]:
    """Microseconds to receive a line, and to write one pass, best of :data:`REPEATS`."""
    clock, wires = chat()
    senders = [door for door, _ in wires[:SENDERS]]
    padding = b"x" * 50
    said = 0

    def round_() -> tuple[float, float]:
        nonlocal said
        reads = []
        for _ in senders:
            reads.append(b"".join(b"%d %s\n" % (said + k, padding) for k in range(lines_per_read)))
            said += lines_per_read
        start = time.perf_counter()
        for door, data in zip(senders, reads, strict=True):
            door.dataReceived(data)
        received = time.perf_counter()
        clock.advance(0)
        passed = time.perf_counter()
        for _, transport in wires:
            transport.clear()
        return received - start, passed - received

    for _ in range(ROUNDS // 5):  # warm up
        round_()
    best = (float("inf"), float("inf"))
    for _ in range(REPEATS):
        times = [round_() for _ in range(ROUNDS)]
        receive = sum(r for r, _ in times) / (ROUNDS * SENDERS * lines_per_read)
        write = sum(p for _, p in times) / ROUNDS
        if receive + write / (SENDERS * lines_per_read) < best[0] + best[1] / (
            SENDERS * lines_per_read
        ):
            best = (receive, write)
    return best[0] * 1e6, best[1] * 1e6


def main() -> None:
    gc.disable()  # a collection in the middle of a repetition is noise, not the relay's cost
    print(f"{USERS} users in one room, {SENDERS} sending; best of {REPEATS} x {ROUNDS} rounds")
    for lines in (1, 2, 4):
        receive, write = measure(lines)
        per_pass = SENDERS * lines
        print(
            f"{lines} line(s) a read: receive {receive:.2f} us a line;"
            f" pass of {per_pass} lines {write:.1f} us"
            f" ({write * 1000 / (per_pass * (USERS - 1)):.0f} ns a delivery)"
        )


if __name__ == "__main__":
    main()
