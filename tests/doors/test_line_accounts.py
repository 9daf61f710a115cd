"""Accounts and moderation over the line door: the password request, telnet's echo hidden and
shown again around it (never a telnet byte to nc), and how the new events read on the wire."""

from __future__ import annotations

import pytest
from twisted.internet.defer import maybeDeferred

from chatd.core import events
from chatd.core.accounts import AccountBook
from chatd.core.store import Ban, MemoryStore
from chatd.doors.render import render
from chatd.doors.telnet import DO, DONT, IAC, WILL, WONT
from chatd.passwords import Scrypt
from chatd.portal import CredPasswords

ECHO = 1
AYT = bytes([IAC, 246])
WILL_ECHO, WONT_ECHO = bytes([IAC, WILL, ECHO]), bytes([IAC, WONT, ECHO])
ASK = b"* alice is registered: please enter its password\r\n"


class AtOnce:
    """Password work done at once (with the cheapest scrypt, for speed)."""

    def run(self, work, *args):
        return maybeDeferred(work, *args)

    def stop(self) -> None:
        pass


@pytest.fixture
def chat(make_chat):
    """A chat whose hub has accounts, with ``alice`` registered (password ``correct-horse``)."""
    store = MemoryStore()
    book = AccountBook(store)
    passwords = CredPasswords(book, AtOnce(), Scrypt(log_n=4, r=1, p=1))
    chat = make_chat(store=store, accounts=book, passwords=passwords, operators=["alice"])
    alice = chat.join("alice")
    alice.send(b"/register correct-horse\n")
    assert alice.lines() == ["* alice is now registered"]
    alice.send(b"<quit>\n")
    alice.drop()
    return chat


def test_nc_is_asked_in_plain_text(chat):
    """An nc user is asked for the password in a line, and never sent a telnet byte."""
    wire = chat.connect()
    wire.take()
    wire.send(b"alice\n")
    assert wire.take() == ASK
    wire.send(b"correct-horse\n")
    out = wire.take()
    assert out.startswith(b"* Welcome alice!")
    assert bytes([IAC]) not in out


def test_a_wrong_password_reads_as_the_issue_says(chat):
    """A wrong password is answered with its error line, then the username prompt again."""
    wire = chat.connect()
    wire.take()
    wire.send(b"alice\n", b"wrong-horse\n")
    assert wire.lines()[1:] == ["! wrong password for alice", "* Please enter a username:"]


def test_telnet_typing_is_hidden_while_the_password_is_typed(chat):
    """A connection that spoke telnet gets IAC WILL ECHO before the request; its DO ECHO is
    not refused; after the password, IAC WONT ECHO and the newline telnet did not show."""
    wire = chat.connect()
    wire.send(AYT)
    wire.take()
    wire.send(b"alice\r\n")
    assert wire.take() == WILL_ECHO + ASK
    wire.send(bytes([IAC, DO, ECHO]))
    assert wire.take() == b""
    wire.send(b"correct-horse\r\n")
    out = wire.take()
    assert out.startswith(WONT_ECHO + b"\r\n* Welcome alice!")
    wire.send(bytes([IAC, DONT, ECHO]))
    assert wire.take() == b""


def test_telnet_typing_is_hidden_for_nick_too(chat):
    """/nick to a registered name hides typing the same way, and shows it again after."""
    wire = chat.join("bob")
    wire.send(AYT)
    wire.take()
    wire.send(b"/nick alice\r\n")
    assert wire.take() == WILL_ECHO + ASK
    wire.send(b"wrong-horse\r\n")
    assert wire.take() == WONT_ECHO + b"\r\n! wrong password for alice\r\n"


def test_an_echo_asked_for_out_of_turn_is_refused(chat):
    """Without a password request, DO ECHO is turned down as before."""
    wire = chat.join("bob")
    wire.send(bytes([IAC, DO, ECHO]))
    assert wire.take() == WONT_ECHO


def test_the_door_kind_and_address_reach_the_hub(chat):
    """A plain connection is ``nc`` until it speaks telnet; the hub knows its address."""
    wire = chat.join("bob")
    session = wire.door.session
    assert (session.door, session.address) == ("nc", "127.0.0.1")
    wire.send(AYT)
    assert session.door == "telnet"


T = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC


@pytest.mark.parametrize(
    "event, lines",
    [
        (events.AskPassword("alice"), ["* alice is registered: please enter its password"]),
        (events.Registered("alice"), ["* alice is now registered"]),
        (events.PasswordChanged("alice"), ["* The password of alice is changed"]),
        (events.Unregistered("alice"), ["* alice is no longer registered"]),
        (events.Kicked("bob", "alice", None), ["* bob was kicked by alice"]),
        (events.Kicked("bob", "alice", "spam"), ["* bob was kicked by alice (spam)"]),
        (events.Announcement("back at 5"), ["* Announcement: back at 5"]),
        (events.BanSet("bob", None, "192.0.2.7"),
         ["* Banned bob and the address 192.0.2.7 for good"]),
        (events.BanSet("192.0.2.0/24", T + 1800, None),
         ["* Banned 192.0.2.0/24 until 2023-11-14 22:43 UTC"]),
        (events.BanLifted("bob"), ["* Lifted the ban of bob"]),
        (events.BanList(()), ["* Bans (0):"]),
        (events.BanList((Ban("bob", "bob", "alice", T, None, "spam", "192.0.2.7/32"),
                         Ban("192.0.2.0/24", "192.0.2.0/24", "carol", T, T + 86400))),
         ["* Bans (2):",
          "* bob (address 192.0.2.7): banned by alice on 2023-11-14 22:13 UTC, expires never"
          " (spam)",
          "* 192.0.2.0/24: banned by carol on 2023-11-14 22:13 UTC,"
          " expires 2023-11-15 22:13 UTC"]),
        (events.MuteSet("bob", None), ["* bob is muted until /unmute"]),
        (events.MuteSet("bob", T + 600), ["* bob is muted until 2023-11-14 22:23 UTC"]),
        (events.MuteLifted("bob"), ["* bob is no longer muted"]),
        (events.YouAreMuted("alice", None),
         ["* You were muted by alice until an operator lifts it"]),
        (events.YouAreUnmuted(), ["* You are no longer muted"]),
        (events.WhoIs("bob", T, 75, ("#dev", "#lobby"), "telnet"),
         ["* bob: connected since 2023-11-14 22:13 UTC, idle 1m, rooms #dev #lobby,"
          " door telnet"]),
        (events.WhoIs("bob", T, 3 * 3600 + 120, ("#lobby",), "TLS", True, True, "192.0.2.7"),
         ["* bob: connected since 2023-11-14 22:13 UTC, idle 3h 2m, rooms #lobby, door TLS,"
          " registered, operator, address 192.0.2.7"]),
    ],
)  # fmt: skip
def test_how_accounts_and_moderation_read(event, lines):
    """Each event of accounts and moderation renders as the README documents it."""
    assert render(event) == lines
