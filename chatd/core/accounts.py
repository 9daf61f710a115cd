"""Registered names: the book of accounts, the login throttle, and logging in and out of them.

A name that is registered can be used only with its password.  Checking a password (and hashing
a new one) is slow on purpose, so the hub hands it to :class:`Passwords`, which answers through a
callback; the real one (:mod:`chatd.portal`) goes through ``twisted.cred`` and a thread, a test's
may answer before the call returns.  Meanwhile the session holds the lines that arrive, and acts
on them, in order, once the answer is in (see :meth:`chatd.core.session.Session.hold`).

The hub's side of logging in, for a door: :meth:`chatd.core.hub.Hub.join` with a registered name
delivers :class:`~chatd.core.events.AskPassword` (or checks the password passed along), and
:meth:`chatd.core.hub.Hub.give_password` takes the password.  A wrong one is answered
``wrong password for NAME``, and at the username prompt :class:`~chatd.core.events.AskName`
follows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Literal, Protocol

from twisted.logger import Logger

from chatd.core import events
from chatd.core.directory import Directory
from chatd.core.errors import AccountRefused, ChatError
from chatd.core.store import Account, Store
from chatd.core.text import clean

if TYPE_CHECKING:
    from chatd.core.hub import Hub
    from chatd.core.session import Session

MIN_PASSWORD_LENGTH = 8
#: Failed logins one address, or one account, may have within :data:`FAILURE_WINDOW` seconds;
#: the next one locks it for :data:`LOCKOUT` seconds.
FAILURES_ALLOWED = 5
FAILURE_WINDOW = 60.0
LOCKOUT = 60.0

#: What a password is asked for: to choose a name at the prompt, or to change to it (``/nick``).
Purpose = Literal["join", "rename"]


class Passwords(Protocol):
    """Checks and hashes passwords, answering through a callback on the reactor thread, once."""

    def check(self, key: str, password: str, done: Callable[[bool], None]) -> None:
        """Call ``done(True)`` if ``password`` is that of the account ``key``, else
        ``done(False)``."""

    def hash(self, password: str, done: Callable[[str | None], None]) -> None:
        """Call ``done`` with the hash to keep for ``password`` (None: hashing failed)."""


class AccountBook:
    """Every registered account, found by name key (look-alikes too), kept through the store."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._accounts: Directory[Account] = Directory()
        for account in store.load_accounts():
            self._accounts.add(account.key, account.name, account)

    def __len__(self) -> int:
        return len(self._accounts)

    def find(self, key: str) -> Account | None:
        """The account of the name with key ``key``, or of a name that looks like it."""
        return self._accounts.get(key)

    def exact(self, key: str) -> Account | None:
        """The account whose key is exactly ``key`` (what a password checker looks up)."""
        account = self._accounts.get(key)
        return account if account is not None and account.key == key else None

    def add(self, account: Account) -> None:
        self._accounts.add(account.key, account.name, account)
        self._store.put_account(account)

    def replace(self, account: Account) -> None:
        self._accounts.remove(account.key)
        self.add(account)

    def remove(self, key: str) -> None:
        self._accounts.remove(key)
        self._store.delete_account(key)

    # Changes another node made (already kept, so not written again)

    def learned(self, account: Account) -> None:
        """``account`` was registered, or its password changed, on another node."""
        if self._accounts.get(account.key) is not None:
            self._accounts.remove(account.key)
        self._accounts.add(account.key, account.name, account)

    def forgot(self, key: str) -> None:
        """The account ``key`` was deleted on another node."""
        if self.exact(key) is not None:
            self._accounts.remove(key)

    def keys(self) -> list[str]:
        """The key of every account."""
        return [account.key for account in self._accounts.entries()]


class LoginThrottle:
    """Counts failed logins per key (an address, an account) and locks a key that fails too often.

    Entries are forgotten once their window and lock are over, so the table stays as small as the
    set of keys that failed recently.
    """

    SWEEP_AT = 256

    def __init__(
        self,
        failures: int = FAILURES_ALLOWED,
        window: float = FAILURE_WINDOW,
        lockout: float = LOCKOUT,
    ) -> None:
        self.failures = failures
        self.window = window
        self.lockout = lockout
        #: key -> [failures in the window, when the window began, locked until]
        self._entries: dict[str, list[float]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def locked(self, keys: Iterable[str], now: float) -> bool:
        """Whether any of ``keys`` is locked now."""
        return any((entry := self._entries.get(key)) is not None and entry[2] > now for key in keys)

    def failed(self, keys: Iterable[str], now: float) -> None:
        """Count a failed login against each of ``keys``."""
        if len(self._entries) >= self.SWEEP_AT:
            self._sweep(now)
        for key in keys:
            entry = self._entries.get(key)
            if entry is None or now - entry[1] >= self.window:
                entry = self._entries[key] = [0, now, 0.0]
            entry[0] += 1
            if entry[0] >= self.failures:
                entry[:] = [0, now, now + self.lockout]

    def _sweep(self, now: float) -> None:
        stale = [
            key
            for key, (_, began, until) in self._entries.items()
            if until <= now and now - began >= self.window
        ]
        for key in stale:
            del self._entries[key]


def check_password(password: str) -> None:
    """Raise :class:`AccountRefused` unless ``password`` may be a password."""
    if " " in password:
        raise AccountRefused("a password cannot contain spaces", "password_invalid")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountRefused(
            f"a password must be at least {MIN_PASSWORD_LENGTH} characters", "password_too_short"
        )


class Accounts:
    """The hub's accounts: registering, logging in, changing and deleting them."""

    log = Logger()

    def __init__(self, hub: Hub, book: AccountBook, passwords: Passwords | None) -> None:
        self.hub = hub
        self.book = book
        self._passwords = passwords
        self.throttle = LoginThrottle()
        #: Keys being registered (their hashes are being made), so no two register one name.
        self._registering: set[str] = set()

    # Logging in

    def ask(
        self, session: Session, account: Account, purpose: Purpose, password: str | None
    ) -> None:
        """``session`` chose ``account``'s name: check ``password``, or ask for one."""
        self._gate()
        if password is None:
            session.awaiting = (account.key, purpose)
            session.tell(events.AskPassword(account.name))
        else:
            self._log_in(session, account, purpose, password)

    def give_password(self, session: Session, password: str) -> None:
        """The password ``session`` was asked for."""
        pending = session.awaiting
        if pending is None:
            raise AccountRefused("no password was asked for", "no_password_asked")
        session.awaiting = None
        key, purpose = pending
        account = self.book.exact(key)
        if account is None:  # deleted meanwhile: whatever was typed is not its password
            self._wrong(session, key, key, purpose)
            return
        self._log_in(session, account, purpose, password)

    def _log_in(self, session: Session, account: Account, purpose: Purpose, password: str) -> None:
        def checked() -> None:
            try:
                if purpose == "join":
                    self.hub.enter(session, account.name, account.key)
                else:
                    self.hub.rename_to(session, account.name, account.key)
            except ChatError as refusal:
                self._refuse(session, refusal, purpose)

        def wrong() -> None:
            self._wrong(session, account.key, account.name, purpose)

        try:
            self._verify(session, account, password, checked, wrong)
        except ChatError as refusal:
            self._refuse(session, refusal, purpose)

    def _wrong(self, session: Session, key: str, name: str, purpose: Purpose) -> None:
        self.throttle.failed(self._throttled(session, key), self.hub.clock.seconds())
        self.log.warn("failed login to {name} from {peer}", name=name, peer=session.client.peer)
        self._refuse(
            session, AccountRefused(f"wrong password for {name}", "wrong_password"), purpose
        )

    def _refuse(self, session: Session, refusal: ChatError, purpose: Purpose) -> None:
        session.refuse_for(refusal)
        if purpose == "join" and not session.ended:
            session.tell(events.AskName())

    # Commands

    def register(self, session: Session, password: str) -> None:
        """``/register``: make the name ``session`` uses an account with ``password``."""
        name = self.hub.user(session)
        key = session.key
        assert key is not None  # set with the name
        passwords = self._gate()
        password = clean(password).strip()
        check_password(password)
        if self.book.find(key) is not None or key in self._registering:
            raise AccountRefused(f"{name} is already registered", "already_registered")
        self._registering.add(key)
        session.hold()

        def hashed(password_hash: str | None) -> None:
            self._registering.discard(key)
            if session.ended:
                return
            try:
                if password_hash is None:
                    raise AccountRefused("cannot register now, try again later", "unavailable")
                if self.book.find(key) is not None:
                    raise AccountRefused(f"{name} is already registered", "already_registered")
                self.book.add(Account(key, name, password_hash, self.hub.clock.seconds()))
                self.log.info("{name} registered from {peer}", name=name, peer=session.client.peer)
                if session.key == key:
                    session.account = key
                session.tell(events.Registered(name))
            except ChatError as refusal:
                session.refuse_for(refusal)
            session.release()

        passwords.hash(password, hashed)

    def change_password(self, session: Session, old: str, new: str) -> None:
        """``/password OLD NEW``."""
        account = self._own(session)
        passwords = self._gate()
        new = clean(new).strip()
        check_password(new)

        def hashed(password_hash: str | None) -> None:
            if session.ended:
                pass
            elif password_hash is None:
                session.refuse("cannot change the password now, try again later", "unavailable")
            elif (current := self.book.exact(account.key)) is not None:
                self.book.replace(
                    Account(current.key, current.name, password_hash, current.created_at)
                )
                self.log.info("password of {name} changed", name=account.name)
                session.tell(events.PasswordChanged(account.name))
            session.release()

        def right() -> None:
            session.hold()
            passwords.hash(new, hashed)

        def wrong() -> None:  # "rename": a refusal that no username prompt follows
            self._wrong(session, account.key, account.name, "rename")

        self._verify(session, account, old, right, wrong)

    def unregister(self, session: Session, password: str) -> None:
        """``/unregister PASSWORD``: delete the account of the name ``session`` uses."""
        account = self._own(session)

        def right() -> None:
            if self.book.exact(account.key) is not None:
                self.book.remove(account.key)
            if session.account == account.key:
                session.account = None
            self.log.info("{name} is no longer registered", name=account.name)
            session.tell(events.Unregistered(account.name))

        def wrong() -> None:  # "rename": a refusal that no username prompt follows
            self._wrong(session, account.key, account.name, "rename")

        self._verify(session, account, password, right, wrong)

    # Internals

    def _own(self, session: Session) -> Account:
        name = self.hub.user(session)
        account = self.book.exact(session.account) if session.account is not None else None
        if account is None:
            raise AccountRefused(f"{name} is not registered", "not_registered")
        return account

    def _gate(self) -> Passwords:
        if self._passwords is None:
            raise AccountRefused("this server has no accounts", "accounts_unavailable")
        return self._passwords

    def _throttled(self, session: Session, key: str) -> tuple[str, ...]:
        """The throttle's keys for a login to account ``key`` from ``session``."""
        if session.origin is None:
            return (f"account {key}",)
        return (f"account {key}", f"address {session.origin}")

    def _verify(
        self,
        session: Session,
        account: Account,
        password: str,
        right: Callable[[], None],
        wrong: Callable[[], None],
    ) -> None:
        """Check ``password`` for ``account`` unless the throttle forbids; then ``right()`` or
        ``wrong()``, holding ``session``'s lines meanwhile."""
        passwords = self._gate()
        if self.throttle.locked(self._throttled(session, account.key), self.hub.clock.seconds()):
            self.log.warn(
                "login to {name} from {peer} refused: too many failed logins",
                name=account.name,
                peer=session.client.peer,
            )
            raise AccountRefused(
                "too many failed logins, try again later", "too_many_failed_logins"
            )
        session.hold()

        def done(ok: bool) -> None:
            if not session.ended:
                (right if ok else wrong)()
            session.release()

        passwords.check(account.key, clean(password).strip(), done)
