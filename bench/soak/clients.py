"""The soak's client roles: what each kind of simulated person does to the server.

- :class:`StableClient` (chatters and flooders) joins before anyone speaks, stays to the end,
  sends numbered messages and hands every line it reads to the ledger.  A flooder also, now and
  then, writes a burst of lines far above any sane rate in one go.
- :class:`Staller` joins, then never reads again, so the server's output for it piles up.
- :class:`Churner` connects and disconnects over and over at awkward moments (before the prompt,
  mid-name, mid-line, with a reset) and sends hostile bytes; it checks what it reads but is not
  owed any message.

All of them run in one asyncio loop; nothing here prints.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bench.soak import connection, protocol
from bench.soak.connection import Closed, LineConnection
from bench.soak.ledger import EXAMPLES, Ledger

#: Staller receive buffer: small, so the kernel holds little and the server has to hold the rest.
STALLER_RECEIVE_BUFFER = 4096


@dataclass(frozen=True)
class Pace:
    """How hard the clients push."""

    chat_interval: float  # mean seconds between one stable client's paced messages
    chat_bytes: int  # size of a paced message
    flood_every: float  # mean seconds between one flooder's bursts
    flood_lines: int  # lines per burst
    flood_bytes: int  # size of a burst line
    reply_timeout: float  # how long a client waits for an answer the server owes it
    max_line_length: int  # the server's limit, so that long lines are sure to exceed it


async def sleep_until(moment: float) -> None:
    await asyncio.sleep(max(0.0, moment - time.monotonic()))


async def join(
    port: int,
    name: str,
    on_line: Callable[[str], None],
    timeout: float,
    receive_buffer: int = 0,
) -> LineConnection:
    """Connect and do the handshake as ``name``; return once welcomed."""
    conn = await connection.connect(port, on_line, timeout, receive_buffer)
    try:
        await conn.expect_line(protocol.PROMPT, timeout)
        conn.send(name)
        await conn.expect_line(protocol.welcome(name), timeout)
    except BaseException:
        conn.reset()
        raise
    return conn


class StableClient:
    """A chatter, or with ``floods`` a flooder: joined for the whole run and owed every message."""

    def __init__(
        self,
        name: str,
        port: int,
        ledger: Ledger,
        pace: Pace,
        rng: random.Random,
        floods: bool = False,
    ) -> None:
        self.name = name
        self.port = port
        self.ledger = ledger
        self.pace = pace
        self.rng = rng
        self.floods = floods
        self.bursts = 0
        self.conn: LineConnection | None = None
        self._welcomed = False
        self._quitting = False

    def _on_line(self, line: str) -> None:
        # The welcome line splits what is merely checked from what is accounted for.
        if self._welcomed:
            self.ledger.read(self.name, line)
        else:
            self.ledger.check(self.name, line)
            self._welcomed = line == protocol.welcome(self.name)

    async def join(self, timeout: float) -> None:
        self.conn = await join(self.port, self.name, self._on_line, timeout)
        self.conn.keep_lines = False  # the ledger sees every line; nobody needs them queued

    async def talk(self, until: float) -> None:
        """Send paced messages (and, for a flooder, bursts) until the monotonic time ``until``."""
        if self.floods:
            await asyncio.gather(self._chat(until), self._flood(until))
        else:
            await self._chat(until)

    async def _chat(self, until: float) -> None:
        moment = time.monotonic() + self.rng.uniform(0, self.pace.chat_interval)
        while moment < until:
            await sleep_until(moment)
            if self.conn.is_closed:
                return
            self._send_messages(1, self.pace.chat_bytes)
            moment += self.pace.chat_interval * self.rng.uniform(0.5, 1.5)

    async def _flood(self, until: float) -> None:
        # No burst in the last fifth of the run, so that a rate-limited backlog can drain.
        start = time.monotonic()
        last = start + 0.8 * (until - start)
        moment = start + self.rng.uniform(0, min(self.pace.flood_every, last - start))
        while moment <= last:
            await sleep_until(moment)
            if self.conn.is_closed:
                return
            self._send_messages(self.pace.flood_lines, self.pace.flood_bytes)
            self.bursts += 1
            moment += self.pace.flood_every * self.rng.uniform(0.8, 1.2)

    def _send_messages(self, count: int, size: int) -> None:
        lines = []
        for _ in range(count):
            seq, sent_at = self.ledger.stamp(self.name)
            lines.append(protocol.message_text(self.name, seq, sent_at, size))
        self.conn.send(*lines)  # one write: a burst reaches the server as fast as it can

    @property
    def dropped(self) -> bool:
        """True if the server closed this client before it said ``<quit>``."""
        return self.conn is not None and self.conn.is_closed and not self._quitting

    async def quit(self, timeout: float) -> bool:
        """Say ``<quit>``; True once the server said goodbye and closed the connection."""
        if self.conn is None or self.conn.is_closed:
            return False
        self._quitting = True
        self.conn.keep_lines = True
        self.conn.send("<quit>")
        try:
            async with asyncio.timeout(timeout):
                await self.conn.expect_line(protocol.goodbye(self.name), timeout)
                await self.conn.wait_closed(timeout)
        except (TimeoutError, Closed):
            return False
        return True

    def abort(self) -> None:
        if self.conn is not None:
            self.conn.reset()


class Staller:
    """Joins, then never reads again; the server should eventually give up on it."""

    def __init__(self, name: str, port: int, ledger: Ledger) -> None:
        self.name = name
        self.port = port
        self.ledger = ledger
        self.conn: LineConnection | None = None
        self.cut_at: float | None = None  # when the soak first saw it cut off
        self._finished = False

    async def join(self, timeout: float) -> None:
        self.conn = await join(
            self.port,
            self.name,
            lambda line: self.ledger.check(self.name, line),
            timeout,
            receive_buffer=STALLER_RECEIVE_BUFFER,
        )
        self.conn.keep_lines = False
        self.conn.stop_reading()

    def look(self, now: float) -> None:
        """Note ``now`` as :attr:`cut_at` if the server has just closed or reset its end.

        The socket's TCP state tells, without reading the megabytes that may be waiting.
        """
        if self.conn is None or self._finished or self.cut_at is not None:
            return
        if self.conn.is_closed or self.conn.tcp_state() != connection.TCP_ESTABLISHED:
            self.cut_at = now

    async def finish(self, now: float, timeout: float) -> None:
        """Take a last look; read what a cut-off staller still holds (it is checked), close."""
        self.look(now)
        self._finished = True
        if self.conn is None:
            return
        if self.cut_at is not None:
            self.conn.transport.resume_reading()
            with contextlib.suppress(TimeoutError):
                await self.conn.wait_closed(timeout)
        self.conn.reset()

    def abort(self) -> None:
        if self.conn is not None:
            self.conn.reset()


# What churners send.  Each bad name is refused with "! ..."; chat payloads are relayed cleaned
# (or ignored when nothing printable is left), never verbatim.
BAD_NAMES = (
    b"admin",
    b"two words",
    b"a:b",
    b"x" * 30,
    b"-dash",
    b"\xff\xfd\x06bad name",  # telnet IAC DO TIMING-MARK, then a space
    b"\xc3\x28oops",  # not UTF-8
    b"/nick sneaky",  # a command before choosing a name
)
HOSTILE_LINES = (
    b"\xff\xf4\xff\xfd\x06",  # telnet IAC IP, IAC DO TIMING-MARK
    b"\xff\xfb\x01\xff\xfb\x03 will echo, will suppress go-ahead",
    b"\xc3\x28\xa0\xa1 not utf-8 \xed\xa0\x80",
    b"\x1b[2J\x1b[H\x1b]0;pwned\x07clear?\x1b[0m",
    b"\xc2\x9b31m C1 CSI",
    b"nul\x00and\x07bell\x08",
    b"\ttabbed\t",
    b"   ",
    b"\r\r\r",
    b"//slash",
    b"/bogus",
    b"/me waves",
    b"/who",
    b"/help",
    b"/msg nobody123 are you there?",
)


@dataclass
class ChurnStats:
    """What the churners did, and what the server did not do in time."""

    connections: int = 0
    joined: int = 0
    actions: Counter[str] = field(default_factory=Counter)
    leaves: Counter[str] = field(default_factory=Counter)
    handshake_timeouts: int = 0
    anomalies: int = 0
    anomaly_examples: list[str] = field(default_factory=list)

    def anomaly(self, what: str) -> None:
        self.anomalies += 1
        if len(self.anomaly_examples) < EXAMPLES:
            self.anomaly_examples.append(what)


class Churner:
    """Comes and goes all run long, doing one short random thing per connection."""

    def __init__(
        self,
        index: int,
        port: int,
        ledger: Ledger,
        stable_names: list[str],
        pace: Pace,
        rng: random.Random,
        stats: ChurnStats,
    ) -> None:
        self.index = index
        self.port = port
        self.ledger = ledger
        self.stable_names = stable_names
        self.pace = pace
        self.rng = rng
        self.stats = stats
        self._visits = 0
        # Each action with its weight: how often it is picked, relative to the others.
        self._actions: dict[Callable[[LineConnection], Awaitable[None]], int] = {
            self._vanish: 10,
            self._half_name: 10,
            self._bad_names: 10,
            self._chat: 40,
            self._long_line: 10,
            self._visit: 15,
            self._silent: 5,
        }

    async def run(self, until: float) -> None:
        """One connection after another until ``until``; cancel it to stop sooner."""
        who = f"k{self.index}"
        while time.monotonic() < until:
            action = self.rng.choices(list(self._actions), list(self._actions.values()))[0]
            name = action.__name__.lstrip("_")
            self.stats.actions[name] += 1
            conn: LineConnection | None = None
            try:
                conn = await connection.connect(
                    self.port,
                    lambda line: self.ledger.check(who, line),
                    self.pace.reply_timeout,
                    on_telnet=lambda commands: self.ledger.telnet(who, commands),
                )
                self.stats.connections += 1
                await action(conn)
            except (TimeoutError, Closed, OSError) as error:
                last = conn.last_line if conn is not None else None
                self.stats.anomaly(f"{who} {name}: {error!r}, last line read {last!r}")
            finally:
                if conn is not None:
                    conn.reset()
            await asyncio.sleep(self.rng.uniform(0.2, 2.0))

    # Helpers

    def _new_name(self) -> str:
        self._visits += 1
        return f"k{self.index}n{self._visits}"

    async def _prompt(self, conn: LineConnection) -> None:
        await conn.expect_line(protocol.PROMPT, self.pace.reply_timeout)

    async def _join(self, conn: LineConnection) -> str:
        name = self._new_name()
        await self._prompt(conn)
        conn.send(name)
        await conn.expect_line(protocol.welcome(name), self.pace.reply_timeout)
        self.stats.joined += 1
        return name

    def _abrupt_end(self, conn: LineConnection) -> None:
        if self.rng.random() < 0.5:
            conn.close()
        else:
            conn.reset()

    async def _leave(self, conn: LineConnection, name: str) -> None:
        """Leave in one of the ways people do."""
        how = self.rng.choice(("quit", "slash quit", "close", "reset", "half line", "long half"))
        self.stats.leaves[how] += 1
        if how in ("quit", "slash quit"):
            conn.send("<quit>" if how == "quit" else "/quit gone fishing")
            await conn.expect_line(protocol.goodbye(name), self.pace.reply_timeout)
            await conn.wait_closed(self.pace.reply_timeout)
            return
        if how == "half line":
            conn.send_raw(b"this line never ends")
        elif how == "long half":
            conn.send_raw(b"y" * (self.pace.max_line_length + 10_000))
        self._abrupt_end(conn)

    # Actions: each gets a fresh connection and may leave it in any state.

    async def _vanish(self, conn: LineConnection) -> None:
        """Gone before the prompt, or just as it arrives."""
        if self.rng.random() < 0.5:
            await self._prompt(conn)
        self._abrupt_end(conn)

    async def _half_name(self, conn: LineConnection) -> None:
        """Types part of a name, then goes."""
        await self._prompt(conn)
        conn.send_raw(self._new_name()[:3].encode())
        await asyncio.sleep(self.rng.uniform(0, 0.5))
        self._abrupt_end(conn)

    async def _bad_names(self, conn: LineConnection) -> None:
        """Tries names the server must refuse, then leaves before ever joining."""
        await self._prompt(conn)
        taken = self.rng.choice(self.stable_names).upper().encode()
        for bad in self.rng.sample((*BAD_NAMES, taken), self.rng.randint(1, 4)):
            conn.send_raw(bad + b"\n")
            await conn.expect(lambda line: line.startswith("! "), self.pace.reply_timeout)
        conn.send("<quit>")
        await conn.expect_line("* Goodbye!", self.pace.reply_timeout)
        await conn.wait_closed(self.pace.reply_timeout)

    async def _chat(self, conn: LineConnection) -> None:
        """Joins, says a few things (some hostile, some commands), leaves."""
        name = await self._join(conn)
        for _ in range(self.rng.randint(1, 5)):
            pick = self.rng.random()
            if pick < 0.4:
                conn.send(f"hello from {name}")
            elif pick < 0.8:
                conn.send_raw(self.rng.choice(HOSTILE_LINES) + b"\n")
            elif pick < 0.9:
                conn.send(f"/msg {self.rng.choice(self.stable_names)} psst from {name}")
            else:
                new_name = f"{name}x"
                conn.send(f"/nick {new_name}")
                await conn.expect_line(
                    f"* You are now known as {new_name}", self.pace.reply_timeout
                )
                name = new_name
            await asyncio.sleep(self.rng.uniform(0, 0.5))
        await self._leave(conn, name)

    async def _long_line(self, conn: LineConnection) -> None:
        """Joins and sends a line over the length limit: refused, and the connection still works."""
        name = await self._join(conn)
        length = self.pace.max_line_length + self.rng.randint(1, 100_000)
        conn.send_raw(b"L" * length + b"\n")
        await conn.expect(lambda line: line.startswith("! line too long"), self.pace.reply_timeout)
        conn.send("/who")
        await conn.expect(lambda line: line.startswith("* Online ("), self.pace.reply_timeout)
        await self._leave(conn, name)

    async def _visit(self, conn: LineConnection) -> None:
        """Joins late (so it is shown history), reads for a while, says bye, quits."""
        name = await self._join(conn)
        await asyncio.sleep(self.rng.uniform(5, 30))
        conn.send(f"bye from {name}")
        conn.send("<quit>")
        await conn.expect_line(protocol.goodbye(name), self.pace.reply_timeout)
        await conn.wait_closed(self.pace.reply_timeout)

    async def _silent(self, conn: LineConnection) -> None:
        """Connects and never names itself; a handshake timeout may close it."""
        await self._prompt(conn)
        try:
            await conn.wait_closed(self.rng.uniform(20, 75))
        except TimeoutError:
            return  # nobody closed it; run() resets it
        if any(line.startswith("! timed out") for line in conn.lines):
            self.stats.handshake_timeouts += 1
        else:
            self.stats.anomaly(
                f"silent connection closed without a reason: {list(conn.lines)[-3:]}"
            )
