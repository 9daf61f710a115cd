"""The time the hub needs: now, and later.  Twisted's reactor and ``task.Clock`` both provide it.

The core never imports the reactor; whoever builds the hub hands one in, and the tests hand in a
``task.Clock`` that only moves when they say so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class Timer(Protocol):
    """A pending call, as ``IDelayedCall`` describes it."""

    def cancel(self) -> None: ...

    def reset(self, seconds: float) -> None: ...

    def active(self) -> bool: ...


class Clock(Protocol):
    """What the hub uses of ``IReactorTime``: wall-clock seconds and delayed calls."""

    def seconds(self) -> float: ...

    def callLater(self, delay: float, callable: Callable[..., object], *args: object) -> Timer: ...
