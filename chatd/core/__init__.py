"""The chat domain: users, names, history and commands, with no sockets and no reactor.

Doors talk to it through :class:`~chatd.core.hub.Hub` and the :class:`~chatd.core.session.Session`
it hands out, and hear back through :mod:`chatd.core.events`.
"""

from chatd.core.errors import ServerFull
from chatd.core.hub import Hub
from chatd.core.session import Client, Session

__all__ = ["Client", "Hub", "ServerFull", "Session"]
