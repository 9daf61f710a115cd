"""Unicode that lies about itself, through the line door: forged lines and look-alike names."""

from __future__ import annotations


def test_separators_and_bidi_controls_reach_others_cleaned(chat):
    """U+2028 and bidi controls are gone from what others receive, so no line is forged."""
    alice, bob = chat.join("alice"), chat.join("bob")
    alice.send("hi\u2028* carol has left the chat \u202e\u2066x\u2069\u200b\r\n".encode())
    assert bob.lines() == ["alice: hi * carol has left the chat x"]


def test_long_space_runs_reach_others_cut(chat):
    """75 spaces cannot push `carol: ...` to the start of the next terminal row."""
    alice, bob = chat.join("alice"), chat.join("bob")
    alice.send(b"x" + b" " * 75 + b"carol: forged\n")
    assert bob.lines() == ["alice: x" + " " * 8 + "carol: forged"]


def test_look_alike_name_is_refused_at_the_door(chat):
    """A Cyrillic look-alike of a name online gets `! ...` and may try again."""
    chat.join("alice")
    wire = chat.connect()
    wire.take()
    wire.send("\u0430lice\n".encode())
    (refusal,) = wire.lines()
    assert refusal.startswith("! ")
    wire.send(b"alicia\n")
    assert wire.lines()[0] == "* Welcome alicia! If you ever want to quit, type <quit> to exit."
