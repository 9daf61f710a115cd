"""The classifier's protocol v2 lines: marked lines, room notices, receipts and dated history."""

from __future__ import annotations

import pytest

from chatd.client.lines import (
    LineKind,
    Presence,
    PresenceKind,
    Receipt,
    RoomNotice,
    RoomNoticeKind,
    classify,
    too_long_limit,
)


@pytest.mark.parametrize(
    ("text", "kind", "name", "body", "room"),
    [
        ("#dev bob: hi", LineKind.CHAT, "bob", "hi", "#dev"),
        ("#dev * bob waves", LineKind.NOTICE, None, "bob waves", "#dev"),
        ("#Ünï bob: a: b", LineKind.CHAT, "bob", "a: b", "#Ünï"),
        ("bob: #dev is nice", LineKind.CHAT, "bob", "#dev is nice", None),
        ("#dev", LineKind.OTHER, None, "", None),
        ("#dev just words", LineKind.OTHER, None, "", None),
    ],
)
def test_marked_lines_keep_their_kind_and_name_their_room(text, kind, name, body, room):
    """A ``#room `` line is classified as the line after the mark, and says whose room it is."""
    line = classify(text)
    assert (line.kind, line.name, line.body, line.room, line.text) == (kind, name, body, room, text)


def test_a_marked_line_without_its_mark_is_what_the_room_shows():
    """``unmarked`` is the line as a reader in that room gets it; an unmarked line is itself."""
    assert classify("#dev * carol has joined #dev").unmarked == "* carol has joined #dev"
    assert classify("alice: hi").unmarked == "alice: hi"


def test_marked_presence_and_mentions_still_count():
    """The home room's join arrives marked; mentions of you in a marked line are found."""
    assert classify("#lobby * dan has joined the chat").presence == Presence(
        PresenceKind.JOINED, ("dan",)
    )
    assert classify("#dev bob: hey alice", my_name="alice").mentions_me


@pytest.mark.parametrize(
    ("text", "notice"),
    [
        (
            "* Now talking in #dev (2 here: alice, bob)",
            RoomNotice(RoomNoticeKind.NOW_TALKING, "#dev", ("alice", "bob")),
        ),
        ("* Topic of #dev: ship it", RoomNotice(RoomNoticeKind.TOPIC, "#dev", text="ship it")),
        ("* #dev has no topic", RoomNotice(RoomNoticeKind.TOPIC, "#dev")),
        (
            "* bob set the topic of #dev: a: b",
            RoomNotice(RoomNoticeKind.TOPIC_SET, "#dev", ("bob",), "a: b"),
        ),
        ("* carol has joined #dev", RoomNotice(RoomNoticeKind.MEMBER_JOINED, "#dev", ("carol",))),
        ("* carol has left #dev", RoomNotice(RoomNoticeKind.MEMBER_LEFT, "#dev", ("carol",))),
        (
            "* carol has left #dev (lunch (late))",
            RoomNotice(RoomNoticeKind.MEMBER_LEFT, "#dev", ("carol",)),
        ),
        ("* You left #dev", RoomNotice(RoomNoticeKind.YOU_LEFT, "#dev")),
        ("* In #dev (1): bob", RoomNotice(RoomNoticeKind.MEMBERS, "#dev", ("bob",))),
        (
            "* Rooms (2): #dev (3), #lobby (12)",
            RoomNotice(RoomNoticeKind.ROOMS, names=("#dev", "#lobby")),
        ),
        (
            "* History of #dev (3 lines):",
            RoomNotice(RoomNoticeKind.HISTORY_BEGIN, "#dev", count=3),
        ),
        ("* End of history of #dev", RoomNotice(RoomNoticeKind.HISTORY_END, "#dev")),
        ("* Receipts are on", RoomNotice(RoomNoticeKind.RECEIPTS, text="on")),
    ],
)
def test_room_notices(text, notice):
    """Each room notice of protocol v2 says what it is about, as a notice."""
    line = classify(text)
    assert line.kind is LineKind.NOTICE
    assert line.room_notice == notice


@pytest.mark.parametrize(
    "text",
    [
        "* Now talking in #dev (3 here: alice, bob)",  # the count does not match
        "* Rooms (1): #dev (3), #lobby (12)",
        "* bob waves",
        "* bob has joined the chat",
        "alice: * You left #dev",
    ],
)
def test_other_lines_are_no_room_notice(text):
    """Lines that only look a little like room notices carry none."""
    assert classify(text).room_notice is None


def test_receipts():
    """``+ SEQ #room TIME`` is a receipt with its number, room and time."""
    line = classify("+ 7 #dev 2026-12-02T14:02:07.123Z")
    assert line.kind is LineKind.RECEIPT
    assert line.receipt == Receipt(7, "#dev", "2026-12-02T14:02:07.123Z")
    assert classify("+ seven #dev now").kind is LineKind.OTHER


@pytest.mark.parametrize(
    ("text", "stamp", "name", "body"),
    [
        ("[14:02] alice: hello", "[14:02] ", "alice", "hello"),
        ("[2026-11-30 09:15] alice: older", "[2026-11-30 09:15] ", "alice", "older"),
        ("[2026-11-30 09:15] * bob waves", "[2026-11-30 09:15] ", "bob", "waves"),
    ],
)
def test_history_lines_today_and_older(text, stamp, name, body):
    """History lines carry ``[HH:MM] `` today and ``[YYYY-MM-DD HH:MM] `` before."""
    line = classify(text)
    assert (line.kind, line.stamp, line.name, line.body) == (LineKind.HISTORY, stamp, name, body)


def test_the_limit_of_a_line_too_long():
    """The refusal of a line too long names the limit; other errors have none."""
    assert too_long_limit(classify("! line too long (limit 60 bytes)")) == 60
    assert too_long_limit(classify("! no such room: #x")) is None
    assert too_long_limit(classify("bob: ! line too long (limit 60 bytes)")) is None
