"""nc-style users on one installed ``twistd -n chatd --port 0``: handshake, chat, commands, quit.

The daemon is shared by the module.  Each test uses its own usernames, its users quit when it ends
(the ``peers`` fixture waits for the server to close them) and history is off, so every test
starts with nobody online and nothing to replay.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def server(module_daemon):
    return module_daemon("chatd", "--port", "0", "--history", "0")


@pytest.fixture
def port(server):
    return server.ports()[0]


def test_lf_and_crlf_users_handshake_and_chat(port, peers):
    """An LF (nc) user and a CRLF (telnet) user join, see each other, and chat both ways."""
    nc, telnet = peers(port), peers(port, ending=b"\r\n")
    assert nc.join("ann") == "* Online (1): ann"
    assert telnet.join("ben") == "* Online (2): ann, ben"
    assert nc.next_line() == "* ben has joined the chat"

    nc.send("hi ben")
    assert telnet.next_line() == "ann: hi ben"
    telnet.send("hi ann", "  spaced  out")
    assert nc.lines(2) == ["ben: hi ann", "ben:   spaced  out"]
    nc.send("/who")
    assert nc.next_line() == "* Online (2): ann, ben"  # nothing else arrived: no echo


def test_commands(port, peers):
    """/who and its aliases, /me, /msg and /w, /nick, //text and unknown commands work."""
    cat, dan = peers(port), peers(port)
    cat.join("cat")
    dan.join("dan")
    assert cat.next_line() == "* dan has joined the chat"

    dan.send("/users", "/names")
    assert dan.lines(2) == ["* Online (2): cat, dan"] * 2
    cat.send("/me waves", "//slash stays")
    assert dan.lines(2) == ["* cat waves", "cat: /slash stays"]
    cat.send("/msg dan psst", "/w Dan hush", "/msg nobody hello")
    assert cat.lines(3) == [
        "[private to dan] psst",
        "[private to dan] hush",
        "! no such user: nobody",
    ]
    assert dan.lines(2) == ["[private] cat: psst", "[private] cat: hush"]
    dan.send("/nick dave", "/frobnicate")
    assert dan.lines(2) == [
        "* You are now known as dave",
        "! unknown command: /frobnicate (try /help)",
    ]
    assert cat.next_line() == "* dan is now known as dave"
    cat.send("/who")
    assert cat.next_line() == "* Online (2): cat, dave"


def test_help_lists_every_command(port, peers):
    """/help answers with notice lines naming every command and how to quit."""
    eve = peers(port)
    eve.join("eve")
    eve.send("/help", "/who")
    help_lines = eve.expect("* Online (1): eve")
    assert help_lines[0] == "* Commands:"
    assert all(line.startswith("* ") for line in help_lines)
    text = "\n".join(help_lines)
    for command in ("/help", "/who", "/users", "/names", "/nick", "/me", "/msg", "/w", "/quit"):
        assert command in text
    assert "<quit>" in text


def test_names_are_checked_and_can_be_retried(port, peers):
    """Taken (also case-folded or fullwidth), reserved and bad names are refused; retry works."""
    fay, gus = peers(port), peers(port)
    fay.join("fay")
    gus.expect_prompt()
    gus.send("FAY", "\uff46\uff41\uff59", "Admin", "-dash", "g" * 25, "/who")
    assert gus.lines(6) == [
        "! the username FAY is taken, please choose another",
        "! the username \uff46\uff41\uff59 is taken, please choose another",
        "! the username Admin is reserved, please choose another",
        "! a username must start with a letter or a digit",
        "! that username is too long (at most 24 characters)",
        "! please choose a username first",
    ]
    gus.send("gus")
    assert gus.lines(2) == [gus.welcome("gus"), "* Online (2): fay, gus"]
    assert fay.next_line() == "* gus has joined the chat"  # and no notice for the refusals


def test_quit_and_lost_connections_tell_the_others(port, peers):
    """<quit> and /quit say goodbye; dropped users leave; a half-joined connection is silent."""
    hal, ivy, jon, kim = peers(port), peers(port), peers(port), peers(port)
    hal.join("hal")
    ivy.join("ivy")
    jon.join("jon")
    kim.expect_prompt()
    assert hal.lines(2) == ["* ivy has joined the chat", "* jon has joined the chat"]

    kim.close()  # mid-handshake: nobody hears of it
    ivy.send("<quit>", "never relayed")
    assert ivy.expect_eof() == b"* jon has joined the chat\r\n* Goodbye ivy!\r\n"
    jon.send("/quit off to lunch")
    assert jon.expect_eof() == b"* ivy has left the chat\r\n* Goodbye jon!\r\n"
    lost = peers(port)
    lost.join("lou")
    lost.close()
    assert hal.lines(4) == [
        "* ivy has left the chat",
        "* jon has left the chat (off to lunch)",
        "* lou has joined the chat",
        "* lou has left the chat",
    ]
    hal.send("/who")
    assert hal.next_line() == "* Online (1): hal"


def test_message_text_is_not_logged_by_default(server, port, peers):
    """Without --log-messages the log records joins but no chat or private text."""
    max_, ned = peers(port), peers(port)
    max_.join("max")
    ned.join("ned")
    # Words, not numbers: a port number in the log could contain the digits.
    max_.send("the secret is swordfish", "/msg ned whisper marzipan", "/nick maxi")
    assert ned.lines(3) == [
        "max: the secret is swordfish",
        "[private] max: whisper marzipan",
        "* max is now known as maxi",
    ]
    server.wait_for_log(r"max is now maxi\n")  # logged after both messages were handled
    log = server.log()
    assert "ned joined" in log
    assert "swordfish" not in log
    assert "marzipan" not in log
