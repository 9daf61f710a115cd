"""The installed chatd-client when it cannot connect or is used wrongly: one line, no traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

CLIENT_PATH = str(Path(sys.executable).parent / "chatd-client")


def closed_port() -> int:
    """A loopback port that was just free: bound, then closed, so nothing listens on it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_refused_port(run_client):
    """Connecting to a port nobody listens on prints one line and exits 1."""
    port = closed_port()
    done = run_client("127.0.0.1", "-p", str(port))
    assert done.returncode == 1
    assert done.stderr.decode() == (
        f"chatd-client: cannot connect to 127.0.0.1:{port}: connection refused\n"
    )
    assert done.stdout == b""


def test_bracketed_ipv6_host(run_client):
    """``chatd-client '[::1]'`` connects to ::1 and names it once bracketed, as ``[::1]:PORT``."""
    with socket.socket(socket.AF_INET6) as probe:
        probe.bind(("::1", 0))
        port = probe.getsockname()[1]
    done = run_client("[::1]", "-p", str(port))
    assert done.returncode == 1
    assert done.stderr.decode() == (
        f"chatd-client: cannot connect to [::1]:{port}: connection refused\n"
    )


def test_unknown_host(run_client):
    """A name that does not resolve prints one line and exits 1."""
    done = run_client("nosuch.invalid", "-p", "33000")
    assert done.returncode == 1
    assert done.stderr.decode() == (
        "chatd-client: cannot connect to nosuch.invalid:33000: unknown host nosuch.invalid\n"
    )


def test_usage_error_exits_2_with_the_usage_line(run_client):
    """A bad option prints the usage line and the problem, and exits 2."""
    done = run_client("-p", "not-a-port")
    assert done.returncode == 2
    lines = done.stderr.decode().splitlines()
    assert lines[0].startswith("Usage: chatd-client [HOST]")
    assert lines[1].startswith("chatd-client: ")
    assert len(lines) == 2


def test_quit_times_out_when_the_server_never_answers(run_client):
    """If the server never closes after <quit>, the wait ends at --quit-timeout, with status 1."""
    with socket.socket() as mute:  # accepts connections, reads nothing, says nothing
        mute.bind(("127.0.0.1", 0))
        mute.listen()
        port = mute.getsockname()[1]
        done = run_client("-p", str(port), "--quit-timeout", "0.5", input=b"hello\n")
    assert done.returncode == 1
    assert done.stderr.decode() == (
        "chatd-client: no goodbye from the server after 0.5 s; gave up\n"
    )


def test_closed_stdout_is_no_crash(server_port):
    """Run with standard output closed (``>&-``), the client still chats and exits cleanly."""
    done = subprocess.run(
        ["sh", "-c", f'exec "$0" -p {server_port} -n shut >&-', CLIENT_PATH],
        input=b"hello\n",
        capture_output=False,
        stderr=subprocess.PIPE,
        timeout=10,
        check=False,
    )
    assert done.returncode == 0
    assert done.stderr == b""
