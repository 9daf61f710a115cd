"""Who may come in: the server-wide and per-address connection limits, each address's budget of
arrivals, and address bans, with every refusal counted by the limit that made it.

The hub asks :meth:`Admission.admit` before it takes a connection and tells it when one goes; a
rename spends from the same arrival budget (:meth:`Admission.spend_rename`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from chatd.core.clock import Clock
from chatd.core.errors import ArrivingTooFast, Banned, ChatError, ServerFull, TooManyFromAddress
from chatd.core.policy import PerKey
from chatd.core.store import Ban
from chatd.limits import Limits


class Admission:
    """Counts connections per address, keeps arrival budgets, and refuses what must be."""

    def __init__(
        self, clock: Clock, limits: Limits, banned: Callable[[str | None], Ban | None]
    ) -> None:
        self._clock = clock
        self._limits = limits
        self._banned = banned
        self._per_origin: Counter[str] = Counter()
        #: Each address's budget of arrivals (connections and renames), or None: no limit.
        self._arrivals = self._budget(limits)
        #: What was refused because of a limit, by reason (see
        #: :data:`chatd.metrics.REFUSAL_REASONS`): plain counts, for the metrics.
        self.refusals: Counter[str] = Counter()
        #: Whether the server is stopping: it then takes nobody.
        self.closing = False

    def admit(self, origin: str | None, address: str | None, open_count: int) -> None:
        """Count a connection from ``origin`` (peer ``address``), or raise (and count) the
        refusal: :class:`ServerFull`, :class:`Banned`, :class:`TooManyFromAddress` or
        :class:`ArrivingTooFast`."""
        try:
            self._check(origin, address, open_count)
        except ChatError as refusal:
            self.refusals[self._reason(refusal)] += 1
            raise
        if origin is not None:
            self._per_origin[origin] += 1

    def departed(self, origin: str | None) -> None:
        """A connection from ``origin`` that :meth:`admit` counted is gone."""
        if origin is not None:
            self._per_origin[origin] -= 1
            if not self._per_origin[origin]:
                del self._per_origin[origin]

    def spend_rename(self, origin: str | None) -> None:
        """Spend an arrival of ``origin`` on a rename, or raise :class:`ArrivingTooFast`."""
        if (
            self._arrivals is not None
            and origin is not None
            and not self._arrivals.try_spend(origin, self._clock.seconds())
        ):
            self.refusals["name_change_rate"] += 1
            raise ArrivingTooFast("name changes")

    def reconfigure(self, limits: Limits) -> None:
        """Take new limits; changed arrival budgets start full, as if new."""
        old, self._limits = self._limits, limits
        if (limits.arrival_rate, limits.arrival_burst) != (old.arrival_rate, old.arrival_burst):
            self._arrivals = self._budget(limits)

    @staticmethod
    def _budget(limits: Limits) -> PerKey | None:
        return PerKey(limits.arrival_rate, limits.arrival_burst) if limits.arrival_rate else None

    def _check(self, origin: str | None, address: str | None, open_count: int) -> None:
        if self.closing or open_count >= self._limits.max_clients:
            raise ServerFull()
        ban = self._banned(address if address is not None else origin)
        if ban is not None:
            raise Banned(
                "you are banned from this server" + (f" ({ban.reason})" if ban.reason else "")
            )
        if origin is None:
            return
        per_address = self._limits.max_per_address
        if per_address and self._per_origin[origin] >= per_address:
            raise TooManyFromAddress(per_address)
        if self._arrivals is not None and not self._arrivals.try_spend(
            origin, self._clock.seconds()
        ):
            raise ArrivingTooFast()

    def _reason(self, refusal: ChatError) -> str:
        """The ``reason`` a refused connection is counted under: the limit that refused it."""
        if isinstance(refusal, ServerFull):
            return "shutting_down" if self.closing else "max_clients"
        if isinstance(refusal, TooManyFromAddress):
            return "max_per_ip"
        if isinstance(refusal, Banned):
            return "banned"
        return "arrival_rate"
