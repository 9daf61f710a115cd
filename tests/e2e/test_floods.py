"""Floods against the installed daemon: paced, leaving no ghosts, and small in memory."""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path

LOCAL = "interface=127.0.0.1"
IAC, AYT = 255, 246


def resident_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE).group(1))


def test_a_flooder_who_hangs_up_is_gone_at_once_and_its_queue_is_dropped(daemon, peers):
    """3000 queued lines then a hang-up: the name is free within seconds, not ten minutes."""
    server = daemon("chatd", "--listen", f"tcp:0:{LOCAL}")
    (port,) = server.ports()
    watcher = peers(port)
    watcher.join("watcher")
    ghost = peers(port)
    ghost.join("ghost")
    assert watcher.next_line() == "* ghost has joined the chat"
    ghost.send(*[f"line {number}" for number in range(3000)])
    ghost.close()
    left = time.monotonic()
    lines = watcher.expect("* ghost has left the chat")
    assert time.monotonic() - left < 4  # a hang-up check, plus a pause in the slowest case
    relayed = [line for line in lines if line.startswith("ghost: ")]
    assert len(relayed) < 40  # the burst and a few paced lines, not 3000
    again = peers(port)
    assert again.join("ghost") == "* Online (2): ghost, watcher"


def test_a_stream_of_are_you_there_is_paced_and_others_chat_on(daemon, peers):
    """AYT spends the flood budget: the flooder is answered about once a second, others unhurt."""
    server = daemon("chatd", "--listen", f"tcp:0:{LOCAL}")
    (port,) = server.ports()
    alice, bob = peers(port), peers(port)
    alice.join("alice")
    bob.join("bob")
    assert alice.next_line() == "* bob has joined the chat"
    mallory = socket.create_connection(("127.0.0.1", port))
    mallory.settimeout(0.01)
    flood = bytes([IAC, AYT]) * 4096
    answers = b""
    started = time.monotonic()
    while time.monotonic() - started < 3:
        try:
            mallory.send(flood)
        except (BlockingIOError, TimeoutError):
            pass
        try:
            answers += mallory.recv(65536)
        except TimeoutError:
            pass
        alice.send("/msg bob ping")
        assert bob.next_line() == "[private] alice: ping"
        assert alice.next_line() == "[private to bob] ping"
    mallory.close()
    assert answers.count(b"* yes, chatd is here") <= 4


def test_paused_flooders_hold_about_a_line_each(daemon):
    """200 connections paused by flood control with 60 KB sent each cost kilobytes, not 64 KiB."""
    server = daemon(
        "chatd", "--listen", f"tcp:0:{LOCAL}", "--max-per-ip", "0", "--arrival-rate", "0"
    )
    (port,) = server.ports()
    pid = server.process.pid
    warm = socket.create_connection(("127.0.0.1", port))
    warm.close()
    time.sleep(0.2)
    before = resident_kib(pid)
    burst = b"".join(b"line %05d " % number + b"x" * 50 + b"\n" for number in range(1000))
    flooders = []
    for _ in range(200):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(burst)
        flooders.append(sock)
    server.wait_for_log("connection from", count=201)
    time.sleep(0.5)  # let the server read what it will read
    grown = resident_kib(pid) - before
    for sock in flooders:
        sock.close()
    assert grown < 200 * 24, f"grew {grown} KiB for 200 paused connections"
