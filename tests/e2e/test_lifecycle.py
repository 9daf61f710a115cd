"""Starting and stopping the installed daemon: ``twistd -ny chatd.tac`` and SIGTERM/SIGINT."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from chatd.service import SHUTDOWN_GRACE_SECONDS

TAC = Path(__file__).resolve().parents[2] / "chatd.tac"
#: How long a signalled daemon may take to exit ("within a few seconds").
EXIT_WITHIN = 5.0  # the grace period (3 s) plus a margin for a busy machine


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_tells_everyone_closes_and_exits(daemon, peers, signum):
    """On SIGTERM or SIGINT every client gets one shutdown notice and EOF, and twistd exits."""
    server = daemon("chatd", "--port", "0")
    (port,) = server.ports()
    nc, telnet, pending, typing = peers(port), peers(port, ending=b"\r\n"), peers(port), peers(port)
    nc.join("nora")
    telnet.join("otto")
    assert nc.next_line() == "* otto has joined the chat"
    pending.expect_prompt()  # connected, never chose a name
    typing.join("pia")
    typing.send_raw(b"half a li")  # stopped mid-line
    assert nc.next_line() == "* pia has joined the chat"
    assert telnet.next_line() == "* pia has joined the chat"

    sent = server.signal(signum)
    for peer in (nc, telnet, pending, typing):
        assert peer.expect_eof(timeout=EXIT_WITHIN) == b"* server is shutting down\r\n"
    status = server.wait_exit(EXIT_WITHIN)
    assert time.monotonic() - sent < EXIT_WITHIN
    # twistd ends every run stopped by a signal by re-raising that signal once shutdown is done
    # (exit status 143 in a shell after SIGTERM); "Server Shut Down." shows it got that far.
    assert status == -signum
    log = server.log()
    assert log.rstrip().endswith("Server Shut Down."), log
    assert "connections still open" not in log  # nobody had to be dropped after the grace time


def test_signal_with_nobody_connected_exits_at_once(daemon, peers):
    """A daemon whose clients have all gone stops on SIGTERM well within a second."""
    server = daemon("chatd", "--port", "0")
    (port,) = server.ports()
    # Twisted logs the port before the reactor runs and installs its signal handlers; a prompt
    # answered shows the reactor is running, so the signal reaches twistd's handler.
    probe = peers(port)
    probe.expect_prompt()
    probe.leave()
    sent = server.signal(signal.SIGTERM)
    assert server.wait_exit(EXIT_WITHIN) == -signal.SIGTERM
    # Nothing to wait for: the exit comes long before the grace period for open connections
    # would end (a wide margin, as a busy machine may take a while to run the process at all).
    assert time.monotonic() - sent < SHUTDOWN_GRACE_SECONDS
    assert "connections still open" not in server.log()
    assert "Server Shut Down." in server.log()


def test_tac_serves_chat_with_options_from_the_environment(daemon, peers):
    """``twistd -ny chatd.tac`` serves chat, taking its options from CHATD_OPTIONS."""
    server = daemon("-y", str(TAC), env={"CHATD_OPTIONS": "--port 0 --history 1"})
    (port,) = server.ports()
    rosa = peers(port)
    rosa.join("rosa")
    rosa.send("first", "second", "/who")
    assert rosa.next_line() == "* Online (1): rosa"
    sam = peers(port)
    assert sam.join("sam") == "* Online (2): rosa, sam"
    assert sam.next_line()[8:] == "rosa: second"  # --history 1 came from CHATD_OPTIONS
    sam.send("hello from the tac")
    assert rosa.lines(2) == ["* sam has joined the chat", "sam: hello from the tac"]

    server.signal(signal.SIGTERM)
    assert rosa.expect_eof() == b"* server is shutting down\r\n"
    assert server.wait_exit(EXIT_WITHIN) == -signal.SIGTERM


def test_tac_refuses_bad_options_in_one_line(run_twistd):
    """A wrong CHATD_OPTIONS is one line naming the option, not a traceback, with status 1."""
    result = run_twistd("-ny", str(TAC), "--pidfile=", env={"CHATD_OPTIONS": "--port nope"})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert "--port wants a whole number, not 'nope'" in result.stderr
