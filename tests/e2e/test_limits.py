"""Operating limits of the installed daemon: open files, and memory with a reader that stalls."""

from __future__ import annotations

import resource
import socket
import time
from pathlib import Path

FULL = b"! server is full, try again later\r\n"


def open_files_limit(count: int):
    """A preexec function that gives the daemon ``count`` open files, soft and hard."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (count, count))

    return limit


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime, stime in clock ticks (USER_HZ)


def first_line(sock: socket.socket, timeout: float = 10.0) -> bytes:
    """The first line the server sends, or b"" if it closes the connection first."""
    sock.settimeout(timeout)
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    except ConnectionResetError:
        pass
    return data.split(b"\r\n", 1)[0] + b"\r\n" if b"\r\n" in data else data


def test_max_clients_shrinks_to_fit_the_open_file_limit(daemon):
    """With 64 open files and --max-clients 1000, chatd warns, serves 32, and tells the rest."""
    server = daemon(
        # Every socket comes from 127.0.0.1: the per-address limits are not what is tested.
        "chatd", "--port", "0", "--max-clients", "1000", "--max-per-ip", "0",
        "--arrival-rate", "0", preexec_fn=open_files_limit(64),
    )  # fmt: skip
    (port,) = server.ports()
    server.wait_for_log(r"open-file limit \(64\) cannot fit --max-clients 1000: serving at most 32")
    held = []
    try:
        for _ in range(40):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            held.append((sock, first_line(sock)))
        answers = [line for _, line in held]
        assert answers[:32] == [b"* Please enter a username:\r\n"] * 32
        assert answers[32:] == [FULL] * 8
    finally:
        for sock, _ in held:
            sock.close()


def test_a_connection_storm_past_the_open_file_limit_is_refused_without_spinning(daemon):
    """200 connections at once against 64 open files: each is served, told, or closed; the
    daemon keeps serving and does not spin on the accept loop afterwards."""
    server = daemon(
        # Every socket comes from 127.0.0.1: the per-address limits are not what is tested.
        "chatd", "--port", "0", "--max-clients", "1000", "--max-per-ip", "0",
        "--arrival-rate", "0", preexec_fn=open_files_limit(64),
    )  # fmt: skip
    # Twisted frees a descriptor it keeps in reserve to accept and close what waits on EMFILE;
    # on a busy machine it can find none to take back at once, and says so (critical, with a
    # traceback) before it tries again at the next EMFILE.  That is its recovery working, not
    # an error of chatd's.
    server.allow_in_log("Could not reserve EMFILE recovery file descriptor.")
    (port,) = server.ports()
    storm = []
    try:
        for _ in range(200):
            sock = socket.socket()
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", port))
            storm.append(sock)
        answers = {first_line(sock, timeout=5) for sock in storm}
        assert answers <= {b"* Please enter a username:\r\n", FULL, b""}, answers
    finally:
        for sock in storm:
            sock.close()

    time.sleep(0.5)  # let the daemon see every close
    before = cpu_seconds(server.process.pid)
    time.sleep(1.0)
    # Idle, not spinning on EMFILE: a spinning accept loop burns the whole second; an idle daemon
    # next to nothing, however busy the machine (this is CPU time, not wall-clock time).
    assert cpu_seconds(server.process.pid) - before < 0.5

    fresh = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        assert first_line(fresh) == b"* Please enter a username:\r\n"
    finally:
        fresh.close()
    server.assert_no_errors()


def test_a_stalled_reader_does_not_grow_the_daemons_memory(daemon, peers):
    """32 MB of chat past a reader that stopped reading: it is dropped, and the daemon's peak
    memory grows by far less than what went by."""
    # Default --max-send-buffer (1 MiB); the in-memory store, as the 32 MB are not what is
    # measured here (the database's own queue and cache would be).
    server = daemon("chatd", "--port", "0", "--rate", "0", "--db", ":memory:")
    (port,) = server.ports()
    alice, carol = peers(port), peers(port)
    alice.join("alice")
    carol.join("carol")
    stalled = socket.create_connection(("127.0.0.1", port))
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.sendall(b"stalled\n")  # and never reads again
    assert carol.next_line() == "* stalled has joined the chat"
    peak_before = server.peak_memory_kib()

    line = "z" * 1000
    seen = []
    for round_ in range(32):
        alice.send(*[line] * 1000, f"round {round_}")
        seen += carol.expect(f"alice: round {round_}")
    server.wait_for_log(r"dropping 127\.0\.0\.1:\d+: \d+ bytes of output waiting")
    if "* stalled has left the chat" not in seen:  # dropped after the last round went by
        carol.expect("* stalled has left the chat")
    assert seen.count(f"alice: {line}") == 32 * 1000  # carol, reading, missed nothing
    growth_kib = server.peak_memory_kib() - peak_before
    assert growth_kib < 16 * 1024, f"peak memory grew by {growth_kib} KiB"
    stalled.close()
