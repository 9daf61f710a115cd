"""What every scenario needs: a fresh server with given options, a certificate, and a latency probe.

Servers are the soak's :class:`bench.soak.server.Server` (the installed ``twistd -n --pidfile=
chatd`` on a free loopback port, in its own session, dying with the runner, stopped by PID). Each
gets a directory of its own under the run's work directory, so its log stays for a look afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.attack.wire import Conn, bystander, connect
from bench.soak.server import Server


@dataclass
class Context:
    twistd: Path
    workdir: Path
    notes: list[str] = field(default_factory=list)
    _cert: tuple[Path, Path] | None = None

    @contextlib.asynccontextmanager
    async def server(self, name: str, args: list[str]):
        """A fresh server for one step, stopped (SIGTERM, SIGKILL after 15 s) on every way out."""
        directory = self.workdir / name
        directory.mkdir(parents=True, exist_ok=True)
        server = Server(self.twistd, args, directory)
        try:
            await asyncio.to_thread(server.start)
            yield server
        finally:
            stopped = await asyncio.to_thread(server.stop)
            if stopped.killed:
                self.notes.append(f"{name}: the server needed SIGKILL after SIGTERM")
            elif stopped.signalled is False and stopped.status is not None:
                self.notes.append(f"{name}: the server had exited by itself ({stopped.status})")

    def certificate(self) -> tuple[Path, Path]:
        """A self-signed key and certificate for localhost, made once per run with openssl."""
        if self._cert is None:
            key, cert = self.workdir / "key.pem", self.workdir / "cert.pem"
            subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                 "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
                check=True, capture_output=True, timeout=60,
            )  # fmt: skip
            self._cert = (key, cert)
        return self._cert

    def tls_listener(self) -> list[str]:
        """``--listen`` for TLS on a free loopback port (with the backlog ``--port`` would have)."""
        key, cert = self.certificate()
        where = "ssl:0:interface=127.0.0.1:backlog=1024"
        return ["--listen", f"{where}:privateKey={key}:certKey={cert}"]


class PrivatePairs:
    """Users sending each other ``/msg`` at a steady pace, timing every delivery.

    Users 0 and 1 write to each other, as do 2 and 3, each ``pace`` messages a second: below the
    default flood control (5 lines/s), so the latency is the server's, not the bucket's. A message
    is ``/msg PEER t SEQ SENT_NS``, received as ``[private] SENDER: t SEQ SENT_NS``.

    The server answers each ``/msg`` to its sender, in order: ``[private to PEER] ...`` when it
    was delivered, ``! PEER is getting too many private messages ...`` when the recipient's
    private budget (``--private-rate``, from everyone together) refused it. A refused message is
    the designed answer to a flood of the recipient, not a late one, so :meth:`measure` leaves it
    out of the latencies and counts it apart.
    """

    def __init__(self, prefix: str = "pair", users: int = 4, pace: float = 4.0) -> None:
        self.names = [f"{prefix}{index}" for index in range(users)]
        self.pace = pace
        self.conns: list[Conn] = []
        self.sent: dict[tuple[str, int], int] = {}
        self.received: dict[tuple[str, int], int] = {}
        self.tasks: list[asyncio.Task] = []
        self.disconnected = 0
        #: Error lines the users got, such as a refused private message.
        self.refused = 0
        #: The (sender, SEQ) of messages refused by the recipient's private budget.
        self.refused_keys: set[tuple[str, int]] = set()
        #: Messages sent in the last :meth:`measure` window, and how many of them were refused.
        self.window_sent = 0
        self.window_refused = 0

    async def start(self, port: int) -> None:
        for name in self.names:
            conn = await connect(port, bystander())
            answer = await conn.join(name)
            if answer != "ok":
                raise RuntimeError(f"probe user {name} could not join: {answer}")
            self.conns.append(conn)
        for index, conn in enumerate(self.conns):
            peer = self.names[index ^ 1]
            self.tasks.append(asyncio.create_task(conn.drain(self._reader(self.names[index]))))
            self.tasks.append(asyncio.create_task(self._send(conn, self.names[index], peer)))

    def _reader(self, name: str):
        answered = [0]  # this user's messages the server has answered so far (SEQ 1, 2, ...)

        def on_line(line: str) -> None:
            if line.startswith("! "):
                self.refused += 1
                if "too many private messages" in line:
                    answered[0] += 1
                    self.refused_keys.add((name, answered[0]))
            if line.startswith("[private to "):
                answered[0] += 1
            if not line.startswith("[private] "):
                return
            sender, _, text = line[len("[private] ") :].partition(": ")
            parts = text.split()
            if len(parts) == 3 and parts[0] == "t":
                self.received[(sender, int(parts[1]))] = time.monotonic_ns()

        return on_line

    async def _send(self, conn: Conn, name: str, peer: str) -> None:
        seq = 0
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        try:
            while True:
                seq += 1
                now = time.monotonic_ns()
                self.sent[(name, seq)] = now
                await conn.send(f"/msg {peer} t {seq} {now}\r\n")
                next_at += 1 / self.pace
                await asyncio.sleep(max(0.0, next_at - loop.time()))
        except (ConnectionError, OSError):
            self.disconnected += 1

    async def measure(self, seconds: float, grace: float = 5.0) -> list[float]:
        """Latencies (ms) of the messages sent in the next ``seconds``, but those refused.

        Waits up to ``grace`` seconds after the window for the last of them; one never delivered
        counts as ``grace`` seconds late, so that losing messages cannot improve the figure. One
        the recipient's budget refused (answered with ``! ... too many private messages``) is not
        a latency: :attr:`window_refused` counts those of the window.
        """
        start = time.monotonic_ns()
        await asyncio.sleep(seconds)
        end = time.monotonic_ns()
        window = [key for key, sent in list(self.sent.items()) if start <= sent < end]
        deadline = time.monotonic() + grace

        def settled(key: tuple[str, int]) -> bool:
            return key in self.received or key in self.refused_keys

        while time.monotonic() < deadline and not all(settled(key) for key in window):
            await asyncio.sleep(0.05)
        self.window_sent = len(window)
        self.window_refused = sum(1 for key in window if key in self.refused_keys)
        window = [key for key in window if key not in self.refused_keys]
        return [
            (self.received[key] - self.sent[key]) / 1e6 if key in self.received else grace * 1000
            for key in window
        ]

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for conn in self.conns:
            conn.close()
