"""Slash commands through a session: /help /who /nick /me /msg, usage errors, unknown words."""

from __future__ import annotations

import pytest

from chatd.core.commands import COMMANDS
from chatd.core.events import (
    Acted,
    Goodbye,
    Help,
    Left,
    NameChanged,
    Online,
    Refused,
    Renamed,
    Whispered,
    WhisperSent,
)


def test_help_lists_every_command_from_the_table(room):
    """/help is generated from the command table, one line per command plus // and <quit>;
    the operators' commands are not shown to others."""
    session, client = room.join("alice")
    session.receive("/help")
    (help_event,) = client.take()
    assert isinstance(help_event, Help)
    assert help_event.lines[0] == "Commands:"
    everyone = [c for c in COMMANDS if not c.operator]
    assert help_event.lines[1 : len(everyone) + 1] == tuple(c.help_line() for c in everyone)
    assert not any(line.startswith("/kick") for line in help_event.lines)
    assert "/who (also /users, /names): list who is online" in help_event.lines
    assert help_event.lines[-1] == "<quit>: leave the chat"


@pytest.mark.parametrize("line", ["/who", "/users", "/names", "/WHO", "  /who"])
def test_who_and_its_aliases(room, line):
    """/who, its aliases and any capitalisation list everyone online, sorted ignoring case."""
    room.join("bob")
    room.join("Carol")
    session, client = room.join("alice")
    session.receive(line)
    assert client.take() == [Online(("alice", "bob", "Carol"))]


def test_nick_renames_and_tells_the_others(room):
    """/nick confirms to the user and announces OLD is now known as NEW to the others."""
    session, alice = room.join("alice")
    _, bob = room.join("bob")
    session.receive("/nick alicia")
    assert alice.take() == [NameChanged("alicia")]
    assert bob.take() == [Renamed("alice", "alicia")]
    assert room.hub.online() == ("alicia", "bob")


def test_nick_may_change_only_the_case(room):
    """Changing only the case of one's own name is allowed; the same name is refused."""
    session, alice = room.join("alice")
    session.receive("/nick Alice")
    assert alice.take() == [NameChanged("Alice")]
    session.receive("/nick Alice")
    assert alice.take() == [Refused("you are already Alice", "name_unchanged")]


@pytest.mark.parametrize(
    "line, reason, code",
    [
        ("/nick", "usage: /nick NEW", "usage"),
        ("/nick two words", "usage: /nick NEW", "usage"),
        ("/nick BOB", "the username BOB is taken, please choose another", "name_taken"),
        ("/nick server", "the username server is reserved, please choose another", "name_reserved"),
        ("/nick -x", "a username must start with a letter or a digit", "name_invalid"),
    ],
)
def test_nick_refusals(room, line, reason, code):
    """A refused /nick leaves the name unchanged and tells only the user why."""
    session, alice = room.join("alice")
    _, bob = room.join("bob")
    session.receive(line)
    assert alice.take() == [Refused(reason, code)]
    assert bob.take() == []
    assert session.name == "alice"


def test_me_goes_to_the_others(room):
    """/me ACTION reaches every other user as an action."""
    session, alice = room.join("alice")
    _, bob = room.join("bob")
    session.receive("/me waves")
    assert bob.take() == [Acted("alice", "waves", room.clock.now)]
    assert alice.take() == []
    session.receive("/me")
    assert alice.take() == [Refused("usage: /me ACTION", "usage")]


@pytest.mark.parametrize("command", ["/msg", "/w", "/MSG"])
def test_private_message(room, command):
    """/msg and /w reach only the named user (matched by key) and confirm to the sender."""
    session, alice = room.join("alice")
    _, bob = room.join("Bob")
    _, carol = room.join("carol")
    session.receive(f"{command} bob  see you at 3 ")
    assert bob.take() == [Whispered("alice", "see you at 3")]
    assert alice.take() == [WhisperSent("Bob", "see you at 3")]
    assert carol.take() == []


@pytest.mark.parametrize(
    "line, reason, code",
    [
        ("/msg dave hi", "no such user: dave", "no_such_user"),
        ("/msg bob", "usage: /msg NAME TEXT", "usage"),
        ("/msg bob   ", "usage: /msg NAME TEXT", "usage"),
        ("/msg", "usage: /msg NAME TEXT", "usage"),
    ],
)
def test_private_message_refusals(room, line, reason, code):
    """A /msg to nobody or without text is refused and reaches no one."""
    room.join("bob")
    session, alice = room.join("alice")
    session.receive(line)
    assert alice.take() == [Refused(reason, code)]


@pytest.mark.parametrize("line, word", [("/dance now", "dance"), ("/", ""), ("/x", "x")])
def test_unknown_command(room, line, word):
    """An unknown command is refused with a pointer to /help and is not relayed."""
    session, alice = room.join("alice")
    _, bob = room.join("bob")
    session.receive(line)
    assert alice.take() == [Refused(f"unknown command: /{word} (try /help)", "unknown_command")]
    assert bob.take() == []


@pytest.mark.parametrize(
    "line, expected",
    [
        ("/HELP", Help),
        ("/Who", Online),
        ("/NAMES", Online),
        ("/Users", Online),
        ("/NICK alicia", NameChanged),
        ("/W bob hi", WhisperSent),
    ],
)
def test_command_words_ignore_case(room, line, expected):
    """Command words are matched without regard to case, aliases included."""
    room.join("bob")
    session, alice = room.join("alice")
    session.receive(line)
    (event,) = alice.take()
    assert type(event) is expected


def test_me_ignores_case_of_the_command_word(room):
    """/ME works like /me."""
    session, _ = room.join("alice")
    _, bob = room.join("bob")
    session.receive("/ME nods")
    assert bob.take() == [Acted("alice", "nods", room.clock.now)]


def test_whisper_alias_to_an_unknown_user(room):
    """/w to a name nobody has is refused with that name."""
    session, alice = room.join("alice")
    session.receive("/w Nobody hello")
    assert alice.take() == [Refused("no such user: Nobody", "no_such_user")]


def test_private_message_finds_a_user_by_any_form_of_the_name(room):
    """/msg matches names the same way name collisions do, so ＢＯＢ reaches Bob."""
    session, alice = room.join("alice")
    _, bob = room.join("Bob")
    session.receive("/msg ＢＯＢ psst")
    assert bob.take() == [Whispered("alice", "psst")]
    assert alice.take() == [WhisperSent("Bob", "psst")]


def test_nick_frees_the_old_name(room):
    """After a rename the old name can be taken by someone else, and the new one cannot."""
    session, _ = room.join("alice")
    session.receive("/nick alicia")
    newcomer, client = room.connect()
    client.take()
    newcomer.receive("ＡＬＩＣＩＡ")
    assert client.take() == [
        Refused("the username ＡＬＩＣＩＡ is taken, please choose another", "name_taken")
    ]
    newcomer.receive("Alice")
    assert newcomer.name == "Alice"
    assert room.hub.online() == ("Alice", "alicia")


def test_quit_command_ignores_case_and_keeps_the_reason(room):
    """/QUIT with a reason leaves like /quit and passes the reason on."""
    session, alice = room.join("alice")
    _, bob = room.join("bob")
    session.receive("/QUIT  gone fishing ")
    assert alice.take() == [Goodbye("alice")]
    assert bob.take() == [Left("alice", "gone fishing")]
