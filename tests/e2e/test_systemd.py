"""The shipped systemd units: they verify, and their ExecStart serves chat on an inherited socket.

``systemd-socket-activate`` (Debian's systemd package) does what ``chatd.socket`` does: it binds
the port, waits for the first connection, and execs the command with ``LISTEN_FDS`` and
``LISTEN_PID`` set, so the installed twistd adopts the socket through Twisted's ``systemd:``
endpoint and serves the connection that woke it.  Without the tools these tests are skipped,
except under ``CI=true``, where CI installs them and missing is a broken setup.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import threading
from pathlib import Path

import pytest
from installed_daemon import TWISTD, WAIT, Daemon, clean_environment

from chatd.limits import RESERVED_DESCRIPTORS, Limits

CONTRIB = Path(__file__).resolve().parents[2] / "contrib"
INSTALLED_TWISTD = "/opt/chatd/bin/twistd"


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        message = f"needs {tool} (apt-get install systemd)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs it: missing there is a broken setup
        pytest.skip(message)
    return path


def unit_command() -> list[str]:
    """The service's ExecStart, split as systemd splits it."""
    text = (CONTRIB / "chatd.service").read_text()
    (line,) = re.findall(r"^ExecStart=(.+)$", text, re.MULTILINE)
    return shlex.split(line)


def free_port(family: socket.AddressFamily, host: str) -> int:
    """A port nobody listens on just now (systemd-socket-activate refuses port 0)."""
    with socket.socket(family) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class SocketActivated(Daemon):
    """``systemd-socket-activate -l ADDRESS COMMAND``, its output collected like a Daemon's."""

    def __init__(self, address: str, command: list[str], cwd: Path) -> None:
        self.args = [require("systemd-socket-activate"), "-l", address, "--fdname=chatd", *command]
        self._output = b""
        self._changed = threading.Condition()
        self._ended = False
        self.process = subprocess.Popen(
            self.args,
            cwd=cwd,
            env=clean_environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()


@pytest.fixture
def activate(tmp_path):
    """``activate(address, command)`` runs it under systemd-socket-activate; stopped afterwards."""
    started: list[SocketActivated] = []

    def start(address: str, command: list[str]) -> SocketActivated:
        started.append(SocketActivated(address, command, tmp_path))
        return started[-1]

    yield start
    for one in started:
        one.terminate()


def test_units_verify(tmp_path):
    """systemd-analyze accepts chatd.socket and chatd.service (twistd where installed)."""
    analyze = require("systemd-analyze")
    service = (CONTRIB / "chatd.service").read_text()
    assert INSTALLED_TWISTD in service
    (tmp_path / "chatd.service").write_text(service.replace(INSTALLED_TWISTD, TWISTD))
    shutil.copy(CONTRIB / "chatd.socket", tmp_path)
    result = subprocess.run(
        [analyze, "verify", "./chatd.socket", "./chatd.service"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_units_agree_on_the_socket():
    """The service adopts the socket as the family chatd.socket makes it, sized for max-clients."""
    socket_unit = (CONTRIB / "chatd.socket").read_text()
    service = (CONTRIB / "chatd.service").read_text()
    assert re.search(r"^ListenStream=\[::\]:33000$", socket_unit, re.MULTILINE)
    assert re.search(r"^BindIPv6Only=both$", socket_unit, re.MULTILINE)  # always AF_INET6
    assert "systemd:domain=INET6:index=0" in unit_command()
    for setting in ("DynamicUser=yes", "ProtectSystem=strict", "StateDirectory=chatd"):
        assert re.search(f"^{re.escape(setting)}$", service, re.MULTILINE), setting
    (nofile,) = re.findall(r"^LimitNOFILE=(\d+)$", service, re.MULTILINE)
    assert int(nofile) >= Limits().max_clients + RESERVED_DESCRIPTORS


@pytest.mark.parametrize(
    ("family", "host", "listen", "shown"),
    [
        # The shipped unit: one dual-stack IPv6 socket; IPv4 peers show as mapped addresses.
        (socket.AF_INET6, "::", "[::]:{port}", "[::ffff:{address}]:{port}"),
        # An IPv4-only socket, adopted with domain=INET.
        (socket.AF_INET, "127.0.0.1", "127.0.0.1:{port}", "{address}:{port}"),
    ],
    ids=["unit-dual-stack", "ipv4"],
)
def test_chat_through_the_inherited_socket(activate, peers, family, host, listen, shown):
    """The unit's ExecStart, started by socket activation, serves chat with real peer addresses."""
    port = free_port(family, host)
    command = [TWISTD if part == INSTALLED_TWISTD else part for part in unit_command()]
    if family == socket.AF_INET:
        command = [part.replace("domain=INET6", "domain=INET") for part in command]
    server = activate(listen.format(port=port), command)
    server.wait_for_log(r"Listening on .* as 3\.")

    alice = peers(port)  # this connection makes systemd-socket-activate exec twistd
    alice.join("alice")
    bob = peers(port)
    bob.join("bob")
    assert alice.next_line() == "* bob has joined the chat"
    bob.send("hello over an inherited socket")
    assert alice.next_line() == "bob: hello over an inherited socket"

    # twistd listens on the socket it was given (no port of its own), under the same PID, and
    # sees where each peer really comes from, which per-address limits count by.
    server.wait_for_log(rf"LineDoorFactory starting on {port}\n")
    assert Path(f"/proc/{server.process.pid}/cmdline").read_bytes().split(b"\0")[1] == (
        TWISTD.encode()
    )
    address, peer_port = bob.sock.getsockname()[:2]
    peer = shown.format(address=address, port=peer_port)
    server.wait_for_log(re.escape(f"bob joined from {peer}"))

    server.signal(signal.SIGTERM)
    for person in (alice, bob):
        assert person.expect_eof(timeout=WAIT) == b"* server is shutting down\r\n"
    assert server.wait_exit() == -signal.SIGTERM
    log = server.log()
    assert log.rstrip().endswith("Server Shut Down."), log
    server.assert_no_errors()
