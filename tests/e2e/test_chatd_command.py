"""The installed ``chatd`` command against the installed ``twistd -n chatd`` it stands for.

``chatd ARGS`` must be ``twistd -n --pidfile= chatd ARGS`` under another name: the same help,
version, refusals, exit statuses and signals, and a chat served.  So most tests run both and
compare them, rather than pinning the command's output on its own.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from installed_daemon import TWISTD, clean_environment

CHATD = str(Path(sys.executable).parent / "chatd")
#: How ``chatd`` names itself in its hints: as run, or plain ``chatd`` when that is on the PATH.
CHATD_AS_TYPED = "chatd" if shutil.which("chatd") == CHATD else CHATD
TWISTD_AS_TYPED = "twistd" if shutil.which("twistd") == TWISTD else TWISTD
EXIT_WITHIN = 5.0  # the shutdown grace period (3 s) plus a margin for a busy machine


@pytest.fixture
def run(tmp_path):
    """Run a command to completion in a scratch directory; return what it printed."""

    def run_command(*command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command,
            check=False,
            cwd=tmp_path,
            env=clean_environment(),
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )

    return run_command


def test_version_is_the_installed_packages(run):
    """``chatd --version`` prints the installed distribution's version, as twistd chatd does."""
    result = run(CHATD, "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"chatd {version('chatd')} (Twisted ")
    assert result.stdout == run(TWISTD, "chatd", "--version").stdout


def test_help_is_twistd_chatds_under_its_own_name(run):
    """``chatd --help`` is ``twistd -n chatd --help`` with ``Usage: chatd [options]`` on top."""
    result = run(CHATD, "--help")
    expected = run(TWISTD, "-n", "--pidfile=", "chatd", "--help")
    assert result.returncode == expected.returncode == 0, result.stderr
    usage, _, options = result.stdout.partition("\n")
    assert usage == "Usage: chatd [options]"
    twistd_usage, _, twistd_options = expected.stdout.partition("\n")
    assert twistd_usage == "Usage: twistd [options] chatd [options]"
    assert options == twistd_options
    assert "  -p, --port=" in options


@pytest.mark.parametrize(
    "args",
    [["--bogus"], ["--port", "nope"], ["stray"], ["--logger", "chatd.logs.json_stdout"]],
    ids=["unknown", "port-nope", "stray", "twistd-option"],
)
def test_a_refused_command_line_is_twistd_chatds_one_line(run, tmp_path, args):
    """A bad option exits 1 with twistd chatd's one line, its hint pointing at ``chatd --help``.

    twistd's own options (--logger here) are not chatd's: they stay with twistd.
    """
    result = run(CHATD, *args)
    expected = run(TWISTD, "-n", "--pidfile=", "chatd", *args)
    assert result.returncode == expected.returncode == 1
    assert result.stdout == expected.stdout == ""
    twistd_hint = f" (see {TWISTD_AS_TYPED} chatd --help)\n"
    chatd_hint = f" (see {CHATD_AS_TYPED} --help)\n"
    assert expected.stderr.endswith(twistd_hint), expected.stderr
    assert result.stderr == expected.stderr.removesuffix(twistd_hint) + chatd_hint
    assert list(tmp_path.iterdir()) == []


def test_a_busy_port_is_one_line_and_status_1(run, tmp_path):
    """``chatd --port P`` on a busy port logs one line naming it and exits 1, as twistd does."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = str(holder.getsockname()[1])
        args = ("--interface", "127.0.0.1", "--port", port, "--db", ":memory:")
        result = run(CHATD, *args)
        expected = run(TWISTD, "-n", "--pidfile=", "chatd", *args)
    assert result.returncode == expected.returncode == 1
    reason = f"chatd: cannot listen on --interface 127.0.0.1 --port {port}: address already in use"
    assert f"{reason} (see {TWISTD_AS_TYPED} chatd --help)\n" in expected.stdout
    assert f"{reason} (see {CHATD_AS_TYPED} --help)\n" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_serves_a_chat_in_the_foreground_without_a_pid_file(daemon, peers, tmp_path):
    """``chatd --port 0`` serves two nc users, logs to stdout and writes no twistd.pid."""
    server = daemon("--port", "0", "--interface", "127.0.0.1", command=[CHATD])
    (port,) = server.ports()
    ann, bob = peers(port), peers(port)
    assert ann.join("ann") == "* Online (1): ann"
    assert bob.join("bob") == "* Online (2): ann, bob"
    assert ann.next_line() == "* bob has joined the chat"
    ann.send("hello bob")
    assert bob.next_line() == "ann: hello bob"
    assert not (tmp_path / "twistd.pid").exists()
    assert (tmp_path / "chatd.db").exists()  # the default --db, in the working directory


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_it_as_it_stops_twistd(daemon, peers, signum):
    """SIGTERM and SIGINT shut ``chatd`` down as they do ``twistd -n chatd``: the users are
    told, and the exit status is the same (the signal, re-raised once shutdown is done)."""
    options = ("--port", "0", "--interface", "127.0.0.1", "--db", ":memory:")
    servers = [daemon("chatd", *options), daemon(*options, command=[CHATD])]
    users = []
    for server in servers:
        (port,) = server.ports()
        users.append(peers(port))
        users[-1].join("cy")
    for server in servers:
        server.signal(signum)
    for user in users:
        assert user.expect_eof(timeout=EXIT_WITHIN) == b"* server is shutting down\r\n"
    statuses = [server.wait_exit(EXIT_WITHIN) for server in servers]
    assert statuses == [-signum, -signum]
    for server in servers:
        assert server.log().rstrip().endswith("Server Shut Down."), server.log()
