"""Start-up errors of the installed ``twistd chatd``: one line naming the option and the value.

Each case runs the real twistd to completion in a scratch directory.  A usage error is one line
on stderr and nothing else; a listener that cannot listen is one line in the log (which ``-n``
writes to stdout).  Every line points at ``twistd chatd --help``, and twistd's exit status for a
failed start (1) is kept.
"""

from __future__ import annotations

import shutil
import socket
from importlib.metadata import version

import pytest
from installed_daemon import TWISTD

# The hint repeats the twistd that ran, or plain ``twistd`` when that is the one on the PATH.
HELP_HINT = f"(see {'twistd' if shutil.which('twistd') == TWISTD else TWISTD} chatd --help)"


@pytest.fixture
def busy_port():
    """A port that something else is listening on, for as long as the test runs."""
    with socket.socket() as holder:
        holder.bind(("", 0))
        holder.listen()
        yield holder.getsockname()[1]


def the_error_line(output: str) -> str:
    """The one line of ``output`` that reports the failure; fails on a traceback or on several."""
    assert "Traceback" not in output, output
    errors = [line for line in output.splitlines() if "chatd: " in line]
    assert len(errors) == 1, output
    return errors[0]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--listen", "tcp:0", "--listen", "tcp:0"], "chatd: --listen 'tcp:0' is given twice"),
        (
            ["--listen", "tcp:99999"],
            "chatd: cannot listen on --listen 'tcp:99999': the port must be 0 to 65535, not 99999",
        ),
        (["--port", "99999"], "chatd: --port must be at most 65535, not 99999"),
        (["--port", "nope"], "chatd: --port wants a whole number, not 'nope'"),
        (["--bogus"], "chatd: option --bogus not recognized"),
        (["stray"], "chatd: unexpected argument 'stray'; options start with --"),
    ],
    ids=["duplicate-listen", "listen-port-range", "port-range", "port-nope", "unknown", "stray"],
)
def test_usage_error_is_one_line_without_the_help(run_twistd, args, message):
    """A refused command line prints one line on stderr with a --help hint, and no help text."""
    result = run_twistd("-n", "--pidfile=", "chatd", *args)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == f"{message} {HELP_HINT}\n"


def test_a_port_in_use_is_one_line_naming_the_port(run_twistd, busy_port, tmp_path):
    """--port on a busy port ends with one log line and status 1, and removes its pid file."""
    result = run_twistd("-n", "chatd", "--port", str(busy_port))
    assert result.returncode == 1
    line = the_error_line(result.stdout + result.stderr)
    assert line.endswith(
        f"chatd: cannot listen on --port {busy_port}: address already in use {HELP_HINT}"
    )
    assert not (tmp_path / "twistd.pid").exists()


def test_a_busy_listen_endpoint_is_named_as_typed(run_twistd, busy_port):
    """--listen on a busy port names the --listen value as it was given."""
    result = run_twistd("-n", "--pidfile=", "chatd", "--listen", f"tcp:{busy_port}")
    assert result.returncode == 1
    line = the_error_line(result.stdout + result.stderr)
    assert f"chatd: cannot listen on --listen 'tcp:{busy_port}': address already in use" in line


def test_an_address_that_does_not_exist_names_the_interface(run_twistd):
    """--interface 999.1.1.1 is one line naming the interface and the port, with status 1."""
    result = run_twistd("-n", "--pidfile=", "chatd", "--interface", "999.1.1.1", "--port", "0")
    assert result.returncode == 1
    line = the_error_line(result.stdout + result.stderr)
    assert "chatd: cannot listen on --interface 999.1.1.1 --port 0: " in line
    assert line.endswith(HELP_HINT)


def test_a_daemon_that_cannot_listen_says_so_before_detaching(run_twistd, busy_port, tmp_path):
    """Without -n twistd's parent reports the one line and exits 1; the log holds no traceback."""
    result = run_twistd("chatd", "--port", str(busy_port))
    assert result.returncode == 1
    assert f"chatd: cannot listen on --port {busy_port}: address already in use" in result.stderr
    log = (tmp_path / "twistd.log").read_text()
    the_error_line(log)
    assert not (tmp_path / "twistd.pid").exists()


def test_help_is_still_the_whole_help(run_twistd):
    """Asking for help still prints every option, --version among them, and exits 0."""
    result = run_twistd("chatd", "--help")
    assert result.returncode == 0
    assert "--max-clients=" in result.stdout
    assert "--version" in result.stdout


def test_version_is_chatds_own(run_twistd):
    """``twistd chatd --version`` prints the installed chatd's version, then Twisted's."""
    result = run_twistd("chatd", "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"chatd {version('chatd')} (Twisted ")
    assert result.stdout.count("\n") == 1
