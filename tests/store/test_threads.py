"""The SQLite store with its real writer thread, in this process and in one that is killed."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
import pytest_twisted
from twisted.internet.defer import Deferred

from chatd.core.store import StoredLine
from chatd.store import SQLiteStore
from chatd.store.runner import WRITER_NICENESS, WriterThread

WAIT = 20.0

CHILD = """
import sys
from twisted.internet import reactor
from chatd.core.store import StoredLine
from chatd.store import SQLiteStore

store = SQLiteStore(sys.argv[1], reactor, history_days=0)
store.load(0)
store.add_room("dev", "#Dev")
out = open(1, "w", buffering=1)
seq = 0

def durable(line):
    out.write(f"{line.seq}\\n")

def more():
    global seq
    for _ in range(50):
        seq += 1
        store.append(StoredLine("dev", seq, reactor.seconds(), "ann", "x" * 100), durable)
    reactor.callLater(0.001, more)

reactor.callWhenRunning(more)
reactor.run()
"""


def test_sigkill_loses_no_line_that_was_durable(tmp_path):
    """Every line reported durable before a SIGKILL is in the database afterwards."""
    path = str(tmp_path / "chatd.db")
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, path], stdout=subprocess.PIPE, text=True, env=os.environ
    )
    printed: list[int] = []
    deadline = time.monotonic() + WAIT
    try:
        assert child.stdout is not None
        while len(printed) < 3000 and time.monotonic() < deadline:
            text = child.stdout.readline()
            if not text:
                break
            if text.endswith("\n"):
                printed.append(int(text))
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(WAIT)
        child.stdout.close()
    assert len(printed) >= 3000, "the child did not report enough durable lines"
    with sqlite3.connect(path) as db:
        stored = {seq for (seq,) in db.execute("SELECT seq FROM lines WHERE room = 'dev'")}
        last_seq = db.execute("SELECT last_seq FROM rooms WHERE key = 'dev'").fetchone()[0]
    db.close()
    assert printed == list(range(1, len(printed) + 1))
    assert set(printed) <= stored
    assert last_seq == max(stored)


def store_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if "chatd-store" in t.name]


@pytest_twisted.ensureDeferred
async def test_writer_thread_batches_and_answers_on_the_reactor_thread(tmp_path):
    """With a real thread, lines become durable in order on the reactor thread, in few commits."""
    from twisted.internet import reactor

    store = SQLiteStore(str(tmp_path / "chatd.db"), reactor, history_days=0)
    store.load(0)
    store.add_room("dev", "#Dev")
    all_durable: Deferred = Deferred()
    seen: list[int] = []
    threads = set()

    def durable(line: StoredLine) -> None:
        seen.append(line.seq)
        threads.add(threading.current_thread())
        if len(seen) == 500:
            all_durable.callback(None)

    for seq in range(1, 501):
        store.append(StoredLine("dev", seq, 1.0 * seq, "ann", f"line {seq}"), durable)
    await all_durable.addTimeout(WAIT, reactor)
    assert seen == list(range(1, 501))
    assert threads == {threading.main_thread()}
    assert store.commits < 10
    found: Deferred = Deferred()
    store.history("dev", 101, 3, found.callback)
    older = await found.addTimeout(WAIT, reactor)
    assert [line.seq for line in older] == [98, 99, 100]
    closed: Deferred = Deferred()
    store.close(lambda: closed.callback(None))
    await closed.addTimeout(WAIT, reactor)
    assert store_threads() == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="thread niceness is Linux's")
@pytest_twisted.ensureDeferred
async def test_the_writer_thread_runs_nicer_than_the_reactor():
    """The store's thread gives way to the reactor's on a shared core; the reactor is untouched."""
    from twisted.internet import reactor

    before = os.getpriority(os.PRIO_PROCESS, 0)
    runner = WriterThread(reactor)
    try:
        writer = await runner.run(threading.get_native_id).addTimeout(WAIT, reactor)
        assert writer != threading.get_native_id()
        assert os.getpriority(os.PRIO_PROCESS, writer) == min(before + WRITER_NICENESS, 19)
        assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before
    finally:
        runner.stop()
