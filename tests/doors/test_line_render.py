"""Wire protocol v1 as the line door writes it: the exact bytes of every kind of server line."""

from __future__ import annotations

import pytest

from chatd.core import events
from chatd.core.errors import NameRefused
from chatd.core.names import check_name
from chatd.doors.render import encode_notice, render

PROMPT = b"* Please enter a username:\r\n"


def welcome(name: str) -> str:
    return f"* Welcome {name}! If you ever want to quit, type <quit> to exit."


def test_prompt_is_the_first_thing_sent(chat):
    """On connect the door sends exactly one notice line asking for a username, ending in CRLF."""
    wire = chat.connect()
    assert wire.take() == PROMPT
    assert b"username" in PROMPT


def test_motd_lines_come_before_the_prompt(make_chat):
    """Each message-of-the-day line is a `* ` notice sent before the username prompt."""
    chat = make_chat(motd=("Hello there", "Be nice"))
    wire = chat.connect()
    assert wire.take() == b"* Hello there\r\n* Be nice\r\n" + PROMPT


def test_welcome_then_online_for_the_first_user(chat):
    """A successful name gets the welcome notice, then the online list, each ending in CRLF."""
    wire = chat.connect()
    wire.take()
    wire.send(b"alice\r\n")
    assert wire.take() == (welcome("alice") + "\r\n* Online (1): alice\r\n").encode()


def test_join_notice_and_sorted_online_list(chat):
    """Others get `* NAME has joined the chat`; the newcomer's online list ignores case."""
    bob = chat.join("bob")
    alice = chat.join("Alice")
    carol = chat.connect()
    carol.take()
    carol.send(b"carol\n")
    assert carol.lines() == [welcome("carol"), "* Online (3): Alice, bob, carol"]
    assert alice.lines() == ["* carol has joined the chat"]
    assert bob.lines() == ["* carol has joined the chat"]


def test_history_lines_are_prefixed_with_hh_mm(chat, utc):
    """A newcomer gets recent chat and action lines as `[HH:MM] ` plus the original line."""
    alice = chat.join("alice")
    alice.send(b"hello\n", b"/me waves\n")
    bob = chat.connect()
    bob.take()
    bob.send(b"bob\n")
    assert bob.lines() == [
        welcome("bob"),
        "* Online (2): alice, bob",
        "[22:13] alice: hello",
        "[22:13] * alice waves",
    ]


def test_history_zero_replays_nothing(make_chat):
    """With history disabled a newcomer gets only the welcome and the online list."""
    chat = make_chat(history_size=0)
    alice = chat.join("alice")
    alice.send(b"hello\n")
    bob = chat.connect()
    bob.take()
    bob.send(b"bob\n")
    assert bob.lines() == [welcome("bob"), "* Online (2): alice, bob"]


def test_chat_line_goes_to_others_without_echo(chat):
    """A plain line reaches every other user as `NAME: TEXT` and is not echoed to the sender."""
    alice, bob, carol = chat.join("alice"), chat.join("bob"), chat.join("carol")
    alice.send(b"hi all\n")
    assert bob.take() == b"alice: hi all\r\n"
    assert carol.take() == b"alice: hi all\r\n"
    assert alice.take() == b""


def test_double_slash_sends_a_literal_slash_line(chat):
    """`//text` is relayed as the chat line `/text`."""
    alice, bob = chat.join("alice"), chat.join("bob")
    alice.send(b"//shrug\n")
    assert bob.take() == b"alice: /shrug\r\n"
    assert alice.take() == b""


def test_action_line(chat):
    """`/me ACTION` reaches the others as `* NAME ACTION`."""
    alice, bob = chat.join("alice"), chat.join("bob")
    alice.send(b"/me waves\n")
    assert bob.take() == b"* alice waves\r\n"
    assert alice.take() == b""


def test_private_message_lines(chat):
    """`/msg` gives the recipient `[private] NAME: TEXT` and the sender `[private to NAME] TEXT`."""
    alice, bob, carol = chat.join("alice"), chat.join("bob"), chat.join("carol")
    alice.send(b"/msg bob psst, over here\n")
    assert bob.take() == b"[private] alice: psst, over here\r\n"
    assert alice.take() == b"[private to bob] psst, over here\r\n"
    assert carol.take() == b""
    bob.send(b"/w alice ok\r\n")
    assert alice.take() == b"[private] bob: ok\r\n"
    assert bob.take() == b"[private to alice] ok\r\n"


def test_private_message_to_unknown_user_is_an_error_line(chat):
    """`/msg` to someone not online gets `! no such user: NAME`."""
    alice = chat.join("alice")
    alice.send(b"/msg dave hello\n")
    assert alice.take() == b"! no such user: dave\r\n"


def test_unknown_command_is_an_error_line(chat):
    """An unknown command gets `! unknown command: /x (try /help)`."""
    alice = chat.join("alice")
    alice.send(b"/frobnicate now\n")
    assert alice.take() == b"! unknown command: /frobnicate (try /help)\r\n"


def test_who_and_its_aliases(chat):
    """`/who`, `/users` and `/names` each answer with `* Online (K): ...`."""
    alice = chat.join("alice")
    chat.join("bob")
    alice.send(b"/who\n/users\r\n/names\n")
    assert alice.lines() == ["* Online (2): alice, bob"] * 3


def test_help_is_all_notice_lines(chat):
    """`/help` answers with notice lines that mention every command."""
    alice = chat.join("alice")
    alice.send(b"/help\n")
    lines = alice.lines()
    assert lines and all(line.startswith("* ") for line in lines)
    text = "\n".join(lines)
    for command in ("/help", "/who", "/nick", "/me", "/msg", "/quit", "<quit>"):
        assert command in text


def test_rename_lines(chat):
    """`/nick NEW` tells the others `* OLD is now known as NEW` and later lines use the new name."""
    alice, bob = chat.join("alice"), chat.join("bob")
    alice.send(b"/nick alicia\n")
    assert bob.take() == b"* alice is now known as alicia\r\n"
    assert alice.take() == b"* You are now known as alicia\r\n"
    alice.send(b"hi\n")
    assert bob.take() == b"alicia: hi\r\n"


def test_quit_word_says_goodbye_and_closes(chat):
    """`<quit>` gets `* Goodbye NAME!`, closes the connection and tells the others."""
    alice, bob = chat.join("alice"), chat.join("bob")
    alice.send(b"<quit>\r\n")
    assert alice.take() == b"* Goodbye alice!\r\n"
    assert alice.closing
    assert bob.take() == b"* alice has left the chat\r\n"


def test_quit_command_with_reason(chat):
    """`/quit REASON` gives the others `* NAME has left the chat (REASON)`."""
    alice, bob = chat.join("alice"), chat.join("bob")
    alice.send(b"/quit off to lunch\n")
    assert alice.take() == b"* Goodbye alice!\r\n"
    assert alice.closing
    assert bob.take() == b"* alice has left the chat (off to lunch)\r\n"


def test_bad_name_is_an_error_and_may_be_retried(chat):
    """A taken or reserved name gets one `! ` line and the person can try again on the same wire."""
    chat.join("Alice")
    wire = chat.connect()
    wire.take()
    wire.send(b"alice\n")
    [taken] = wire.lines()
    assert taken.startswith("! ") and "taken" in taken
    wire.send(b"admin\n")
    [reserved] = wire.lines()
    assert reserved.startswith("! ") and "reserved" in reserved
    wire.send(b"\xef\xbd\x81lice\n")  # fullwidth a: the same name after NFKC
    [fullwidth] = wire.lines()
    assert fullwidth.startswith("! ")
    wire.send(b"bob\n")
    assert wire.lines() == [welcome("bob"), "* Online (2): Alice, bob"]
    assert not wire.closing


def test_commands_before_a_name_are_refused(chat):
    """Before a username is chosen, a command gets `! please choose a username first`."""
    wire = chat.connect()
    wire.take()
    wire.send(b"/who\n")
    assert wire.take() == b"! please choose a username first\r\n"


def test_shutdown_notice_reaches_every_connection(chat):
    """On shutdown every connection, named or not, gets `* server is shutting down`, then closes."""
    alice, bob = chat.join("alice"), chat.join("bob")
    stranger = chat.connect()
    stranger.take()
    chat.hub.shutdown()
    for wire in (alice, bob, stranger):
        assert wire.take() == b"* server is shutting down\r\n"
        assert wire.closing


@pytest.mark.parametrize(
    "notice",
    [
        *render(events.AskName()),
        *render(events.Welcome("alice")),
        *render(events.Online(("alice", "bob"))),
        *render(events.NameChanged("alice")),
        *render(events.Goodbye(None)),
        *render(events.Goodbye("alice")),
        *render(events.ShuttingDown()),
        *render(events.Help(("Commands:", "/who lists who is online"))),
        encode_notice("yes, chatd is here").decode().rstrip("\r\n"),
    ],
)
def test_no_user_can_forge_a_server_notice_with_me(notice):
    """The server's own notices start with a word no user may take as a name, since `/me` renders
    as `* NAME ACTION` and would otherwise let someone forge them."""
    first_word = notice.removeprefix("* ").split()[0]
    with pytest.raises(NameRefused):
        check_name(first_word)


def test_receipt_times_are_utc_with_milliseconds_rounded_into_the_next_second():
    """A time 0.9996 s past a second rounds up to the next second's .000, not to .1000."""
    from chatd.doors.render import utc_timestamp

    assert utc_timestamp(1_700_000_000.123) == "2023-11-14T22:13:20.123Z"
    assert utc_timestamp(1_700_000_000.9996) == "2023-11-14T22:13:21.000Z"


def test_the_first_word_of_every_server_notice_is_a_reserved_name():
    """No one may be called what a notice starts with: ``/me`` would forge that notice."""
    import re
    from pathlib import Path

    from chatd.core.names import RESERVED_NAMES
    from chatd.doors import render

    source = Path(render.__file__).read_text()
    words = set(re.findall(r'"\* ([A-Z][a-z]+)\b', source))
    assert len(words) >= 10, "the scan found too few notices to be looking in the right place"
    assert {word.casefold() for word in words} <= RESERVED_NAMES


def test_lost_lines_are_announced_in_their_room_and_marked_elsewhere():
    """Lines a cluster lost are announced as in the room, with the room's mark for a reader whose
    current room is another (it was once a notice without a room, which the marked form broke)."""
    from chatd.doors.render import encode, encode_marked

    lost = events.LinesLost("#dev", 41)
    assert encode(lost) == b"* Announcement: some lines of #dev could not be recovered\r\n"
    assert (
        encode_marked(lost) == b"#dev * Announcement: some lines of #dev could not be recovered\r\n"
    )
