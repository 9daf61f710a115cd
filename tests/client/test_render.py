"""How server lines look on a terminal: when to colour, which colour, and no control characters."""

from __future__ import annotations

import pytest

from chatd.client.lines import classify
from chatd.client.render import (
    DIM,
    MENTION,
    PRIVATE,
    RED,
    RESET,
    ROOM_COLOURS,
    for_terminal,
    room_colour,
    styled,
    use_colour,
)


@pytest.mark.parametrize(
    ("is_terminal", "environ", "expected"),
    [
        (True, {}, True),
        (False, {}, False),
        (True, {"NO_COLOR": "1"}, False),
        (True, {"NO_COLOR": "anything"}, False),
        (True, {"NO_COLOR": ""}, True),  # no-color.org: only a non-empty value counts
        (True, {"TERM": "dumb"}, False),
        (True, {"TERM": "xterm-256color"}, True),
    ],
)
def test_use_colour(is_terminal, environ, expected):
    """Colour only on a terminal, without a non-empty NO_COLOR, and not on a dumb terminal."""
    assert use_colour(is_terminal, environ) is expected


@pytest.mark.parametrize(
    "text",
    [
        "alice: hello",
        "* bob has joined the chat",
        "! no such user: dave",
        "[private] alice: psst",
        "bob: hi alice",
    ],
)
def test_without_colour_lines_are_unchanged(text):
    """Without colour a line is shown exactly as the server sent it."""
    assert styled(classify(text, "alice"), colour=False, my_name="alice") == text


@pytest.mark.parametrize(
    ("text", "style"),
    [
        ("* bob has joined the chat", DIM),
        ("* Please enter a username:", DIM),
        ("* Welcome alice! If you ever want to quit, type <quit> to exit.", DIM),
        ("* Goodbye alice!", DIM),
        ("! no such user: dave", RED),
        ("[private] bob: psst", PRIVATE),
        ("[private to bob] psst", PRIVATE),
    ],
)
def test_kinds_get_their_colour(text, style):
    """Notices are dim, errors red, private messages bold magenta, each reset at the end."""
    assert styled(classify(text, "alice"), colour=True, my_name="alice") == f"{style}{text}{RESET}"


def test_plain_chat_is_not_coloured():
    """Ordinary chat keeps the terminal's own colours."""
    assert styled(classify("bob: hello", "alice"), colour=True, my_name="alice") == "bob: hello"


def test_your_name_stands_out_in_others_words():
    """Each mention of your name in somebody's words is highlighted, and nothing else is."""
    line = classify("bob: Alice, alice? malice", "alice")
    assert styled(line, colour=True, my_name="alice") == (
        f"bob: {MENTION}Alice{RESET}, {MENTION}alice{RESET}? malice"
    )


def test_the_senders_name_is_not_a_mention():
    """A history line is searched for mentions only in what was said, not in who said it."""
    line = classify("[10:00] alicia: alice", "alice")
    assert styled(line, colour=True, my_name="alice") == f"[10:00] alicia: {MENTION}alice{RESET}"


def test_control_characters_never_reach_the_terminal():
    """Escape sequences and other controls from the server are removed; TAB becomes a space."""
    assert for_terminal("a\x1b[2Jb\x07c\td\x9be\r") == "a[2Jbc de"
    line = classify("* motd \x1b]0;owned\x07")
    assert "\x1b]" not in styled(line, colour=False)
    assert styled(line, colour=True).startswith(DIM + "* motd ]0;owned")


def test_a_room_mark_gets_its_rooms_colour_and_the_rest_its_kind():
    """The ``#room`` of another room's line is in the room's colour; the rest as its kind says."""
    line = classify("#dev * carol has joined #dev")
    assert styled(line, colour=True) == (
        f"{room_colour('#dev')}#dev{RESET} {DIM}* carol has joined #dev{RESET}"
    )
    assert styled(line, colour=False) == "#dev * carol has joined #dev"


def test_each_room_keeps_its_colour():
    """A room's colour depends only on its name (ignoring case), never red or magenta."""
    assert room_colour("#dev") == room_colour("#DEV")
    assert {room_colour(f"#room{n}") for n in range(40)} <= set(ROOM_COLOURS)
    assert len({room_colour(f"#room{n}") for n in range(40)}) > 1
    assert RED not in ROOM_COLOURS and PRIVATE not in ROOM_COLOURS
