"""The hub: who is connected, what they are called, and who hears what.

The hub is synchronous and knows no sockets.  Each connection appears to it as a
:class:`~chatd.core.session.Client` (``deliver(event)``, ``close()``, ``peer``), wrapped in the
:class:`~chatd.core.session.Session` that :meth:`Hub.connect` returns.  Doors call the public
methods below; refusals come back as :class:`~chatd.core.errors.ChatError` exceptions.
Registered names and logging in live in ``hub.accounts`` (:mod:`chatd.core.accounts`), bans,
mutes and the operators' commands in ``hub.moderation`` (:mod:`chatd.core.moderation`), and the
connection limits in :mod:`chatd.core.admission`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from twisted.logger import Logger

from chatd.core import events
from chatd.core.accounts import AccountBook, Accounts, Passwords
from chatd.core.admission import Admission
from chatd.core.audience import Audience, Audiences, DirectAudience
from chatd.core.clock import Clock
from chatd.core.deadlines import Deadlines
from chatd.core.directory import Directory
from chatd.core.errors import (
    Banned,
    ChatError,
    NameRefused,
    NoSuchUser,
    RecipientBusy,
)
from chatd.core.logquota import LogQuota
from chatd.core.moderation import Moderation
from chatd.core.names import check_name, name_key
from chatd.core.peers import Arrived, Peers, is_remote
from chatd.core.policy import TokenBucket
from chatd.core.remote import Remote
from chatd.core.rooms import Room, Rooms
from chatd.core.session import Client, Session
from chatd.core.store import MemoryStore, Store, StoredLine
from chatd.limits import Limits


class Hub:
    """One chat: a set of connections, some of which have become named users."""

    log = Logger()

    def __init__(
        self,
        *,
        clock: Clock,
        limits: Limits = Limits(),
        history_size: int = 20,
        motd: Iterable[str] = (),
        log_messages: bool = False,
        store: Store | None = None,
        accounts: AccountBook | None = None,
        passwords: Passwords | None = None,
        operators: Iterable[str] = (),
        peers: Peers | None = None,
    ) -> None:
        #: Wall-clock time for timestamps and delayed calls for timeouts (the reactor, usually).
        self.clock = clock
        self.limits = limits
        if history_size < 0:
            raise ValueError("history size cannot be negative")
        store = store if store is not None else MemoryStore()
        #: The audiences of the users online, through which every broadcast goes.
        self._audiences = Audiences()
        #: Registered names, and logging into them (``passwords`` None: no accounts here).
        self.accounts = Accounts(
            self, accounts if accounts is not None else AccountBook(store), passwords
        )
        #: The keys of the accounts whose users are operators while logged in.
        self.operators = frozenset(name_key(name) for name in operators)
        #: Bans, mutes and the operators' other commands.
        self.moderation = Moderation(self, store)
        #: Every room, its members, topic and newest ``history_size`` lines.
        self.rooms = Rooms(
            store,
            tail_size=history_size,
            max_rooms=limits.max_rooms,
            max_rooms_per_user=limits.max_rooms_per_user,
            broadcast=self._audiences.broadcast,
            before_change=self._catch_up,
            is_today=self._is_today,
            peers=peers,
        )

        self._motd = tuple(events.Motd(line) for line in motd)
        self._log_messages = log_messages
        self._sessions: set[Session] = set()
        self._admission = Admission(clock, limits, self.moderation.address_ban)
        self._refusals_logged = LogQuota(clock, "refused connections")
        self._users: Directory[Session] = Directory()
        #: The other nodes of a cluster, and what they tell (see :mod:`chatd.core.remote`); it
        #: files their users in the same directory.
        self.remote = Remote(self, peers, self._users)
        self._direct = DirectAudience()
        self._handshakes: Deadlines[Session] = Deadlines(
            clock, limits.handshake_timeout, self._handshake_expired
        )
        self._silences: Deadlines[Session] = Deadlines(
            clock, limits.idle_timeout, self._idle_expired
        )
        self._closing = False
        #: What the hub refused because of a limit, by reason (see :data:`REFUSAL_REASONS`), and
        #: how many connections chose no username in time: plain counts, for the metrics.
        self.refusals = self._admission.refusals
        self.handshake_timeouts = 0

    # Connections

    def connect(
        self,
        client: Client,
        origin: str | None = None,
        audience: Audience | None = None,
        *,
        address: str | None = None,
        door: str = "unknown",
    ) -> Session:
        """Admit a new connection from address ``origin`` and ask it for a username.

        ``address`` is the peer's own address, if ``origin`` is not (an IPv6 peer counts by its
        /64); ``door`` says how it came (``nc``, ``TLS``, ``web``; see :class:`Session`).

        Once named, the user hears broadcasts through ``audience``, which a door may share among
        its connections to deliver in bulk; by default each broadcast is delivered at once.

        Raise :class:`ServerFull` if ``max_clients`` connections are already open or the hub is
        shutting down, :class:`TooManyFromAddress` if ``origin`` holds ``max_per_address``, and
        :class:`ArrivingTooFast` if ``origin`` has spent its budget of arrivals, and
        :class:`Banned` if the address is banned.  Refusals are
        logged, at most one per address per :data:`~chatd.core.logquota.WINDOW_SECONDS`.
        """
        try:
            self._admission.admit(origin, address, len(self._sessions))
        except ChatError as refusal:
            if self._refusals_logged.allow(origin):
                self.log.warn("refused {peer}: {why}", peer=client.peer, why=str(refusal))
            raise
        self.log.info("connection from {peer}", peer=client.peer)
        session = Session(self, client, origin, audience or self._direct, address, door)
        self._sessions.add(session)
        self._handshakes.start(session)
        for line in self._motd:
            client.deliver(line)
        client.deliver(events.AskName())
        return session

    def disconnect(self, session: Session) -> None:
        """Forget a connection that is gone; others hear that its user left.  Idempotent."""
        if session in self._sessions:
            self._sessions.remove(session)
            self._admission.departed(session.origin)
        self._handshakes.stop(session)
        self._silences.stop(session)
        self._leave(session, None, how="connection lost")

    @property
    def connection_count(self) -> int:
        return len(self._sessions)

    # Users

    def join(self, session: Session, name: str, password: str | None = None) -> None:
        """Make ``session`` a user called ``name``, or raise :class:`NameRefused`.

        A registered name needs its password: ``password`` if given, otherwise the session is
        sent :class:`~chatd.core.events.AskPassword` and :meth:`give_password` takes it.
        """
        if session.name is not None:
            raise NameRefused(f"you are already {session.name}", "already_named")
        key = self._check_free(name, session)
        account = self.accounts.book.find(key)
        if account is not None:
            self.accounts.ask(session, account, "join", password)
        else:
            self.enter(session, name, key, checked=True)

    def give_password(self, session: Session, password: str) -> None:
        """The password of the registered name ``session`` chose (at the prompt or with
        :meth:`rename`), after :class:`~chatd.core.events.AskPassword`."""
        self.accounts.give_password(session, password)

    def enter(self, session: Session, name: str, key: str, checked: bool = False) -> None:
        """Make ``session`` the user ``name`` (key ``key``), its account's if registered: once
        its password is right (which :class:`~chatd.core.accounts.Accounts` knows)."""
        if not checked:
            key = self._check_free(name, session)
        self.remote.claim(session, name, key, lambda: self._enter(session, name, key))

    def _enter(self, session: Session, name: str, key: str) -> None:
        if self.accounts.book.find(key) is not None:
            session.account = key
        session.name, session.key = name, key
        self._users.add(key, name, session)
        client = session.client
        self.rooms.enter_lobby(session)
        self._audiences.add(session)
        self._handshakes.stop(session)
        self._silences.start(session)
        self.log.info("{name} joined from {peer}", name=name, peer=client.peer)
        if self.remote.peers is not None:
            self.remote.peers.tell(Arrived(self.remote.peers.node, key, name))
        client.deliver(events.Welcome(name))
        client.deliver(events.Online(self.online()))
        for line in self.rooms.replay(self.rooms.lobby):
            client.deliver(line)
        self.broadcast(events.Joined(name), session, self.rooms.lobby)

    def say(self, session: Session, text: str, room: str | None = None) -> None:
        """Relay a chat line from ``session`` to the others in ``room`` (None: its current)."""
        self._speak(session, text, room, action=False)

    def act(self, session: Session, text: str, room: str | None = None) -> None:
        """Relay an action (``/me``) from ``session`` to the others in its current room."""
        self._speak(session, text, room, action=True)

    def set_receipts(self, session: Session, on: bool) -> None:
        """Whether each line ``session`` says is confirmed once it is stored."""
        self.user(session)
        session.receipts = on
        session.client.deliver(events.ReceiptsSet(on))

    def rename(self, session: Session, new_name: str, password: str | None = None) -> None:
        """Give ``session`` a new name, or raise :class:`NameRefused`; a registered name needs
        its password, as for :meth:`join`."""
        old_name = self.user(session)
        if new_name == old_name:
            raise NameRefused(f"you are already {old_name}", "name_unchanged")
        key = self._check_free(new_name, session)
        account = self.accounts.book.find(key)
        if account is not None and session.account != account.key:
            self.accounts.ask(session, account, "rename", password)
        else:
            self.rename_to(session, new_name, key, checked=True)

    def rename_to(self, session: Session, new_name: str, key: str, checked: bool = False) -> None:
        """Rename ``session`` to ``new_name`` (key ``key``), its password known to be right."""
        self.user(session)
        if not checked:
            key = self._check_free(new_name, session)
        self._admission.spend_rename(session.origin)
        self.remote.claim(session, new_name, key, lambda: self._rename_to(session, new_name, key))

    def _rename_to(self, session: Session, new_name: str, key: str) -> None:
        old_name = self.user(session)
        old_key = session.key
        assert old_key is not None  # set with the name that user() found
        self._users.remove(old_key)
        session.name, session.key = new_name, key
        session.account = key if self.accounts.book.find(key) is not None else None
        self._users.add(key, new_name, session)
        self.log.info("{old} is now {new}", old=old_name, new=new_name)
        self.remote.renamed_here(old_key, key, new_name)
        session.client.deliver(events.NameChanged(new_name))
        self.broadcast(events.Renamed(old_name, new_name), session, frozenset(session.rooms))

    def whisper(self, session: Session, recipient_name: str, text: str) -> None:
        """Send a private message, or raise :class:`NoSuchUser`."""
        sender = self.user(session)
        self.moderation.check_speech(session)
        recipient = self._users.get(name_key(recipient_name))
        if recipient is None:
            raise NoSuchUser(recipient_name)
        if self.limits.private_rate and recipient is not session:
            now = self.clock.seconds()
            if recipient.inbox is None:
                recipient.inbox = TokenBucket(
                    self.limits.private_rate, self.limits.private_burst, now
                )
            if not recipient.inbox.try_spend(now):
                self.refusals["private_rate"] += 1
                raise RecipientBusy(recipient.username())
        if self._log_messages:
            self.log.info(
                "{sender} -> {recipient}: {text}",
                sender=sender,
                recipient=recipient.username(),
                text=text,
            )
        if is_remote(recipient):
            self.remote.whisper(session, recipient, text)
            return
        recipient.client.deliver(events.Whispered(sender, text))
        session.client.deliver(events.WhisperSent(recipient.username(), text))

    def quit(self, session: Session, reason: str | None = None) -> None:
        """Say goodbye to ``session``, tell the others it left, and ask its door to close it."""
        self._leave(session, reason, how="quit")
        self._finish(session, events.Goodbye(session.name))

    def heard_from(self, session: Session) -> None:
        """``session``'s user typed a line: their idle wait starts again."""
        session.last_heard = self.clock.seconds()
        self._silences.start(session)

    def find_user(self, key: str) -> Session | None:
        """The user online whose name has key ``key`` (or looks like it), if any."""
        return self._users.get(key)

    def connections(self) -> list[Session]:
        """Every open connection, named or not."""
        return list(self._sessions)

    def announce(self, session: Session, text: str) -> None:
        """An operator's announcement, to every user."""
        self.log.info("{op} announced: {text}", op=self.user(session), text=text)
        self.broadcast(events.Announcement(text), None, frozenset(self.rooms.occupied()))

    def remove(
        self,
        session: Session,
        last: events.Event,
        *,
        how: str,
        notice: events.Event | None = None,
        reason: str | None = None,
    ) -> None:
        """Disconnect ``session`` with ``last`` as its last event (an operator's doing); those who
        share a room with it hear ``notice``, or that it left (for ``reason``)."""
        if is_remote(session):
            raise ChatError(f"{session.username()} is connected to another node", "remote_user")
        self._leave(session, reason, how, notice)
        self._finish(session, last)

    def online(self) -> tuple[str, ...]:
        """The names of everyone online, sorted without regard to case."""
        return self._users.names()

    # Lifecycle

    def shutdown(self) -> None:
        """Tell every connection the server is stopping and ask its door to close it."""
        self._closing = self._admission.closing = True
        self._refusals_logged.stop()
        self.log.info("shutting down, closing {count} connections", count=len(self._sessions))
        notice = events.ShuttingDown()
        for session in list(self._sessions):
            self._leave(session, None, how="server shutting down")
            self._finish(session, notice)

    def reconfigure(self, limits: Limits, motd: Iterable[str], log_messages: bool) -> None:
        """Take new limits, a new message of the day and a new choice about logging messages,
        as a reload asks, keeping every connection.

        Admission limits apply to the next arrival and timeouts to the waits under way (each
        counted from when it began).  Changed budgets start full, as if new: the arrivals of
        each address if ``arrival_*`` changed, every user's private inbox if ``private_*`` did.
        The byte limits are the doors': each connection reads them when it is made.
        """
        old, self.limits = self.limits, limits
        self.rooms.set_limits(limits.max_rooms, limits.max_rooms_per_user)
        self._motd = tuple(events.Motd(line) for line in motd)
        self._log_messages = log_messages
        self._admission.reconfigure(limits)
        if (limits.private_rate, limits.private_burst) != (old.private_rate, old.private_burst):
            for session in self._sessions:
                session.inbox = None
        unnamed: list[Session] = []
        online: list[Session] = []  # not those who have left but are still closing
        for session in self._sessions:
            if session.key is None:
                unnamed.append(session)
            elif self._users.get(session.key) is session:
                online.append(session)
        self._handshakes.change(limits.handshake_timeout, unnamed)
        self._silences.change(limits.idle_timeout, online)

    def set_operators(self, names: Iterable[str]) -> None:
        """Make the accounts ``names`` the operators (a reload asks); a user logged into one is
        an operator at once, and one no longer listed is not."""
        self.operators = frozenset(name_key(name) for name in names)

    # Internals

    def _finish(self, session: Session, last: events.Event) -> None:
        """Stop waiting on ``session`` and have it deliver ``last`` and close."""
        self._handshakes.stop(session)
        self._silences.stop(session)
        session.finish(last)

    def _handshake_expired(self, session: Session) -> None:
        self.handshake_timeouts += 1
        self.log.info("{peer} chose no username in time", peer=session.client.peer)
        self._finish(session, events.Refused("timed out waiting for a username", "name_timeout"))

    def _idle_expired(self, session: Session) -> None:
        idle = f"idle for {self.limits.idle_timeout:g} seconds"
        self._leave(session, "idle", how=idle)
        self._finish(session, events.Refused(f"disconnected: {idle}", "idle"))

    def user(self, session: Session) -> str:
        """``session``'s username; :class:`NameRefused` if it has none yet."""
        if session.name is None:
            raise NameRefused("choose a username first", "name_required")
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
            raise NameRefused(f"the username {name} is taken, please choose another", "name_taken")
        if self.moderation.name_ban(key) is not None:
            self.log.info("refused name from {peer}: banned", peer=session.client.peer)
            raise Banned(f"{name} is banned")
        return key

    def _leave(
        self, session: Session, reason: str | None, how: str, notice: events.Event | None = None
    ) -> None:
        """Take ``session``'s user off the list, once, and tell the others (``notice``, or that
        it left) unless stopping."""
        name, key = session.name, session.key
        if name is None or key is None or self._users.get(key) is not session:
            return
        self._users.remove(key)
        self.remote.left(key, reason, notice)
        self._audiences.remove(session)
        rooms = self.rooms.leave_all(session)
        self.log.info("{name} left ({how})", name=name, how=how)
        if not self._closing:
            self.broadcast(notice or events.Left(name, reason), session, rooms)

    def _speak(self, session: Session, text: str, room: str | None, action: bool) -> None:
        name = self.user(session)
        self.moderation.check_speech(session)
        if self._log_messages:
            self.log.info("{name}: {text}", name=name, text=text)
        durable = self._receipt_to(session) if session.receipts else _nothing
        self.rooms.say(session, room, text, action, self.clock.seconds(), durable)

    def _receipt_to(self, session: Session) -> Callable[[StoredLine], None]:
        """What tells ``session``, if still here, that one of its lines is stored."""
        name_of = self.rooms.name_of

        def stored(line: StoredLine) -> None:
            if session.rooms:
                session.client.deliver(events.Receipt(name_of(line.room), line.seq, line.at))

        return stored

    def _catch_up(self, session: Session) -> None:
        if session.rooms:
            session.audience.catch_up(session)

    def _is_today(self, at: float) -> bool:
        return time.localtime(at)[:3] == time.localtime(self.clock.seconds())[:3]

    def broadcast(
        self, event: events.Event, exclude: Session | None, scope: Room | frozenset[Room]
    ) -> None:
        """Deliver ``event`` to everyone online who hears ``scope``, but ``exclude``."""
        self._audiences.broadcast(event, exclude, scope)


def _nothing(line: StoredLine) -> None:
    """What is done when a line without a receipt is stored: nothing."""
