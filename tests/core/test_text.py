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


@pytest.mark.parametrize(
    "control",
    [
        *"\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",  # bidi embeddings, isolates
        *"\u200e\u200f\u061c",  # LRM, RLM, ALM
        *"\u200b\u2060\ufeff\u00ad",  # zero-width space, word joiner, BOM, soft hyphen
    ],
)
def test_bidi_controls_and_zero_width_characters_are_removed(control):
    """Format characters that reorder or hide text are removed wherever they stand."""
    assert clean(f"{control}abc{control} d{control}") == "abc d"


@pytest.mark.parametrize("separator", ["\u2028", "\u2029"])
def test_line_and_paragraph_separators_become_spaces(separator):
    """U+2028/U+2029 would start a new line in some clients, forging `* alice has left`."""
    assert clean(f"bye{separator}* alice has left the chat") == "bye * alice has left the chat"


@pytest.mark.parametrize(
    "text",
    [
        "क्\u200dष",  # Devanagari: a half form needs ZWJ after the virama
        "می\u200cخواهم",  # Persian: ZWNJ keeps two letters apart
        "👨\u200d👩\u200d👧",  # an emoji family is one ZWJ sequence
        "❤\ufe0f\u200d🔥",  # after a variation selector
    ],
)
def test_joiners_are_kept_where_they_join(text):
    """ZWJ and ZWNJ between letters, marks and emoji shape scripts and emoji, so they stay."""
    assert clean(text) == text


@pytest.mark.parametrize(
    "raw, cleaned",
    [
        ("\u200dlead", "lead"),
        ("trail\u200c", "trail"),
        ("a \u200d b", "a  b"),
        ("a\u200d\u200db", "ab"),
        ("a\u0301\u200d\u0301\u0301", "a\u0301\u0301\u0301"),
    ],
)
def test_stray_joiners_are_removed(raw, cleaned):
    """A joiner that joins nothing (at an edge, by a space, doubled, before a mark) goes."""
    assert clean(raw) == cleaned


def test_combining_marks_are_capped_per_character():
    """A tower of combining marks is cut to four on each character; a few are kept as sent."""
    assert (
        clean("Z" + "\u0300" * 40 + "a" + "\u0301" * 5) == "Z" + "\u0300" * 4 + "a" + "\u0301" * 4
    )
    assert clean("Vie\u0323\u0302t") == "Vie\u0323\u0302t"


def test_marks_split_by_invisible_characters_are_still_capped():
    """Zero-width characters between marks are removed first, so they cannot reset the count."""
    assert clean("a" + "\u0300\u0300\u0300\u200b" * 3) == "a" + "\u0300" * 4


def test_long_space_runs_are_cut():
    """75 spaces before `alice: ...` would put it at column 0 of the next 80-column row."""
    assert clean(" " * 75 + "alice: forged") == " " * 8 + "alice: forged"
    assert clean("a" + "\t" * 20 + "b") == "a" + " " * 8 + "b"
    assert clean("x" + "\u3000" * 30 + "y") == "x" + "\u3000" * 8 + "y"
    assert clean("indent" + " " * 8 + "kept") == "indent" + " " * 8 + "kept"


@pytest.mark.parametrize(
    "text", ["plain ascii text", "ünïcödé ✓ 名前 Ελληνικά", "emoji 👍🏽 and keycap 1\ufe0f\u20e3"]
)
def test_ordinary_text_is_returned_unchanged(text):
    """Text with nothing to remove comes back as the same string, the fast path."""
    assert clean(text) is text


def test_relayed_text_has_no_bidi_controls_or_separators(room):
    """What the hub relays has lost its bidi controls and line separators."""
    session, _ = room.join("alice")
    _, bob = room.join("bob")
    session.receive("hi\u2028* carol has left the chat\u202e")
    (said,) = bob.take()
    assert said.text == "hi * carol has left the chat"
