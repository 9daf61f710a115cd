"""Tk driven by the Twisted reactor: no threads, no ``mainloop``, nothing blocking.

This does what :func:`twisted.internet.tksupport.install` does (a ``LoopingCall`` that lets Tk
handle its pending events every 10 ms), as an object: ``tksupport`` keeps one module-global
task, ignores the reactor it is given, replaces ``twisted.python.util.getPassword`` with a Tk
dialog, and lets the ``TclError`` of a destroyed window escape into the reactor's log.  Tests
open and close many windows in one process and pass their own clock, so each window gets its
own pump, which stops quietly once its window is gone.
"""

from __future__ import annotations

import tkinter

from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import LoopingCall

__all__ = ["TkPump"]

#: How often Tk's events are handled: fast enough that typing never lags, 100 wake-ups a second.
INTERVAL = 0.01


class TkPump:
    """Handle ``root``'s pending Tk events every ``interval`` seconds on ``clock``."""

    def __init__(self, root: tkinter.Misc, clock: IReactorTime, interval: float = INTERVAL):
        self.root = root
        self._call = LoopingCall(self._pump)
        self._call.clock = clock
        self._interval = interval

    @property
    def running(self) -> bool:
        return self._call.running

    def start(self) -> None:
        if not self._call.running:
            self._call.start(self._interval, now=True)

    def stop(self) -> None:
        """Stop handling Tk's events; call before destroying the window, or let it notice."""
        if self._call.running:
            self._call.stop()

    def _pump(self) -> None:
        try:
            self.root.update()
        except tkinter.TclError:
            # The window was destroyed (by its window manager, say): nothing left to drive.
            self.stop()
