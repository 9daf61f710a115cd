"""Inbound text hygiene: no escape sequences or control characters survive into relayed text."""

from __future__ import annotations

import pytest

from chatd.core.events import Left
from chatd.core.text import clean


@pytest.mark.parametrize(
    "raw, cleaned",
    [
        ("plain text", "plain text"),
        ("tab\tseparated", "tab separated"),
        ("\x1b[31mred\x1b[0m", "red"),
        ("\x1b[2J\x1b[Hcleared", "cleared"),
        ("\x1b]0;new title\x07after", "after"),
        ("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "link"),
        ("\x1bcreset", "reset"),
        ("\x1bPq#0;2;0;0;0\x1b\\sixel gone", "sixel gone"),
        ("\x1b(Bcharset", "charset"),
        ("bell\x07 nul\x00 bs\x08 del\x7f", "bell nul bs del"),
        ("c1 \x9b31m csi \x85 nel", "c1 31m csi  nel"),
        ("carriage\rreturn", "carriagereturn"),
        ("dangling escape \x1b", "dangling escape "),
        ("replacement \ufffd stays", "replacement \ufffd stays"),
        ("unicode ✓ ünïcödé 名前", "unicode ✓ ünïcödé 名前"),
    ],
)
def test_clean(raw, cleaned):
    """Escape sequences and C0/C1 controls are removed, TAB becomes a space, text survives."""
    assert clean(raw) == cleaned


def test_relayed_text_is_clean(room):
    """What the hub relays has been cleaned, so nobody paints on another terminal."""
    session, _ = room.join("alice")
    _, bob = room.join("bob")
    session.receive("\x1b[2Jhi\tthere\x00")
    (said,) = bob.take()
    assert said.text == "hi there"


def test_lines_that_clean_to_nothing_are_ignored(room):
    """A line of only control characters or escapes is not relayed as an empty message."""
    session, _ = room.join("alice")
    _, bob = room.join("bob")
    session.receive("\x1b[31m\x07\x00")
    assert bob.take() == []


def test_actions_private_messages_and_reasons_are_clean(room):
    """/me text, /msg text and /quit reasons are cleaned like chat lines."""
    session, alice = room.join("alice")
    _, bob = room.join("bob")
    session.receive("/me \x1b[5mblinks\x07")
    session.receive("/msg bob \x1b]0;pwned\x07hi\tthere")
    assert [(type(event).__name__, event.text) for event in bob.take()] == [
        ("Acted", "blinks"),
        ("Whispered", "hi there"),
    ]
    alice.take()
    session.receive("/quit \x1b[2Jbye\x9b")
    assert bob.take() == [Left("alice", "bye")]
