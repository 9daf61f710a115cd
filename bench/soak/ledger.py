"""The soak's accounting: who sent which message, and whether each reader got it exactly once.

Stable senders (chatters and flooders) number their messages 0, 1, 2, ...; every other stable
client joined before the first of them and stays to the end, so it must read each one exactly
once and in the sender's order.  Memory stays flat however long the run: for each (reader,
sender) pair the ledger keeps only the next number it expects and the numbers it skipped (an
empty set while all is well), never every number seen.  Latencies go into log-scale histograms.

The ledger is plain synchronous code with no sockets, so its rules can be unit-tested.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from bench.soak import protocol

#: How many offending lines the report quotes, as evidence.
EXAMPLES = 10


class Histogram:
    """Latencies in buckets 5% wide: percentiles good to 5%, in constant memory."""

    _STEP = math.log(1.05)
    _FLOOR = 1e-4  # 0.1 ms; anything faster lands in the first bucket

    def __init__(self) -> None:
        self._buckets: Counter[int] = Counter()
        self.count = 0
        self.max = 0.0

    def add(self, seconds: float) -> None:
        self.count += 1
        self.max = max(self.max, seconds)
        self._buckets[math.floor(math.log(max(seconds, self._FLOOR)) / self._STEP)] += 1

    def percentile(self, fraction: float) -> float:
        """The upper edge of the bucket holding the ``fraction`` quantile (0 when empty)."""
        if not self.count:
            return 0.0
        rank = fraction * self.count
        seen = 0
        for bucket in sorted(self._buckets):
            seen += self._buckets[bucket]
            if seen >= rank:
                return min(self.max, math.exp((bucket + 1) * self._STEP))
        return self.max

    def summary(self) -> dict[str, float]:
        return {
            "count": self.count,
            "p50_s": round(self.percentile(0.50), 4),
            "p99_s": round(self.percentile(0.99), 4),
            "max_s": round(self.max, 4),
        }


class _Track:
    """What one reader has had from one sender."""

    __slots__ = ("missing", "next")

    def __init__(self) -> None:
        self.next = 0  # one past the highest number read
        self.missing: set[int] = set()  # numbers below ``next`` not read (yet)


@dataclass
class Tally:
    """The figures of a run, as the report shows them."""

    sent: dict[str, int]
    expected: int
    received: int
    lost: int
    duplicated: int
    out_of_order: int
    malformed: int
    malformed_examples: list[str]
    errors_to_stable: int
    error_examples: list[str]
    lines_by_kind: dict[str, int]
    bytes_per_reader: int  # what the server sent each stable client after its welcome, about
    latency: dict[str, dict[str, float]] = field(default_factory=dict)


class Ledger:
    """Counts sends and reads of the stable clients' numbered messages, and malformed lines."""

    def __init__(
        self,
        senders: Mapping[str, str],
        readers: Iterable[str],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``senders`` maps each stable sender's name to its group (``chatter``, ``flooder``)."""
        self._clock = clock
        self._group = dict(senders)
        self._sent = dict.fromkeys(self._group, 0)
        self._tracks = {
            reader: {sender: _Track() for sender in self._group if sender != reader}
            for reader in readers
        }
        # How many readers each message is owed to: all of them but its sender.
        self._fanout = {
            sender: len(self._tracks) - (sender in self._tracks) for sender in self._group
        }
        self._latency = {group: Histogram() for group in sorted(set(self._group.values()))}
        self.received = 0
        self._chars_read = 0
        self.duplicated = 0
        self.out_of_order = 0
        self.malformed = 0
        self._malformed_examples: list[str] = []
        self.errors_to_stable = 0
        self._error_examples: list[str] = []
        self._kinds: Counter[str] = Counter()

    # Sending

    def stamp(self, sender: str) -> tuple[int, float]:
        """Record that ``sender`` is about to write its next message; its number and time."""
        seq = self._sent[sender]
        self._sent[sender] = seq + 1
        return seq, self._clock()

    # Reading

    def read(self, reader: str, line: str) -> None:
        """Account for one line a stable client read."""
        self._chars_read += len(line) + 2
        chat = protocol.split_chat(line)
        if chat is None or chat[0] not in self._sent:
            self._read_other(reader, line)
            return
        name, text = chat
        message = protocol.parse_message(text)
        if message is None or message.sender != name:
            self.note_malformed(reader, "garbled soak message", line)
        elif name == reader:
            self.note_malformed(reader, "own message echoed", line)
        elif message.seq >= self._sent[name]:
            self.note_malformed(reader, "message never sent", line)
        else:
            self._count(self._tracks[reader][name], message.seq)
            self._latency[self._group[name]].add(self._clock() - message.sent_at)

    def check(self, who: str, line: str) -> None:
        """Check a line read by a client that is not accounted for (churner, staller)."""
        found = protocol.kind(line)
        if found is None:
            self.note_malformed(who, "not a protocol v1 line", line)
        else:
            self._kinds[f"{found} (others)"] += 1

    def telnet(self, who: str, commands: list[bytes]) -> None:
        """Check telnet commands sent to a client that sent some: chatd only ever refuses."""
        for command in commands:
            if command[:2] in protocol.TELNET_REFUSALS:
                self._kinds["telnet refusals (others)"] += 1
            else:
                self.note_malformed(who, "telnet command other than a refusal", repr(command))

    def note_malformed(self, who: str, why: str, line: str) -> None:
        self.malformed += 1
        if len(self._malformed_examples) < EXAMPLES:
            self._malformed_examples.append(f"{who}: {why}: {line[:200]!r}")

    def _read_other(self, reader: str, line: str) -> None:
        found = protocol.kind(line)
        if found is None:
            self.note_malformed(reader, "not a protocol v1 line", line)
            return
        self._kinds[found] += 1
        if found == protocol.ERROR:
            self.errors_to_stable += 1
            if len(self._error_examples) < EXAMPLES:
                self._error_examples.append(f"{reader}: {line[:200]!r}")

    def _count(self, track: _Track, seq: int) -> None:
        if seq == track.next:
            track.next += 1
        elif seq > track.next:  # skipped some: they are missing until they turn up
            track.missing.update(range(track.next, seq))
            track.next = seq + 1
        elif seq in track.missing:  # turned up after a later one
            track.missing.discard(seq)
            self.out_of_order += 1
        else:
            self.duplicated += 1
            return
        self.received += 1
        self._kinds["chat (soak messages)"] += 1

    # Results

    def expected(self) -> int:
        """Deliveries owed so far: each message sent, to every stable reader but its sender."""
        return sum(count * self._fanout[sender] for sender, count in self._sent.items())

    def lost(self) -> int:
        """Deliveries owed but not made: never read, or skipped and never turned up."""
        return sum(
            self._sent[sender] - track.next + len(track.missing)
            for tracks in self._tracks.values()
            for sender, track in tracks.items()
        )

    def complete(self) -> bool:
        """True once every stable reader has read every message sent so far."""
        return self.received >= self.expected()

    def tally(self) -> Tally:
        sent: Counter[str] = Counter()
        for sender, count in self._sent.items():
            sent[self._group[sender]] += count
        return Tally(
            sent=dict(sorted(sent.items())),
            expected=self.expected(),
            received=self.received,
            lost=self.lost(),
            duplicated=self.duplicated,
            out_of_order=self.out_of_order,
            malformed=self.malformed,
            malformed_examples=list(self._malformed_examples),
            errors_to_stable=self.errors_to_stable,
            error_examples=list(self._error_examples),
            lines_by_kind=dict(sorted(self._kinds.items())),
            bytes_per_reader=self._chars_read // max(1, len(self._tracks)),
            latency={group: hist.summary() for group, hist in self._latency.items()},
        )
