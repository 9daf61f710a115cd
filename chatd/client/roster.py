"""Who is online, as the server's notices tell it: the GUI's user list, the terminal's completion.

Pure Python, no Tk: the window only draws :meth:`Roster.names`.  The server sends the whole list
(``* Online (K): ...``) after our welcome and for every ``/who``; in between, join, leave and
rename notices keep it current.  Somebody whose words arrive is online whatever the list said,
which repairs the one thing notices cannot tell apart: a ``/me has left the chat`` reads like a
real leave (see :mod:`chatd.client.lines`).
"""

from __future__ import annotations

from chatd.client.lines import LineKind, PresenceKind, ServerLine, name_key

__all__ = ["Roster"]


class Roster:
    """The users online, each shown as the server spells it, sorted ignoring case."""

    def __init__(self) -> None:
        #: Our own name once welcomed (and after each /nick); None before and after.
        self.me: str | None = None
        self._names: dict[str, str] = {}

    def names(self) -> list[str]:
        """Everyone online, ourselves included, sorted as ``/who`` sorts them."""
        return sorted(self._names.values(), key=lambda name: (name_key(name), name))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name_key(name) in self._names

    def __len__(self) -> int:
        return len(self._names)

    def apply(self, line: ServerLine) -> bool:
        """Learn what ``line`` says about who is here; whether the list changed."""
        before = self.names()
        self._apply(line)
        return self.names() != before

    def clear(self) -> None:
        """Forget everyone: the connection is gone and nobody's presence is known any more."""
        self.me = None
        self._names.clear()

    def _apply(self, line: ServerLine) -> None:
        if line.kind is LineKind.WELCOME and line.name:
            self.me = line.name
            self._add(line.name)
        elif line.kind is LineKind.NEW_NAME and line.name:
            if self.me is not None:
                self._remove(self.me)
            self.me = line.name
            self._add(line.name)
        elif line.kind is LineKind.GOODBYE:
            self.clear()
        elif line.kind in (LineKind.CHAT, LineKind.PRIVATE) and line.name:
            if line.name not in self:
                self._add(line.name)
        elif line.presence is not None:
            kind, names = line.presence.kind, line.presence.names
            if kind is PresenceKind.JOINED:
                self._add(names[0])
            elif kind is PresenceKind.LEFT:
                self._remove(names[0])
            elif kind is PresenceKind.RENAMED:
                self._remove(names[0])
                self._add(names[1])
            elif kind is PresenceKind.ONLINE:
                self._names = {name_key(name): name for name in names}

    def _add(self, name: str) -> None:
        self._names[name_key(name)] = name

    def _remove(self, name: str) -> None:
        self._names.pop(name_key(name), None)
