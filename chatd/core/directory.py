"""Who is online, found by name key and listed in order, both cheaply.

Every newcomer is shown the sorted list of everyone online, so with thousands of users online
that list is asked for as often as people arrive.  Sorting the names on each request made it the
largest cost of a join; the directory keeps them sorted as they come and go instead (a binary
search and a list insertion, which moves pointers in C), so the list is a copy of a list.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Generic, TypeVar

Entry = TypeVar("Entry")


class Directory(Generic[Entry]):
    """A mapping from name key to entry that also keeps the names sorted by key."""

    def __init__(self) -> None:
        self._entries: dict[str, Entry] = {}
        #: The keys in order, and each one's name at the same index.
        self._keys: list[str] = []
        self._names: list[str] = []

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> Entry | None:
        return self._entries.get(key)

    def add(self, key: str, name: str, entry: Entry) -> None:
        """File ``entry`` as ``name`` under ``key``, which must not be taken."""
        if key in self._entries:
            raise KeyError(f"{key!r} is taken")
        self._entries[key] = entry
        at = bisect_left(self._keys, key)
        self._keys.insert(at, key)
        self._names.insert(at, name)

    def remove(self, key: str) -> None:
        del self._entries[key]
        at = bisect_left(self._keys, key)
        del self._keys[at]
        del self._names[at]

    def names(self) -> tuple[str, ...]:
        """Every name, in the order of the keys."""
        return tuple(self._names)
