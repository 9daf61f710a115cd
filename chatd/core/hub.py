"""The hub: who is connected, what they are called, and who hears what.

The hub is synchronous and knows no sockets.  Each connection appears to it as a
:class:`~chatd.core.session.Client` (``deliver(event)``, ``close()``, ``peer``), wrapped in the
:class:`~chatd.core.session.Session` that :meth:`Hub.connect` returns.  Doors call the public
methods below; refusals come back as :class:`~chatd.core.errors.ChatError` exceptions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from twisted.logger import Logger

from chatd.core import events
from chatd.core.errors import NameRefused, NoSuchUser, ServerFull
from chatd.core.history import History
from chatd.core.names import check_name, name_key
from chatd.core.session import Client, Session


class Hub:
    """One chat: a set of connections, some of which have become named users."""

    log = Logger()

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        history_size: int = 20,
        max_clients: int = 10000,
        motd: Iterable[str] = (),
        log_messages: bool = False,
    ) -> None:
        self._clock = clock
        self._history = History(history_size)
        self._max_clients = max_clients
        self._motd = tuple(events.Motd(line) for line in motd)
        self._log_messages = log_messages
        self._sessions: set[Session] = set()
        self._users: dict[str, Session] = {}
        self._closing = False

    # Connections

    def connect(self, client: Client) -> Session:
        """Admit a new connection and ask it for a username.

        Raise :class:`ServerFull` if ``max_clients`` connections are already open, or if the hub
        is shutting down.
        """
        if self._closing or len(self._sessions) >= self._max_clients:
            self.log.warn("refused {peer}: server is full", peer=client.peer)
            raise ServerFull()
        session = Session(self, client)
        self._sessions.add(session)
        for line in self._motd:
            client.deliver(line)
        client.deliver(events.AskName())
        return session

    def disconnect(self, session: Session) -> None:
        """Forget a connection that is gone; others hear that its user left.  Idempotent."""
        self._sessions.discard(session)
        self._leave(session, None, how="connection lost")

    @property
    def connection_count(self) -> int:
        return len(self._sessions)

    # Users

    def join(self, session: Session, name: str) -> None:
        """Make ``session`` a user called ``name``, or raise :class:`NameRefused`."""
        if session.name is not None:
            raise NameRefused(f"you are already {session.name}")
        key = self._check_free(name, session)
        session.name, session.key = name, key
        self._users[key] = session
        self.log.info("{name} joined from {peer}", name=name, peer=session.client.peer)
        session.client.deliver(events.Welcome(name))
        session.client.deliver(events.Online(self.online()))
        for line in self._history:
            session.client.deliver(events.Replayed(line))
        self._broadcast(events.Joined(name), exclude=session)

    def say(self, session: Session, text: str) -> None:
        """Relay a chat line from ``session`` to every other user."""
        self._speak(session, events.Said(self._user(session), text, self._clock()))

    def act(self, session: Session, text: str) -> None:
        """Relay an action (``/me``) from ``session`` to every other user."""
        self._speak(session, events.Acted(self._user(session), text, self._clock()))

    def rename(self, session: Session, new_name: str) -> None:
        """Give ``session`` a new name, or raise :class:`NameRefused`."""
        old_name = self._user(session)
        if new_name == old_name:
            raise NameRefused(f"you are already {old_name}")
        key = self._check_free(new_name, session)
        del self._users[session.key]
        session.name, session.key = new_name, key
        self._users[key] = session
        self.log.info("{old} is now {new}", old=old_name, new=new_name)
        session.client.deliver(events.NameChanged(new_name))
        self._broadcast(events.Renamed(old_name, new_name), exclude=session)

    def whisper(self, session: Session, recipient_name: str, text: str) -> None:
        """Send a private message, or raise :class:`NoSuchUser`."""
        sender = self._user(session)
        recipient = self._users.get(name_key(recipient_name))
        if recipient is None:
            raise NoSuchUser(recipient_name)
        if self._log_messages:
            self.log.info(
                "{sender} -> {recipient}: {text}",
                sender=sender,
                recipient=recipient.name,
                text=text,
            )
        recipient.client.deliver(events.Whispered(sender, text))
        session.client.deliver(events.WhisperSent(recipient.name, text))

    def quit(self, session: Session, reason: str | None = None) -> None:
        """Say goodbye to ``session``, tell the others it left, and ask its door to close it."""
        self._leave(session, reason, how="quit")
        session.finish(events.Goodbye(session.name))

    def online(self) -> tuple[str, ...]:
        """The names of everyone online, sorted without regard to case."""
        return tuple(self._users[key].name for key in sorted(self._users))

    # Lifecycle

    def shutdown(self) -> None:
        """Tell every connection the server is stopping and ask its door to close it."""
        self._closing = True
        self.log.info("shutting down, closing {count} connections", count=len(self._sessions))
        notice = events.ShuttingDown()
        for session in list(self._sessions):
            session.finish(notice)

    # Internals

    def _user(self, session: Session) -> str:
        if session.name is None:
            raise NameRefused("choose a username first")
        return session.name

    def _check_free(self, name: str, session: Session) -> str:
        try:
            key = check_name(name)
        except NameRefused as refusal:
            self.log.info(
                "refused name from {peer}: {why}", peer=session.client.peer, why=str(refusal)
            )
            raise
        holder = self._users.get(key)
        if holder is not None and holder is not session:
            self.log.info("refused name from {peer}: taken", peer=session.client.peer)
            raise NameRefused(f"the username {name} is taken, please choose another")
        return key

    def _leave(self, session: Session, reason: str | None, how: str) -> None:
        """Take ``session``'s user off the list, once, and tell the others unless stopping."""
        if session.name is None or self._users.get(session.key) is not session:
            return
        del self._users[session.key]
        self.log.info("{name} left ({how})", name=session.name, how=how)
        if not self._closing:
            self._broadcast(events.Left(session.name, reason), exclude=session)

    def _speak(self, session: Session, line: events.Spoken) -> None:
        if self._log_messages:
            self.log.info("{name}: {text}", name=line.name, text=line.text)
        self._history.record(line)
        self._broadcast(line, exclude=session)

    def _broadcast(self, event: events.Event, exclude: Session) -> None:
        for session in self._users.values():
            if session is not exclude:
                session.client.deliver(event)
