"""Stores under test: the memory store and the SQLite one, with a writer thread the test drives."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import pytest
from twisted.internet import task
from twisted.internet.defer import Deferred

from chatd.core.store import MemoryStore, StoredLine
from chatd.store import SQLiteStore


class StepRunner:
    """A runner whose work waits until the test runs it; with ``auto``, it runs at once."""

    def __init__(self, auto: bool = False) -> None:
        self.auto = auto
        self.waiting: deque[tuple[Callable[..., Any], tuple, Deferred]] = deque()
        self.stopped = False

    def run(self, work: Callable[..., Any], *args: Any) -> Deferred:
        assert not self.stopped, "work asked of a stopped runner"
        done: Deferred = Deferred()
        self.waiting.append((work, args, done))
        if self.auto:
            self.run_all()
        return done

    def names(self) -> list[str]:
        """The names of the work waiting, in order (``_commit``, ``_purge``, ...)."""
        return [work.__name__ for work, _, _ in self.waiting]

    def step(self) -> None:
        """Run the oldest waiting work, and deliver its result."""
        work, args, done = self.waiting.popleft()
        try:
            result = work(*args)
        except Exception as error:
            done.errback(error)
        else:
            done.callback(result)

    def run_all(self) -> None:
        while self.waiting:
            self.step()

    def stop(self) -> None:
        self.stopped = True


class Durables:
    """A ``durable`` callback that remembers what it was told, in order."""

    def __init__(self) -> None:
        self.lines: list[StoredLine] = []

    def __call__(self, line: StoredLine) -> None:
        self.lines.append(line)

    @property
    def seqs(self) -> list[int]:
        return [line.seq for line in self.lines]


class SQLiteHarness:
    """Opens (and reopens) SQLite stores on one file, with a fake clock and a step runner."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.clock = task.Clock()
        self.clock.advance(1_700_000_000)
        self.stores: list[SQLiteStore] = []

    def open(self, auto: bool = True, **options: Any) -> SQLiteStore:
        runner = StepRunner(auto=auto)
        options.setdefault("busy_timeout", 0.01)
        store = SQLiteStore(self.path, self.clock, runner=runner, clock=self.clock, **options)
        store.runner = runner  # type: ignore[attr-defined]
        self.stores.append(store)
        return store

    def close(self, store: SQLiteStore) -> None:
        """Close ``store``, running whatever work that takes."""
        closed: list[bool] = []
        store.close(lambda: closed.append(True))
        store.runner.run_all()  # type: ignore[attr-defined]
        assert closed == [True]

    def reopen(self, store: SQLiteStore, **options: Any) -> SQLiteStore:
        self.close(store)
        return self.open(**options)

    def cleanup(self) -> None:
        for store in self.stores:
            if not store._closed:
                store.close(lambda: None)
                store.runner.auto = True  # type: ignore[attr-defined]
                store.runner.run_all()  # type: ignore[attr-defined]


@pytest.fixture
def sqlite(tmp_path):
    """Open SQLite stores on a fresh database file; every store is closed at the end."""
    harness = SQLiteHarness(str(tmp_path / "chatd.db"))
    yield harness
    harness.cleanup()


class Restartable:
    """One kind of store, with "restart" meaning what it means for that kind."""

    def __init__(self, kind: str, sqlite: SQLiteHarness | None) -> None:
        self.kind = kind
        self._sqlite = sqlite
        self.store = MemoryStore() if sqlite is None else sqlite.open()

    def restart(self) -> MemoryStore | SQLiteStore:
        """A store as the next start of the daemon would open it (the memory store lives on)."""
        if self._sqlite is not None:
            self.store = self._sqlite.reopen(self.store)
        return self.store


@pytest.fixture(params=["memory", "sqlite"])
def kind(request, sqlite) -> Restartable:
    """Each store in turn, as the hub sees it."""
    return Restartable(request.param, sqlite if request.param == "sqlite" else None)


@pytest.fixture
def durables() -> Callable[[], Durables]:
    return Durables
