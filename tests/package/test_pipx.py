"""The wheel installed with pipx, as the README tells users to, serves a chat as ``chatd``.

pipx gets a home and a bin folder of its own in a scratch directory, so nothing of the user's
pipx is touched, and the chatd it installs runs from its own virtual environment: the one
thing it shares with this test run is the wheel.
"""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
from installed_daemon import clean_environment


@pytest.fixture(scope="module")
def pipx_bin(dists, tmp_path_factory):
    """The bin folder of a pipx that installed the built wheel."""
    folder = tmp_path_factory.mktemp("pipx")
    bin_folder = folder / "bin"
    installed = subprocess.run(
        [sys.executable, "-m", "pipx", "install", str(dists.wheel)],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
        env=clean_environment(
            PIPX_HOME=str(folder / "home"),
            PIPX_BIN_DIR=str(bin_folder),
            PIPX_MAN_DIR=str(folder / "man"),
        ),
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return bin_folder


def free_loopback_port() -> int:
    """A port nothing listens on at 127.0.0.1 right now, as a user would pick one."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_pipx_puts_chatds_commands_on_the_path_and_no_twistd(pipx_bin):
    """pipx exposes chatd's own scripts only, which is why ``chatd`` must stand for twistd."""
    assert sorted(path.name for path in pipx_bin.iterdir()) == [
        "chatd",
        "chatd-client",
        "chatd-gui",
    ]


def test_the_pipx_chatd_shows_its_version(pipx_bin, dists, tmp_path):
    """``chatd --version`` from the pipx install prints the built version."""
    result = subprocess.run(
        [str(pipx_bin / "chatd"), "--version"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=clean_environment(),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"chatd {dists.metadata()['Version']} (Twisted ")


def test_the_pipx_chatd_serves_a_chat(pipx_bin, daemon, peers):
    """``chatd --port P`` from the pipx install serves two nc users talking."""
    port = free_loopback_port()
    chatd = pipx_bin / "chatd"
    server = daemon("--port", str(port), "--interface", "127.0.0.1", command=[str(chatd)])
    assert server.ports() == [port]
    # twistd names the Python it runs on: the pipx environment's, not this test run's.
    (python,) = server.wait_for_log(r"twistd \S+ \((\S+) [\d.]+\) starting up")
    assert python.startswith(str(pipx_bin.parent / "home")), python
    ann, bob = peers(port), peers(port)
    assert ann.join("ann") == "* Online (1): ann"
    assert bob.join("bob") == "* Online (2): ann, bob"
    assert ann.next_line() == "* bob has joined the chat"
    bob.send("hi ann, from pipx")
    assert ann.next_line() == "bob: hi ann, from pipx"
