"""Waiting inside the test reactor, for tests whose GUI runs in this process (tests/gui).

A GUI test cannot block: the window, its connection and Tk all run in pytest-twisted's reactor.
So waits here let the reactor turn (:func:`until`), and nc-style peers are read without
blocking (:class:`LivePeer`).  Every wait is bounded.
"""

from __future__ import annotations

import time

from installed_daemon import Peer

#: Upper bound for any single wait; loopback and a virtual display answer in milliseconds.
WAIT = 10.0
WELCOME = "* Welcome {}! If you ever want to quit, type <quit> to exit."


async def sleep(seconds: float) -> None:
    from twisted.internet import reactor, task

    await task.deferLater(reactor, seconds)


async def until(predicate, what: str, timeout: float = WAIT):
    """Let the reactor (and Tk) run until ``predicate()`` is true; fail saying ``what`` if not.

    ``what`` may be a function, called only on failure, to describe the state at that moment.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what() if callable(what) else what} (after {timeout} s)")
        await sleep(0.01)


def view_lines(face) -> list[str]:
    """The lines of the window's current view, as shown."""
    return face.window.current.texts()


async def shown(face, text: str) -> None:
    await until(lambda: text in view_lines(face), lambda: f"{text!r} not in {view_lines(face)}")


async def welcomed(face, name: str) -> None:
    """Wait for the latest welcome as ``name`` and the ``* Online`` list the server sends after it.

    The server writes them separately, so a window can show the welcome a moment before the
    list: a line typed in that moment is shown between them.
    """
    welcome = WELCOME.format(name)

    def listed() -> bool:
        lines = view_lines(face)
        if welcome not in lines:
            return False
        after = lines[len(lines) - lines[::-1].index(welcome) :]
        return any(line.startswith("* Online (") for line in after)

    await until(listed, lambda: f"{welcome!r} and the online list not in {view_lines(face)}")


class LivePeer:
    """An nc-style :class:`Peer` read without blocking, so the in-process GUI keeps running."""

    def __init__(self, peer: Peer) -> None:
        self.peer = peer
        self.backlog: list[str] = []

    def send(self, *lines: str) -> None:
        self.peer.send(*lines)

    async def expect(self, line: str, timeout: float = WAIT) -> list[str]:
        """Wait for ``line``; return the lines that came before it (the rest are kept)."""

        def arrived() -> bool:
            self.backlog += self.peer.ready_lines()
            return line in self.backlog

        await until(arrived, lambda: f"never got {line!r}; got {self.backlog}", timeout)
        index = self.backlog.index(line)
        before, self.backlog = self.backlog[:index], self.backlog[index + 1 :]
        return before

    async def expect_eof(self, timeout: float = WAIT) -> None:
        def closed() -> bool:
            self.backlog += self.peer.ready_lines()
            return self.peer.closed

        await until(closed, "the server did not close the connection", timeout)
