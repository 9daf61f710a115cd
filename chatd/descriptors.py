"""Open-file limits: make room for ``--max-clients`` connections before the first one arrives.

Each connection is a file descriptor, and many systems start processes with a soft limit of 1024.
chatd raises the soft limit as far as the hard limit allows.  If that is still too low it serves
fewer clients and says so, so that the connection one over the limit is told the server is full
instead of hitting EMFILE (which Twisted survives, but by closing the socket without a word).
"""

from __future__ import annotations

import resource
from collections.abc import Callable

from twisted.logger import Logger

from chatd.limits import RESERVED_DESCRIPTORS

log = Logger()

_Limits = tuple[int, int]


def fit_open_files(
    max_clients: int,
    *,
    getrlimit: Callable[[int], _Limits] = resource.getrlimit,
    setrlimit: Callable[[int, _Limits], None] = resource.setrlimit,
) -> int:
    """Raise the open-file soft limit toward ``max_clients`` plus a reserve; return the clients
    that fit under the limit in force afterwards (``max_clients`` itself when all do)."""
    wanted = max_clients + RESERVED_DESCRIPTORS
    soft, hard = getrlimit(resource.RLIMIT_NOFILE)
    if _fits(soft, wanted):
        return max_clients
    raised = wanted if _fits(hard, wanted) else hard
    if raised != soft:  # at the hard limit already, there is nothing to raise
        try:
            setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
        except (OSError, ValueError) as error:
            log.warn(
                "could not raise the open-file limit from {soft}: {error}", soft=soft, error=error
            )
        else:
            log.info("raised the open-file limit from {soft} to {raised}", soft=soft, raised=raised)
            soft = raised
    if _fits(soft, wanted):
        return max_clients
    fit = max(1, soft - RESERVED_DESCRIPTORS)
    log.warn(
        "the open-file limit ({soft}) cannot fit --max-clients {wanted}: serving at most {fit} "
        "connections; raise the hard limit (ulimit -Hn, or LimitNOFILE= under systemd)",
        soft=soft,
        wanted=max_clients,
        fit=fit,
    )
    return fit


def _fits(limit: int, wanted: int) -> bool:
    return limit == resource.RLIM_INFINITY or limit >= wanted
