"""The installed ``twistd chatd`` end to end: plugin discovery, options, chat, limits, signals."""

from __future__ import annotations

import signal
import socket
import struct

import pytest


def test_plugin_is_found_after_install(run_twistd):
    """``twistd --help`` lists chatd when run away from the repository, without PYTHONPATH."""
    result = run_twistd("--help")
    assert result.returncode == 0
    assert any(line.split()[:1] == ["chatd"] for line in result.stdout.splitlines())


def test_chatd_help_documents_every_option(run_twistd):
    """``twistd chatd --help`` names every option the README documents."""
    result = run_twistd("chatd", "--help")
    assert result.returncode == 0
    for option in (
        "--port",
        "--interface",
        "--listen",
        "--history",
        "--motd",
        "--max-line-length",
        "--max-clients",
        "--log-messages",
    ):
        assert option in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["--port", "nope"], "invalid literal"),
        (["--motd", "/no/such/motd"], "cannot read --motd file"),
        (["--listen", "bogus:1"], "cannot listen on 'bogus:1'"),
    ],
)
def test_bad_option_is_one_clear_message(run_twistd, args, message):
    """A bad option value makes twistd exit non-zero with a message and no traceback."""
    result = run_twistd("-n", "--pidfile=", "chatd", *args)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_nc_and_telnet_users_chat(daemon, peers):
    """An LF user and a CRLF user chat, use every command, and quit, as the README shows."""
    (port,) = daemon("chatd", "--port", "0").ports()
    nc, telnet = peers(port), peers(port, ending=b"\r\n")
    nc.join("alice")
    nc.expect("* Online (1): alice")
    telnet.join("bob")
    telnet.expect("* Online (2): alice, bob")
    nc.expect("* bob has joined the chat")

    nc.send("hi bob")
    telnet.expect("alice: hi bob")
    telnet.send("hi alice", "/me waves")
    nc.expect("bob: hi alice")
    nc.expect("* bob waves")
    nc.send("/msg bob psst", "/w nobody x")
    telnet.expect("[private] alice: psst")
    nc.expect("[private to bob] psst")
    nc.expect("! no such user: nobody")
    telnet.send("/nick robert", "/who", "/help")
    telnet.expect("* You are now known as robert")
    telnet.expect("* Online (2): alice, robert")
    telnet.expect("* /help: show this list")
    nc.expect("* bob is now known as robert")
    nc.send("<quit>")
    assert nc.expect_eof() == b"* Goodbye alice!\r\n"
    telnet.expect("* alice has left the chat")


def test_motd_history_and_limits(daemon, peers, tmp_path):
    """--motd, --history, --max-line-length and --max-clients each change what people see."""
    motd = tmp_path / "motd.txt"
    motd.write_text("Welcome to the test server\nBe kind\n")
    args = ["--motd", str(motd), "--history", "2", "--max-line-length", "100"]
    (port,) = daemon("chatd", "--port", "0", "--max-clients", "2", *args).ports()
    alice = peers(port)
    assert alice.expect("* Please enter a username:") == [
        "* Welcome to the test server",
        "* Be kind",
    ]
    alice.send("alice")
    alice.send("one", "two", "three", "x" * 101, "y" * 100, "/who")
    alice.expect("! line too long (limit 100 bytes)")
    alice.expect("* Online (1): alice")  # the server has read everything alice sent

    bob = peers(port)
    bob.join("bob")
    bob.expect("* Online (2): alice, bob")
    replayed = [bob.next_line(), bob.next_line()]
    assert [line[8:] for line in replayed] == ["alice: three", "alice: " + "y" * 100]

    third = peers(port)
    assert third.expect_eof() == b"! server is full, try again later\r\n"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_tells_everyone_and_exits_cleanly(daemon, peers, signum):
    """On SIGTERM or SIGINT every client hears why, its connection closes, and twistd exits."""
    server = daemon("chatd", "--port", "0")
    (port,) = server.ports()
    alice, pending = peers(port), peers(port)
    alice.join("alice")
    pending.expect("* Please enter a username:")
    server.stop_cleanly(signum, timeout=5)
    assert alice.expect_eof().endswith(b"* server is shutting down\r\n")
    assert pending.expect_eof() == b"* server is shutting down\r\n"


@pytest.mark.parametrize("log_messages", [False, True], ids=["default", "--log-messages"])
def test_message_text_is_logged_only_when_asked(daemon, peers, log_messages):
    """Chat text stays out of the log unless --log-messages is given."""
    extra = ["--log-messages"] if log_messages else []
    server = daemon("chatd", "--port", "0", *extra)
    (port,) = server.ports()
    alice, bob = peers(port), peers(port)
    alice.join("alice")
    bob.join("bob")
    alice.send("the secret is 4711", "/msg bob whisper 0815")
    bob.expect("alice: the secret is 4711")
    bob.expect("[private] alice: whisper 0815")
    server.stop_cleanly()
    log = server.log()
    assert "alice joined" in log
    assert ("4711" in log) is log_messages
    assert ("0815" in log) is log_messages


def test_hostile_input_leaves_the_server_serving(daemon, peers):
    """Garbage, escapes, resets, cut handshakes and 10 MiB lines hurt nobody, and log no error."""
    server = daemon("chatd", "--port", "0")
    (port,) = server.ports()
    watcher = peers(port)
    watcher.join("watcher")

    vandal = peers(port)
    vandal.join("vandal")
    watcher.expect("* vandal has joined the chat")
    vandal.send_raw(b"\xff\xfe\xc3( ok\n\x1b[2J\x1b]0;pwned\x07clear?\n\x00\x01\x7f\x9b31m\n")
    watcher.expect("vandal: \ufffd\ufffd\ufffd( ok")
    watcher.expect("vandal: clear?")
    vandal.send_raw(b"z" * (10 * 1024 * 1024))
    vandal.send_raw(b"\nstill here\n")
    vandal.expect("! line too long (limit 4096 bytes)")
    watcher.expect("vandal: still here")

    cut = peers(port)
    cut.send_raw(b"half-a-na")
    cut.close()
    resetter = peers(port)
    resetter.join("resetter")
    watcher.expect("* resetter has joined the chat")
    resetter.send_raw(b"mid-li")
    resetter.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    resetter.close()
    watcher.expect("* resetter has left the chat")

    fresh = peers(port)
    fresh.join("fresh")
    fresh.expect("* Online (3): fresh, vandal, watcher")
    fresh.send("hello after the storm")
    watcher.expect("fresh: hello after the storm")
    server.stop_cleanly()
