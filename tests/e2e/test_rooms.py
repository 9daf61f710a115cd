"""Rooms and durable history through the installed daemon: restarts lose nothing promised."""

from __future__ import annotations

import re
import signal
import sqlite3
import time

LOCAL = "interface=127.0.0.1"
RECEIPT = re.compile(r"\+ (\d+) (#\S+) (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)$")


def history_lines(lines: list[str]) -> list[str]:
    """The lines of a /history answer, from what came before its end (the replay comes first)."""
    (first,) = [index for index, line in enumerate(lines) if line.startswith("* History of ")]
    return lines[first + 1 :]


def start(daemon, db, *extra):
    server = daemon("chatd", "--listen", f"tcp:0:{LOCAL}", "--db", str(db), *extra)
    (port,) = server.ports()
    return server, port


def test_rooms_through_the_daemon(daemon, peers, tmp_path):
    """Two users chat in the lobby and in #dev; the one in the lobby sees #dev lines marked."""
    _, port = start(daemon, tmp_path / "chat.db")
    alice, bob = peers(port), peers(port)
    alice.join("alice")
    bob.join("bob")
    assert alice.next_line() == "* bob has joined the chat"
    alice.send("/join #dev")
    assert alice.next_line() == "* Now talking in #dev (1 here: alice)"
    bob.send("/join #dev", "/join #lobby")
    assert bob.lines(2) == [
        "* Now talking in #dev (2 here: alice, bob)",
        "* Now talking in #lobby (2 here: alice, bob)",
    ]
    assert alice.next_line() == "* bob has joined #dev"
    alice.send("in dev")
    assert bob.next_line() == "#dev alice: in dev"
    bob.send("in the lobby")
    assert alice.next_line() == "#lobby bob: in the lobby"


def test_a_clean_stop_loses_no_line_and_history_comes_back(daemon, peers, tmp_path):
    """Lines said just before SIGTERM are in /history after a restart, with topics."""
    db = tmp_path / "chat.db"
    server, port = start(daemon, db, "--rate", "0")
    alice = peers(port)
    alice.join("alice")
    alice.send("/join #Dev", "/topic the plan")
    alice.expect("* alice set the topic of #Dev: the plan")
    alice.send(*[f"line {number}" for number in range(200)])
    alice.send("/who")
    alice.expect("* Online (1): alice")  # every line was read before the stop
    server.signal(signal.SIGTERM)
    assert server.wait_exit() == -signal.SIGTERM

    server, port = start(daemon, db)
    bob = peers(port)
    bob.join("bob")
    bob.send("/join #dev")
    assert bob.next_line() == "* Now talking in #Dev (1 here: bob)"
    assert bob.next_line() == "* Topic of #Dev: the plan"
    replay = bob.lines(20)
    assert [line[8:] for line in replay] == [f"alice: line {n}" for n in range(180, 200)]
    bob.send("/history 200")
    lines = bob.expect("* End of history of #Dev")
    assert lines[0] == "* History of #Dev (200 lines):"
    assert [line[8:] for line in history_lines(lines)] == [f"alice: line {n}" for n in range(200)]


def test_sigkill_loses_no_line_whose_receipt_was_sent(daemon, peers, tmp_path):
    """Every line confirmed with a + receipt before the kill is back, in order, after it."""
    db = tmp_path / "chat.db"
    server, port = start(daemon, db, "--rate", "0")
    alice = peers(port)
    alice.join("alice")
    alice.send("/receipts on")
    assert alice.next_line() == "* Receipts are on"
    alice.send(*[f"kept {number}" for number in range(300)])
    receipted = []
    deadline = time.monotonic() + 10
    while len(receipted) < 100 and time.monotonic() < deadline:
        match = RECEIPT.match(alice.next_line())
        assert match, "every answer to a line is a receipt"
        receipted.append(int(match.group(1)))
    assert receipted == list(range(1, len(receipted) + 1))
    server.process.send_signal(signal.SIGKILL)
    server.wait_exit()

    stored = (
        sqlite3.connect(db)
        .execute("SELECT seq, text FROM lines WHERE room = '#lobby' ORDER BY seq")
        .fetchall()
    )
    assert [text for seq, text in stored if seq in receipted] == [
        f"kept {seq - 1}" for seq in receipted
    ]
    server, port = start(daemon, db)
    bob = peers(port)
    bob.join("bob")
    bob.send("/history 500")
    said = [line[8:] for line in history_lines(bob.expect("* End of history of #lobby"))]
    assert said[: len(receipted)] == [f"alice: kept {n}" for n in range(len(receipted))]


def test_a_locked_database_delays_receipts_but_not_the_chat(daemon, peers, tmp_path):
    """While another program holds the database, chat goes on and receipts wait; then they come."""
    db = tmp_path / "chat.db"
    server, port = start(daemon, db)
    alice, bob = peers(port), peers(port)
    alice.join("alice")
    bob.join("bob")
    alice.next_line()  # bob's arrival
    alice.send("/receipts on")
    assert alice.next_line() == "* Receipts are on"
    holder = sqlite3.connect(db, isolation_level=None, timeout=5)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        alice.send("while locked")
        assert bob.next_line() == "alice: while locked"  # the chat does not wait
        server.wait_for_log("cannot write")
        alice.sock.settimeout(0.5)
        assert not alice.ready_lines()  # no receipt for a line that is not stored
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert RECEIPT.match(alice.next_line())


def test_a_database_from_a_newer_chatd_is_refused_in_one_line(run_twistd, tmp_path):
    """A database whose schema this chatd does not know stops the start, naming the file."""
    db = tmp_path / "future.db"
    sqlite3.connect(db).execute("PRAGMA user_version = 99").connection.close()
    result = run_twistd("-n", "--pidfile=", "chatd", "--port", "0", "--db", str(db))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    (line,) = result.stderr.splitlines()
    assert "future.db" in line and "99" in line
