"""The thin adapter over txredisapi: one connection to Redis, kept up, and what it can do.

txredisapi (the native Twisted client Synapse uses) connects, reconnects with backoff and speaks
RESP.  What it leaves to us, and this module does: knowing whether the link is up now (a command
on a link that is down fails at once instead of waiting for a reconnect), being told each time it
comes up (subscriptions are not restored after a reconnect, so the caller subscribes again then),
running Lua scripts by SHA1, and noticing a dead connection by pinging.  The rest of
:mod:`chatd.cluster` sees only :class:`Link`, so a unit test can hand it a fake
(``tests/cluster/fake_redis.py``).

Replies are bytes (``charset=None``) and numbers stay as Redis sent them (``convertNumbers``
off): a name such as ``007`` must not become the integer 7.

Replies are parsed by hiredis, which txredisapi uses whenever it can import it.  Its own parser
takes a reactor turn per bulk string (it pauses the transport and feeds itself the rest with
``callLater(0)``), so a pub/sub message cost three turns, and a node receiving 1,000 lines a
second fell seconds behind: in ``bench/cluster`` the cross-node p99 went from 1.1 to 2.7 s to
tens of milliseconds with hiredis.  The protocols below are built on it by name, so a missing
hiredis fails at import rather than quietly making the cluster slow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import hiredis  # noqa: F401  # what txredisapi parses replies with: see above
import txredisapi  # type: ignore[import-untyped]  # no stubs, no py.typed
from twisted.internet import defer
from twisted.internet.interfaces import IStreamClientEndpoint
from twisted.logger import Logger

from chatd.cluster.scripts import ALL, Script

#: Seconds a command may take before the connection is thought dead.
REPLY_TIMEOUT = 5.0
#: Seconds between reconnection attempts, at most.
MAX_RETRY_DELAY = 2.0

log = Logger()


class Link(Protocol):
    """A connection to Redis as the cluster code uses it."""

    @property
    def up(self) -> bool:
        """Whether commands can be sent now."""
        ...

    def call(self, *args: Any) -> defer.Deferred[Any]:
        """Run one command; fails at once (:class:`LinkDown`) if the link is down."""

    def run(self, script: Script, keys: Sequence[str], args: Sequence[Any]) -> defer.Deferred[Any]:
        """Run ``script``."""

    def subscribe(self, channels: Sequence[str]) -> defer.Deferred[Any]:
        """Listen to ``channels`` (a subscriber link)."""


class LinkDown(Exception):
    """The link to Redis is down: nothing was sent."""


class _Commands(txredisapi.HiredisProtocol):
    pass


class _Subscriber(txredisapi.SubscriberProtocol, txredisapi.HiredisProtocol):
    def messageReceived(self, pattern: object, channel: bytes, message: bytes) -> None:
        self.factory.link.heard(channel, message)


class _Factory(txredisapi.RedisFactory):
    maxDelay = MAX_RETRY_DELAY
    initialDelay = 0.2

    def __init__(self, link: RedisLink, subscriber: bool, password: str | None) -> None:
        super().__init__(
            None,
            None,
            1,
            isLazy=True,
            charset=None,
            password=password,
            replyTimeout=REPLY_TIMEOUT,
            convertNumbers=False,
        )
        self.protocol = _Subscriber if subscriber else _Commands
        self.link = link

    def addConnection(self, conn: Any) -> None:
        super().addConnection(conn)
        if conn.connected and conn in self.pool:
            self.link.connected(conn)

    def delConnection(self, conn: Any) -> None:
        super().delConnection(conn)
        self.link.disconnected(conn)


class RedisLink:
    """One connection to Redis, reconnecting for ever, that says when it comes up and goes down.

    ``on_up`` is called each time it is (again) connected, ``on_down`` each time it is lost;
    a subscriber link calls ``on_message(channel, message)`` for each message.
    """

    def __init__(
        self,
        clock: Any,
        endpoint: IStreamClientEndpoint,
        *,
        name: str,
        password: str | None = None,
        on_up: Callable[[], None] = lambda: None,
        on_down: Callable[[], None] = lambda: None,
        on_message: Callable[[bytes, bytes], None] | None = None,
        ping_every: float = 2.0,
    ) -> None:
        self._clock = clock
        self._endpoint = endpoint
        self._name = name
        self._on_up, self._on_down, self._on_message = on_up, on_down, on_message
        self._factory = _Factory(self, on_message is not None, password)
        self._conn: Any = None
        self._ping_every = ping_every
        self._pinger: Any = None
        self._stopped = False

    @property
    def up(self) -> bool:
        return self._conn is not None and bool(self._conn.connected)

    def start(self) -> None:
        self._factory.startConnecting(self._endpoint)
        self._ping()

    def stop(self) -> defer.Deferred[Any]:
        self._stopped = True
        if self._pinger is not None and self._pinger.active():
            self._pinger.cancel()
        return self._factory.disconnect()

    def call(self, *args: Any) -> defer.Deferred[Any]:
        if not self.up:
            return defer.fail(LinkDown(f"redis ({self._name}) is not connected"))
        return self._conn.execute_command(*args)

    def run(self, script: Script, keys: Sequence[str], args: Sequence[Any]) -> defer.Deferred[Any]:
        def unknown(failure: Any) -> Any:
            if "NOSCRIPT" in str(failure.value):
                return self.call("EVAL", script.source, len(keys), *keys, *args)
            return failure

        return self.call("EVALSHA", script.sha, len(keys), *keys, *args).addErrback(unknown)

    def subscribe(self, channels: Sequence[str]) -> defer.Deferred[Any]:
        if not self.up:
            return defer.fail(LinkDown(f"redis ({self._name}) is not connected"))
        return self._conn.subscribe(list(channels))

    # What the factory tells

    def connected(self, conn: Any) -> None:
        self._conn = conn
        set_no_delay = getattr(conn.transport, "setTcpNoDelay", None)
        if set_no_delay is not None:  # TCP (not a Unix socket): small commands go out at once
            set_no_delay(True)
        if self._on_message is None:
            # Load the scripts first, on this connection, so that every EVALSHA after finds them.
            # Relying on the NOSCRIPT fallback alone would reorder lines: the EVALSHAs sent
            # before the first EVAL reached Redis fail and go again after later ones succeeded.
            for script in ALL:
                conn.execute_command("SCRIPT", "LOAD", script.source).addErrback(
                    lambda failure: log.warn(
                        "cannot load a script into redis: {why}", why=failure.getErrorMessage()
                    )
                )
        log.info("redis ({name}) connected", name=self._name)
        self._on_up()

    def disconnected(self, conn: Any) -> None:
        if conn is self._conn:
            self._conn = None
            if not self._stopped:
                log.warn("redis ({name}) connection lost", name=self._name)
            self._on_down()

    def heard(self, channel: bytes, message: bytes) -> None:
        if self._on_message is not None:
            self._on_message(channel, message)

    def _ping(self) -> None:
        """Ping now and then: a connection whose other end vanished is noticed by the timeout."""
        if self._stopped:
            return
        if self.up and self._on_message is None:  # a subscribed connection answers no PING
            conn = self._conn
            conn.ping().addErrback(lambda failure: _drop(conn, failure))
        self._pinger = self._clock.callLater(self._ping_every, self._ping)


def _drop(conn: Any, failure: Any) -> None:
    """A ping failed: close the connection, so that it is made again."""
    log.warn("redis ping failed: {why}", why=failure.getErrorMessage())
    if conn.transport is not None:
        conn.transport.abortConnection()
