"""A node's lease in the cluster: renewed every few seconds, and what a node without one does.

Each node renews a lease in Redis (a sorted set scored by expiry: ``chatd:nodes``); the script
that renews it also buries the nodes whose lease ran out, announcing their users' departure and
freeing their names (:data:`~chatd.cluster.scripts.RENEW`).  So a node that cannot renew for as
long as the lease runs may lose its users' names to others at any moment after.  Rather than risk
two owners for a name, it lets its users go a renewal before that (:class:`Lease` calls
``expiring``); an outage shorter than that keeps every connection.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twisted.logger import Logger

from chatd.cluster import scripts
from chatd.cluster.link import Link

#: Seconds a node's lease runs, and between renewals.
LEASE, RENEW_EVERY = 10.0, 2.0

#: What a node's users are told when it lets them go.
LEASE_LOST = "the chat lost its connection to the other nodes for too long, please reconnect"

#: The keys of the renewal script: the leases, the users' records, the facts channel.
RENEW_KEYS = (scripts.NODES, scripts.USERS, scripts.FACTS)


class Lease:
    """The lease of node ``node``, renewed over ``link`` every ``renew_every`` seconds.

    ``lapsed()`` is called when a renewal finds the lease had run out (the node was buried, and
    must announce its users again); ``expiring(seconds)`` when it has not been renewed for
    ``seconds``, nearly as long as it runs.
    """

    log = Logger()

    def __init__(
        self,
        clock: Any,
        link: Link,
        node: str,
        *,
        seconds: float = LEASE,
        renew_every: float = RENEW_EVERY,
        lapsed: Callable[[], None],
        expiring: Callable[[float], None],
    ) -> None:
        self.seconds = seconds
        self._clock = clock
        self._link = link
        self._node = node
        self._renew_every = renew_every
        self._lapsed, self._expiring = lapsed, expiring
        self._renewal: Any = None
        #: When the lease was last renewed (or the node started).
        self._renewed_at: float = clock.seconds()

    @property
    def args(self) -> tuple[str, int, str]:
        """The arguments of the renewal script for this node."""
        return (self._node, int(self.seconds * 1000), scripts.PREFIX)

    def start(self) -> None:
        self._renew()

    def stop(self) -> None:
        if self._renewal is not None and self._renewal.active():
            self._renewal.cancel()

    def _renew(self) -> None:
        self._renewal = self._clock.callLater(self._renew_every, self._renew)
        now = self._clock.seconds()
        if now - self._renewed_at > self.seconds - self._renew_every:
            self._expiring(now - self._renewed_at)
        if not self._link.up:
            return

        def renewed(alive: Any) -> None:
            self._renewed_at = now
            if not int(alive):
                self._lapsed()

        def failed(failure: Any) -> None:
            self.log.warn(
                "node {node}: cannot {what}: {why}",
                node=self._node,
                what="renew",
                why=failure.getErrorMessage(),
            )

        self._link.run(scripts.RENEW, RENEW_KEYS, self.args).addCallbacks(renewed, failed)
