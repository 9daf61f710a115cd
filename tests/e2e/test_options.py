"""Each daemon option changes what people see: --motd, --history, --max-line-length,
--max-clients and --log-messages.

One installed daemon with all of them but history is shared by the module; as in test_chat.py,
every test uses its own usernames and its users have quit when it ends.  History would carry
lines from test to test, so --history gets a daemon of its own.
"""

from __future__ import annotations

import time

import pytest

MOTD = "Welcome to the test server\nBe kind\n"


@pytest.fixture(scope="module")
def server(module_daemon, tmp_path_factory):
    motd = tmp_path_factory.mktemp("motd") / "motd.txt"
    motd.write_text(MOTD)
    return module_daemon(
        "chatd",
        "--port=0",
        f"--motd={motd}",
        "--history=0",
        "--max-line-length=100",
        "--max-clients=2",
        "--log-messages",
    )


@pytest.fixture
def port(server):
    return server.ports()[0]


def test_motd_comes_before_the_prompt(port, peers):
    """The --motd file's lines arrive as notices before the username prompt."""
    visitor = peers(port)
    assert visitor.expect_prompt() == ["* Welcome to the test server", "* Be kind"]


def test_history_replays_the_last_lines_with_their_time(daemon, peers):
    """--history 2 shows a newcomer only the last two chat or action lines, as [HH:MM] LINE."""
    (port,) = daemon("chatd", "--port", "0", "--history", "2").ports()
    hana = peers(port)
    hana.join("hana")
    hana.send("one", "two", "/me waves", "/who")
    assert hana.next_line() == "* Online (1): hana"  # the server has handled all four lines

    hugo = peers(port)
    before = time.strftime("[%H:%M] ", time.gmtime())
    assert hugo.join("hugo") == "* Online (2): hana, hugo"
    replayed = hugo.lines(2)
    after = time.strftime("[%H:%M] ", time.gmtime())
    assert [line[8:] for line in replayed] == ["hana: two", "* hana waves"]
    assert {line[:8] for line in replayed} <= {before, after}
    hugo.send("/who")
    assert hugo.next_line() == "* Online (2): hana, hugo"  # nothing else was replayed


def test_line_over_the_limit_is_refused_and_the_connection_stays(port, peers):
    """--max-line-length 100 counts bytes: 101 are refused with a notice, 100 still go through."""
    lena, leo = peers(port), peers(port, ending=b"\r\n")
    lena.join("lena")
    leo.join("leo")
    assert lena.next_line() == "* leo has joined the chat"

    leo.send("x" * 101, "\u00e9" * 50 + "x", "y" * 100, "\u00e9" * 50)
    assert leo.lines(2) == ["! line too long (limit 100 bytes)"] * 2
    assert lena.lines(2) == ["leo: " + "y" * 100, "leo: " + "\u00e9" * 50]
    leo.send("/who")
    assert leo.next_line() == "* Online (2): lena, leo"


def test_connection_over_max_clients_is_told_and_closed(port, peers):
    """With --max-clients 2 a third connection gets one refusal and is closed; later ones fit."""
    first, second = peers(port), peers(port)
    first.expect_prompt()
    second.join("mira")

    third = peers(port)
    assert third.expect_eof() == b"! server is full, try again later\r\n"

    first.leave()
    fourth = peers(port)
    assert fourth.join("moss") == "* Online (2): mira, moss"


def test_log_messages_puts_message_text_in_the_log(server, port, peers):
    """With --log-messages the text of chat and private messages is logged."""
    lara, lars = peers(port), peers(port)
    lara.join("lara")
    lars.join("lars")
    lara.send("the secret is 4711", "/msg lars whisper 0815")
    assert lars.lines(2) == ["lara: the secret is 4711", "[private] lara: whisper 0815"]
    server.wait_for_log(r"lara: the secret is 4711\n")
    server.wait_for_log(r"lara -> lars: whisper 0815\n")
