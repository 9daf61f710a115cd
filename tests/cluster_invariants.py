"""A watch on a cluster's names while a test breaks things: no name is ever held by two users.

:class:`NameWatch` samples Redis every 50 ms from a thread of its own, in one read-only Lua script
so that each sample is one instant of the data (see :data:`SNAPSHOT`), and records a violation
whenever, at that instant:

* two nodes whose leases are both running list users whose names look alike (the same look-alike
  key, as a claim compares them) in their sets of users (``chatd:node-users:NODE``): each of those
  nodes believes one of its people holds the name;
* one node lists two users whose names look alike;
* a user's record (``chatd:users``) names a node whose lease runs while the claim on the name
  (``chatd:names``) is another running node's;
* or, for more than :data:`GRACE` seconds, a user's record names a node whose lease runs while
  no one claims the name (a user leaving gives the name back a moment before their record goes).

A node whose lease has run out holds nothing: its names can be claimed, and the next renewal
buries it.  What people see is watched too: :meth:`NameWatch.welcomed` is told each time a test's
connection is welcomed under a name, and records a violation if another connection welcomed
under a look-alike of it is still open.

While Redis is down the samples fail and are counted; :meth:`NameWatch.assert_clean` fails the
test with the first violations, or if too few samples were taken to mean anything.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from typing import Any

from redis_server import Redis, RedisError

from chatd.core.lookalike import lookalike_key
from chatd.core.names import name_key

#: Everything the watch compares, read at one instant: Redis's time (ms), the leases, the names,
#: the users' records, then each leased node's name and its set of users.
SNAPSHOT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local leases = redis.call('ZRANGE', 'chatd:nodes', 0, -1, 'WITHSCORES')
local names, users = redis.call('HGETALL', 'chatd:names'), redis.call('HGETALL', 'chatd:users')
local out = {now, leases, names, users}
for i = 1, #leases, 2 do
  out[#out + 1] = leases[i]
  out[#out + 1] = redis.call('SMEMBERS', 'chatd:node-users:' .. leases[i])
end
return out
"""


#: Seconds an online user's name may go unclaimed: the moment between a leaving user's two steps.
GRACE = 1.0


def _pairs(flat: list[Any]) -> dict[bytes, bytes]:
    return dict(zip(flat[::2], flat[1::2], strict=True))


def violations_in(sample: list[Any]) -> tuple[list[str], set[str]]:
    """What is wrong at the instant ``sample`` (the reply of :data:`SNAPSHOT`) shows, and which
    users of running nodes are online with no claim on their name then."""
    now, leases, names, users = sample[0], _pairs(sample[1]), _pairs(sample[2]), sample[3]
    alive = {node.decode() for node, expiry in leases.items() if int(float(expiry)) > now}
    found = []
    holders: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for node, members in zip(sample[4::2], sample[5::2], strict=True):
        if node.decode() in alive:
            for key in members:
                holders[lookalike_key(key.decode())].add((node.decode(), key.decode()))
    for lookalike, held in holders.items():
        if len(held) > 1:
            found.append(f"{lookalike!r} held by {sorted(held)} at once")
    claims = {key.decode(): node.decode() for key, node in names.items()}
    unclaimed = set()
    for key, record in _pairs(users).items():
        node = _record_node(record)
        claimant = claims.get(lookalike_key(key.decode()))
        if node in alive and claimant in alive and claimant != node:
            found.append(f"{key.decode()!r} online on {node} but claimed by {claimant}")
        elif node in alive and claimant is None:
            unclaimed.add(f"{key.decode()!r} online on {node}")
    return found, unclaimed


def _record_node(record: bytes) -> str:
    return str(json.loads(record)["node"])


class NameWatch:
    """Samples the cluster at ``redis`` every ``every`` seconds until stopped; use it as a
    context manager, then call :meth:`assert_clean`."""

    def __init__(self, redis: Redis, every: float = 0.05) -> None:
        self.redis = redis
        self.every = every
        self.samples = self.failed_samples = 0
        self.violations: list[str] = []
        self._welcomed: dict[str, list[tuple[str, Any]]] = defaultdict(list)
        #: Since when (seconds into the watch) each online user has had no claim on their name.
        self._unclaimed: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="name-watch")

    def __enter__(self) -> NameWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        started = time.monotonic()
        while not self._stop.is_set():
            self.sample(time.monotonic() - started)
            self._stop.wait(self.every)

    def sample(self, at: float = 0.0) -> None:
        """Read one instant of the cluster and record what is wrong in it."""
        try:
            (reply,) = self.redis.query(("EVAL", SNAPSHOT, "0"), timeout=1)
        except OSError:
            self.failed_samples += 1  # Redis is down or restarting: nothing to see
            return
        if isinstance(reply, RedisError):
            self.failed_samples += 1  # loading its append-only file, say
            return
        self.samples += 1
        found, unclaimed = violations_in(reply)
        self.violations.extend(f"{at:.2f} s: {each}" for each in found)
        self._unclaimed = {user: self._unclaimed.get(user, at) for user in unclaimed}
        for user, since in self._unclaimed.items():
            if at - since > GRACE:
                self.violations.append(
                    f"{at:.2f} s: {user} with no claim on the name since {since:.2f} s"
                )

    def welcomed(self, name: str, peer: Any) -> None:
        """``peer`` was just welcomed as ``name``: no other open connection may hold a name that
        looks like it."""
        lookalike = lookalike_key(name_key(name))
        for earlier_name, earlier in self._welcomed[lookalike]:
            if earlier is peer or earlier.closed:
                continue
            try:
                # Notices a connection closed meanwhile; its lines stay for the test to read.
                lines = earlier.ready_lines()
            except OSError:
                continue
            earlier.buffer = b"".join(line.encode() + b"\r\n" for line in lines) + earlier.buffer
            if not earlier.closed:
                self.violations.append(
                    f"{name} welcomed while a connection welcomed as {earlier_name} is open"
                )
        self._welcomed[lookalike].append((name, peer))

    def assert_clean(self, least_samples: int = 20) -> None:
        """Fail with the first violations seen, or if the watch hardly looked."""
        assert not self.violations, (
            f"{len(self.violations)} violations of one name, one holder; the first: "
            f"{self.violations[:5]}"
        )
        assert self.samples >= least_samples, (
            f"only {self.samples} samples ({self.failed_samples} failed)"
        )
