"""The load generator's WebSocket mode (``--proto web``), run for real: against chatd's web door,
where nothing may be lost or malformed, and against a small fake server that misbehaves on
purpose, where the generator must notice.

The generator is compiled here with gcc, as the runner does; without gcc these tests are skipped,
except in CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import shutil
import struct
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.fanout import scenarios, servers

#: Small and short: a few users, a second of load, every phase bounded by the generator itself.
SMALL = ("--users", "8", "--senders", "3", "--warmup", "0.2", "--duration", "0.8")
SMALL += ("--drain", "2", "--handshake-timeout", "5", "--proto", "web")
RUN_TIMEOUT = 60


@pytest.fixture(scope="module")
def loadgen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("gcc") is None:
        if os.environ.get("CI"):
            pytest.fail("gcc is needed to build the load generator")
        pytest.skip("no gcc to build the load generator")
    return scenarios.build_loadgen(tmp_path_factory.mktemp("build"))


def generate(loadgen: Path, port: int, *extra: str) -> tuple[int, dict]:
    done = subprocess.run(
        [str(loadgen), "127.0.0.1", str(port), "fanout", *SMALL, *extra],
        capture_output=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    return done.returncode, json.loads(done.stdout)


# ---------------------------------------------------------------- against chatd


@pytest.fixture
def chatd_web(tmp_path: Path) -> Iterator[servers.ServerProcess]:
    server = servers.make_server("chatd-memory", tmp_path, None, door="web")
    server.start()
    try:
        yield server
    finally:
        server.stop(grace=10)


def test_every_websocket_user_gets_every_line_from_chatd(loadgen, chatd_web):
    """Through chatd's web door every line reaches every other user once, well-formed."""
    assert chatd_web.port is not None
    status, report = generate(loadgen, chatd_web.port, "--receipts", "1")
    assert status == 0 and report["error"] is None
    assert report["proto"] == "web" and report["handshakes_ok"] == 8
    assert report["join_notices"] == 8 * 7 // 2
    assert report["sent"] > 0 and report["delivered"] == report["sent"] * 7 == report["owed"]
    assert (report["lost"], report["duplicated"], report["malformed"]) == (0, 0, 0)
    assert report["receipts"] == report["sent"] and report["receipts_missing"] == 0
    assert report["p50_us"] > 0 and report["deliveries_per_s"] > 0


def test_the_line_mode_is_unchanged(loadgen, tmp_path):
    """The same chatd's line door, loaded as before: --proto line is the default."""
    server = servers.make_server("chatd-memory", tmp_path, None)
    port = server.start()
    try:
        line_args = [a for a in SMALL if a not in ("--proto", "web")]
        done = subprocess.run(
            [str(loadgen), "127.0.0.1", str(port), "fanout", *line_args],
            capture_output=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )
    finally:
        server.stop(grace=10)
    report = json.loads(done.stdout)
    assert done.returncode == 0 and report["proto"] == "line"
    assert report["sent"] > 0 and (report["lost"], report["malformed"]) == (0, 0)


# ---------------------------------------------------------------- against a fake that errs

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def _frame(data: dict | bytes, masked_by_server: bool = False) -> bytes:
    payload = data if isinstance(data, bytes) else json.dumps(data, separators=(",", ":")).encode()
    mask = 0x80 if masked_by_server else 0
    if len(payload) < 126:
        head = bytes((0x81, mask | len(payload)))
    else:
        head = struct.pack("!BBH", 0x81, mask | 126, len(payload))
    return head + (b"\0\0\0\0" if masked_by_server else b"") + payload


async def _read_frame(reader: asyncio.StreamReader) -> bytes:
    b0, b1 = await reader.readexactly(2)
    assert b0 == 0x81 and b1 & 0x80, "the client's frames must be masked text frames"
    size = b1 & 0x7F
    if size == 126:
        (size,) = struct.unpack("!H", await reader.readexactly(2))
    key = await reader.readexactly(4)
    data = await reader.readexactly(size)
    return bytes(byte ^ key[i % 4] for i, byte in enumerate(data))


class FakeChat:
    """Just enough of chatd's web protocol for the generator, with one fault on purpose:
    ``accept`` answers the upgrade wrongly, ``order`` writes a line's fields in another order,
    ``drop`` leaves out the third line of ``u0`` to ``u2``, ``masked`` masks its frames."""

    def __init__(self, fault: str) -> None:
        self.fault = fault
        self.members: dict[str, asyncio.StreamWriter] = {}
        self.seq = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._session(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        key = next(
            line.split(":", 1)[1].strip()
            for line in head.split("\r\n")
            if line.lower().startswith("sec-websocket-key:")
        )
        accept = base64.b64encode(hashlib.sha1(key.encode() + _GUID).digest()).decode()
        if self.fault == "accept":
            accept = accept.lower()
        writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + f"Sec-WebSocket-Accept: {accept}\r\n\r\n".encode()
        )
        masked = self.fault == "masked"
        writer.write(_frame({"type": "hello", "protocol": 1, "server": "fake"}))
        writer.write(_frame({"type": "ask_name"}))
        name = None
        while True:
            request = json.loads(await _read_frame(reader))
            if request["type"] == "name":
                name = request["name"]
                writer.write(_frame({"type": "welcome", "name": name}))
                for other in self.members.values():
                    other.write(_frame({"type": "joined", "name": name, "room": "#lobby"}))
                self.members[name] = writer
            elif request["type"] == "receipts":
                writer.write(_frame({"type": "receipts", "on": True}))
            elif request["type"] == "say":
                self.seq += 1
                self._relay(name, request["text"], masked)

    def _relay(self, name: str | None, text: str, masked: bool) -> None:
        said = {"type": "said", "room": "#lobby", "name": name, "text": text, "seq": self.seq}
        said["time"] = "2026-12-03T12:00:00.000Z"
        if self.fault == "order":
            said = {"type": "said", "room": "#lobby", "name": name, "seq": self.seq,
                    "text": text, "time": said["time"]}  # fmt: skip
        for member, writer in self.members.items():
            if member == name:
                continue
            if self.fault == "drop" and member == "u2" and text.startswith("0 3 "):
                continue
            writer.write(_frame(said, masked_by_server=masked))


@pytest.fixture
def fake(request: pytest.FixtureRequest) -> Iterator[int]:
    """A :class:`FakeChat` with the fault the test names, on a loopback port, in a thread."""
    chat = FakeChat(request.param)
    loop = asyncio.new_event_loop()
    started = threading.Event()
    port: list[int] = []

    async def main() -> None:
        server = await asyncio.start_server(chat.serve, "127.0.0.1", 0)
        port.append(server.sockets[0].getsockname()[1])
        started.set()
        async with server:
            await server.serve_forever()

    thread = threading.Thread(target=lambda: loop.run_until_complete(_quietly(main())))
    thread.start()
    try:
        assert started.wait(10)
        yield port[0]
    finally:
        loop.call_soon_threadsafe(lambda: [task.cancel() for task in asyncio.all_tasks(loop)])
        thread.join(10)
        loop.close()


async def _quietly(work) -> None:
    try:
        await work
    except asyncio.CancelledError:
        pass


@pytest.mark.parametrize("fake", ["drop"], indirect=True)
def test_a_line_left_out_is_counted_lost(loadgen, fake):
    """One delivery the server leaves out is one lost line, seen as a gap."""
    status, report = generate(loadgen, fake)
    assert status == 0 and report["error"] is None
    assert report["lost"] == 1 and report["gaps"] == 1 and report["malformed"] == 0


@pytest.mark.parametrize("fake", ["order"], indirect=True)
def test_a_line_in_another_shape_is_malformed(loadgen, fake):
    """The generator checks chatd's layout byte for byte, so a change cannot pass unseen."""
    _status, report = generate(loadgen, fake)
    assert report["malformed"] > 0 and report["lost"] > 0
    assert report["first_malformed"].startswith("{?type?:?said?,?room?:?#lobby?,?name?:?u")


@pytest.mark.parametrize("fake", ["masked"], indirect=True)
def test_a_masked_server_frame_is_malformed(loadgen, fake):
    """A server must not mask its frames (RFC 6455, section 5.1)."""
    _status, report = generate(loadgen, fake)
    assert report["malformed"] > 0 and report["lost"] > 0


@pytest.mark.parametrize("fake", ["accept"], indirect=True)
def test_a_wrong_accept_fails_the_handshake(loadgen, fake):
    """An upgrade answered with the wrong Sec-WebSocket-Accept is no WebSocket."""
    status, report = generate(loadgen, fake)
    assert status == 2 and report["handshakes_ok"] == 0
    assert report["error"] == "not every user could join"


def test_web_needs_fanout_and_no_rooms(loadgen):
    """--proto web loads only the fan-out, without rooms; a bad value is a usage error."""
    for extra in (("--rooms", "2"), ("--proto", "telnet"), ("--users", "8x")):
        done = subprocess.run(
            [str(loadgen), "127.0.0.1", "1", "fanout", *SMALL, *extra],
            capture_output=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )
        assert done.returncode == 1 and b"usage" in done.stderr
    done = subprocess.run(
        [str(loadgen), "127.0.0.1", "1", "connect", "--proto", "web"],
        capture_output=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert done.returncode == 1
