"""Logging in through ``twisted.cred``: a portal, and a checker over the store's accounts.

The hub is synchronous and takes callbacks (:class:`chatd.core.accounts.Passwords`); cred
answers with Deferreds.  :class:`CredPasswords` stands between them: each login is
``portal.login(UsernamePassword(key, password), None, IChatAccount)``, and the checker
(:class:`AccountChecker`) finds the account's hash in the :class:`~chatd.core.accounts.AccountBook`
the store filled, and has :func:`chatd.passwords.verify_password` compare it on a thread of its
own: scrypt takes a third of a second of one core and 32 MiB on purpose, which the reactor thread
must not wait for.  One thread, so that a burst of logins costs at most one hash's memory at a
time and queues behind it; the login throttle keeps any one address or account from filling
that queue.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from twisted.cred.checkers import ICredentialsChecker
from twisted.cred.credentials import IUsernamePassword, UsernamePassword
from twisted.cred.error import UnauthorizedLogin
from twisted.cred.portal import IRealm, Portal
from twisted.internet import defer
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import Interface, implementer

from chatd.core.accounts import AccountBook
from chatd.passwords import DEFAULT, Scrypt, hash_password, verify_password
from chatd.store.runner import Runner


class IChatAccount(Interface):
    """The avatar of a login: the key of the account logged into (chatd keeps no more)."""


@implementer(ICredentialsChecker)
class AccountChecker:
    """Checks a name key and password against the account book, on ``runner``'s thread."""

    credentialInterfaces = (IUsernamePassword,)

    def __init__(self, book: AccountBook, runner: Runner) -> None:
        self._book = book
        self._runner = runner

    # Avatar ids are account keys: str, where cred's stubs say bytes.
    def requestAvatarId(self, credentials: Any) -> defer.Deferred[str]:  # type: ignore[override]
        key = credentials.username
        account = self._book.exact(key)
        if account is None:
            return defer.fail(UnauthorizedLogin(f"no account {key}"))

        def decided(right: bool) -> str:
            if not right:
                raise UnauthorizedLogin(f"wrong password for {key}")
            return key

        verify = partial(verify_password, credentials.password, account.password_hash)
        return self._runner.run(verify).addCallback(decided)


@implementer(IRealm)
class AccountRealm:
    """Hands out the account key itself: the hub holds everything else about a user."""

    def requestAvatar(
        self, avatarId: Any, mind: object, *interfaces: Any
    ) -> tuple[Any, str, Callable[[], None]]:
        if IChatAccount not in interfaces:
            raise NotImplementedError("chatd's realm only knows IChatAccount")
        return IChatAccount, avatarId, _nothing


class CredPasswords:
    """The hub's :class:`~chatd.core.accounts.Passwords`, through a cred portal and a thread."""

    log = Logger()

    def __init__(self, book: AccountBook, runner: Runner, cost: Scrypt = DEFAULT) -> None:
        self.portal = Portal(AccountRealm(), [AccountChecker(book, runner)])
        self._runner = runner
        self._cost = cost

    def check(self, key: str, password: str, done: Callable[[bool], None]) -> None:
        def logged_in(result: object) -> None:
            done(True)

        def refused(failure: Failure) -> None:
            if not failure.check(UnauthorizedLogin):
                # Never the password: the failure's message is the hashing library's.
                self.log.error(
                    "cannot check a password for {key}: {error}",
                    key=key,
                    error=failure.getErrorMessage(),
                )
            done(False)

        credentials = UsernamePassword(key, password)  # type: ignore[arg-type]  # str, not bytes
        self.portal.login(credentials, None, IChatAccount).addCallbacks(logged_in, refused)

    def hash(self, password: str, done: Callable[[str | None], None]) -> None:
        def failed(failure: Failure) -> None:
            self.log.error("cannot hash a password: {error}", error=failure.getErrorMessage())
            done(None)

        self._runner.run(hash_password, password, self._cost).addCallbacks(done, failed)


def _nothing() -> None:
    """What logging out of an account does: nothing (the hub forgets the session itself)."""
