"""The recent chat and action lines a newcomer is shown on joining."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from chatd.core.events import Spoken


class History:
    """A bounded record of the last ``size`` spoken lines; a size of 0 keeps nothing."""

    def __init__(self, size: int) -> None:
        if size < 0:
            raise ValueError("history size cannot be negative")
        self._lines: deque[Spoken] = deque(maxlen=size)

    def record(self, line: Spoken) -> None:
        if self._lines.maxlen:
            self._lines.append(line)

    def __iter__(self) -> Iterator[Spoken]:
        return iter(tuple(self._lines))

    def __len__(self) -> int:
        return len(self._lines)
