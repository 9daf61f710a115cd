"""Which tags each line kind gets in the message view, decided without Tk."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatd.client.lines import classify
from chatd.gui.styling import (
    ACTION,
    ERROR,
    HISTORY,
    ME,
    NOTICE,
    OWN,
    PENDING,
    PRIVATE,
    RECEIPT,
    RECEIPT_MARKS,
    SPEAKER,
    STATUS,
    TAG_LOOKS,
    TIME,
    UNCONFIRMED,
    own_line,
    own_said,
    said,
    server_line,
    status_line,
)

ONLINE = {"ann", "bob", "cat"}


def styled(text: str, me: str | None = "cat") -> list[tuple[str, tuple[str, ...]]]:
    return server_line(classify(text, me), me, ONLINE)


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("* bob has joined the chat", [("* bob has joined the chat", (NOTICE,))]),
        ("* Online (2): bob, cat", [("* Online (2): bob, cat", (NOTICE,))]),
        ("* Please enter a username:", [("* Please enter a username:", (NOTICE,))]),
        ("! no such user: zed", [("! no such user: zed", (ERROR,))]),
        ("ann: hello", [("ann", (SPEAKER,)), (": hello", ())]),
        ("* ann waves", [("* ", (ACTION,)), ("ann", (ACTION, SPEAKER)), (" waves", (ACTION,))]),
        (
            "[private] ann: psst",
            [("[private] ", (PRIVATE,)), ("ann", (PRIVATE, SPEAKER)), (": psst", (PRIVATE,))],
        ),
        ("[private to ann] psst", [("[private to ann] psst", (PRIVATE, OWN))]),
        (
            "[14:02] ann: earlier",
            [("[14:02] ", (HISTORY, TIME)), ("ann", (HISTORY, SPEAKER)), (": earlier", (HISTORY,))],
        ),
        (
            "[14:02] * ann waved",
            [
                ("[14:02] ", (HISTORY, TIME)),
                ("* ", (HISTORY, ACTION)),
                ("ann", (HISTORY, ACTION, SPEAKER)),
                (" waved", (HISTORY, ACTION)),
            ],
        ),
        ("what is this", [("what is this", ())]),
    ],
)
def test_each_line_kind_has_its_tags(text, segments):
    """Notices, errors, chat, actions, private messages and history each get their own tags."""
    assert styled(text) == segments


def test_a_notice_from_somebody_offline_stays_a_notice():
    """Only a notice starting with the name of somebody online is taken as an action."""
    assert styled("* zed waves") == [("* zed waves", (NOTICE,))]
    assert styled("* Welcome to our server") == [("* Welcome to our server", (NOTICE,))]


def test_our_own_name_is_marked_where_others_mention_it():
    """Our name in others' words, chat or private or action, is marked; other words are not."""
    assert styled("ann: hi Cat, and cats") == [
        ("ann", (SPEAKER,)),
        (": hi ", ()),
        ("Cat", (ME,)),
        (", and cats", ()),
    ]
    assert ("cat", (PRIVATE, ME)) in styled("[private] ann: cat?")
    assert ("cat", (ACTION, ME)) in styled("* ann hugs cat")


def test_our_own_name_as_speaker_is_marked():
    """Our own past lines in the history show our name marked, as our echoed lines do."""
    assert ("cat", (HISTORY, SPEAKER, ME)) in styled("[09:00] cat: mine")


def test_own_chat_and_actions_are_shown_as_the_others_see_them():
    """A line we send appears as NAME: TEXT (or * NAME ACTION), tagged as our own."""
    assert own_line("hello  ", "cat") == [("cat", (OWN, SPEAKER, ME)), (": hello", (OWN,))]
    assert own_line("//help me", "cat") == [("cat", (OWN, SPEAKER, ME)), (": /help me", (OWN,))]
    assert own_line(" /ME  waves ", "cat") == [
        ("* ", (ACTION, OWN)),
        ("cat", (ACTION, OWN, SPEAKER, ME)),
        (" waves", (ACTION, OWN)),
    ]


@pytest.mark.parametrize(
    "typed", ["/who", "/msg ann hi", "/nick kit", "/me", "   ", "<quit>", "/QUIT bye"]
)
def test_commands_and_blank_lines_are_not_echoed(typed):
    """The server answers commands itself (leaving too); a blank line is not sent at all."""
    assert own_line(typed, "cat") is None


def test_nothing_is_echoed_before_the_welcome():
    """Before the welcome a typed line is a username, not something said."""
    assert own_line("kit", None) is None


def test_status_lines_have_their_own_tag():
    """What the client itself says is told apart from everything the server sends."""
    assert status_line("Connecting to 127.0.0.1:33000 ...") == [
        ("Connecting to 127.0.0.1:33000 ...", (STATUS,))
    ]


def test_every_tag_has_a_look():
    """Each tag the styling hands out is configured in the window."""
    handed_out = {NOTICE, ERROR, PRIVATE, ACTION, SPEAKER, ME, OWN, TIME, HISTORY, STATUS}
    receipts = {PENDING, RECEIPT, UNCONFIRMED}
    assert handed_out | receipts == set(TAG_LOOKS)
    assert {tag for _piece, tags in RECEIPT_MARKS.values() for tag in tags} <= receipts


@given(st.text(alphabet=st.sampled_from("ab c:*![]()0129 Cat\u00e9"), max_size=40))
def test_the_pieces_always_join_up_to_the_line(text):
    """Whatever the server sends, the styled pieces show exactly its text, nothing lost."""
    for me in ("cat", None):
        assert "".join(piece for piece, _ in styled(text, me)) == text


def test_lines_of_another_room_are_shown_without_their_mark():
    """A marked line is styled as the line its room's view shows, with the time of history."""
    pieces = server_line(classify("#dev bob: hi cat", "cat"), "cat", {"bob"})
    assert "".join(piece for piece, _tags in pieces) == "bob: hi cat"
    action = server_line(classify("#dev * bob waves", "cat"), "cat", {"bob"})
    assert action[0] == ("* ", (ACTION,))
    dated = server_line(classify("[2026-11-30 09:15] bob: old"), "cat", {"bob"})
    assert dated[0] == ("[2026-11-30 09:15] ", (HISTORY, TIME))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bob: hi", "bob: hi"),
        ("#dev bob: hi", "bob: hi"),
        ("#dev * bob waves", "* bob waves"),
        ("[14:02] bob: hi", "bob: hi"),
        ("[2026-11-30 09:15] * bob waves", "* bob waves"),
        ("* carol has joined #dev", None),
        ("* server is shutting down", None),
        ("[private] bob: psst", None),
    ],
)
def test_what_was_said(text, expected):
    """Chat, actions and history lines say what history keeps; notices and private lines not."""
    assert said(classify(text, "cat"), "cat", {"bob"}) == expected


def test_own_lines_as_said():
    """Our own chat and action lines, as the others (and history) see them."""
    assert own_said("hello", "cat") == "cat: hello"
    assert own_said("/me nods", "cat") == "* cat nods"
    assert own_said("/join #dev", "cat") is None
