"""The line classifier: every line kind of wire protocol v1, and mentions of your own name."""

from __future__ import annotations

import pytest

from chatd.client.lines import (
    LineKind,
    Presence,
    PresenceKind,
    ServerLine,
    classify,
    find_mentions,
)


@pytest.mark.parametrize(
    ("text", "kind", "name", "body"),
    [
        ("alice: hello", LineKind.CHAT, "alice", "hello"),
        ("alice: a: b", LineKind.CHAT, "alice", "a: b"),
        ("* bob has joined the chat", LineKind.NOTICE, None, "bob has joined the chat"),
        ("* Online (2): alice, bob", LineKind.NOTICE, None, "Online (2): alice, bob"),
        ("* bob waves", LineKind.NOTICE, None, "bob waves"),
        ("* server is shutting down", LineKind.NOTICE, None, "server is shutting down"),
        ("! no such user: dave", LineKind.ERROR, None, "no such user: dave"),
        ("[private] alice: psst", LineKind.PRIVATE, "alice", "psst"),
        ("[private to bob] psst", LineKind.PRIVATE_SENT, "bob", "psst"),
        ("[14:02] alice: hello", LineKind.HISTORY, "alice", "hello"),
        ("[14:02] * alice waves", LineKind.HISTORY, "alice", "waves"),
        ("* Please enter a username:", LineKind.PROMPT, None, "Please enter a username:"),
        ("* Goodbye!", LineKind.GOODBYE, None, "Goodbye!"),
        ("* Goodbye alice!", LineKind.GOODBYE, "alice", "Goodbye alice!"),
        ("* You are now known as ally", LineKind.NEW_NAME, "ally", "You are now known as ally"),
        ("hello there", LineKind.OTHER, None, ""),
        ("", LineKind.OTHER, None, ""),
    ],
)
def test_each_kind(text, kind, name, body):
    """Each server line form of protocol v1 gets its kind, the name it carries and its words."""
    line = classify(text)
    assert (line.kind, line.name, line.body, line.text) == (kind, name, body, text)


def test_welcome_carries_the_accepted_name():
    """The welcome line is recognised and tells which name the server accepted."""
    line = classify("* Welcome ａｌｉｃｅ! If you ever want to quit, type <quit> to exit.")
    assert line.kind is LineKind.WELCOME
    assert line.name == "ａｌｉｃｅ"


def test_a_chat_line_that_looks_like_another_kind_stays_chat():
    """Words that look like markers inside a chat line do not change its kind."""
    assert classify("alice: * not a notice").kind is LineKind.CHAT
    assert classify("alice: ! not an error").kind is LineKind.CHAT
    assert classify("alice: [private] bob: no").kind is LineKind.CHAT


def test_notice_kinds_are_notices():
    """Prompt, welcome, new name and goodbye are shown like any other notice."""
    notices = {kind for kind in LineKind if kind.is_notice}
    assert notices == {
        LineKind.NOTICE,
        LineKind.PROMPT,
        LineKind.WELCOME,
        LineKind.NEW_NAME,
        LineKind.GOODBYE,
    }


@pytest.mark.parametrize(
    ("text", "mentioned"),
    [
        ("bob: hi alice", True),
        ("bob: hi Alice!", True),
        ("bob: ALICE, are you there?", True),
        ("bob: alice.", True),
        ("bob: malice aforethought", False),
        ("bob: alice_2 is not you", False),
        ("alice: I am alice", False),  # your own words are not a mention
        ("[private] bob: alice?", True),
        ("[14:02] bob: hi alice", True),
        ("[14:02] alice: hi alice", False),
        ("* bob waves at alice", False),  # notices are not somebody's words
    ],
)
def test_mentions(text, mentioned):
    """A line mentions you when somebody else's words contain your name as a whole word."""
    assert classify(text, my_name="alice").mentions_me is mentioned


def test_no_mentions_before_you_have_a_name():
    """Before the welcome nobody can mention you."""
    assert classify("bob: alice").mentions_me is False


def test_find_mentions_spans():
    """find_mentions gives the spans of each whole-word occurrence, ignoring case."""
    assert find_mentions("Alice and alice, not malice", "alice") == [(0, 5), (10, 15)]
    assert find_mentions("anything", None) == []


def test_server_lines_are_immutable():
    """A ServerLine can be shared between faces without one changing it under the other."""
    line = classify("alice: hi")
    assert isinstance(line, ServerLine)
    with pytest.raises(AttributeError):
        line.kind = LineKind.ERROR  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "presence"),
    [
        ("* bob has joined the chat", Presence(PresenceKind.JOINED, ("bob",))),
        ("* bob has left the chat", Presence(PresenceKind.LEFT, ("bob",))),
        ("* bob has left the chat (idle)", Presence(PresenceKind.LEFT, ("bob",))),
        ("* bob has left the chat (gone: home (late))", Presence(PresenceKind.LEFT, ("bob",))),
        ("* bob is now known as rob", Presence(PresenceKind.RENAMED, ("bob", "rob"))),
        ("* Online (1): ann", Presence(PresenceKind.ONLINE, ("ann",))),
        ("* Online (3): ann, Bob, ｃａｌ", Presence(PresenceKind.ONLINE, ("ann", "Bob", "ｃａｌ"))),
    ],
)
def test_notices_about_who_is_here_carry_a_presence(text, presence):
    """Joins, leaves (with or without a reason), renames and the online list say who is here."""
    line = classify(text)
    assert line.kind is LineKind.NOTICE
    assert line.presence == presence


@pytest.mark.parametrize(
    "text",
    [
        "* bob waves",
        "* bob has joined the chat!",
        "* Online (2): ann",  # the count does not match the names
        "* Online (2): ann, b ob",
        "* server is shutting down",
        "alice: * bob has joined the chat",
        "[14:02] * bob has joined the chat",
        "* You are now known as rob",
        "! bob has left the chat",
    ],
)
def test_other_lines_carry_no_presence(text):
    """Actions, other notices, and lines of other kinds say nothing about who is here."""
    assert classify(text).presence is None
