"""Who is online, found by name key and listed in order, both cheaply.

Every newcomer is shown the sorted list of everyone online, so with thousands of users online
that list is asked for as often as people arrive.  Sorting the names on each request made it the
largest cost of a join; the directory keeps them sorted as they come and go instead (a binary
search and a list insertion, which moves pointers in C), so the list is a copy of a list.

Names that look alike must not be online together, so the directory also files each entry under
its key's look-alike key, and :meth:`Directory.get` falls back to it: a name that looks like one
online finds that user, as a name that differs only in case does.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Generic, TypeVar

from chatd.core.lookalike import lookalike_key

Entry = TypeVar("Entry")


class Directory(Generic[Entry]):
    """A mapping from name key to entry that also keeps the names sorted by key."""

    def __init__(self) -> None:
        self._entries: dict[str, Entry] = {}
        #: The keys in order, and each one's name at the same index.
        self._keys: list[str] = []
        self._names: list[str] = []
        #: The same entries by look-alike key.
        self._lookalikes: dict[str, Entry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> Entry | None:
        """The entry filed under ``key``, or else under a key that looks like it."""
        entry = self._entries.get(key)
        if entry is None:
            entry = self._lookalikes.get(lookalike_key(key))
        return entry

    def add(self, key: str, name: str, entry: Entry) -> None:
        """File ``entry`` as ``name`` under ``key``, which must not be taken."""
        lookalike = lookalike_key(key)
        if key in self._entries or lookalike in self._lookalikes:
            raise KeyError(f"{key!r} is taken")
        self._entries[key] = entry
        self._lookalikes[lookalike] = entry
        at = bisect_left(self._keys, key)
        self._keys.insert(at, key)
        self._names.insert(at, name)

    def remove(self, key: str) -> None:
        del self._entries[key]
        del self._lookalikes[lookalike_key(key)]
        at = bisect_left(self._keys, key)
        del self._keys[at]
        del self._names[at]

    def entries(self) -> list[Entry]:
        """Every entry, in no particular order."""
        return list(self._entries.values())

    def names(self) -> tuple[str, ...]:
        """Every name, in the order of the keys."""
        return tuple(self._names)
