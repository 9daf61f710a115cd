"""Username rules: shape, length, reserved names, and when two names are the same."""

from __future__ import annotations

import pytest

from chatd.core.errors import NameRefused
from chatd.core.events import Refused
from chatd.core.names import MAX_NAME_LENGTH, check_name, name_key


@pytest.mark.parametrize(
    "name",
    [
        "a",
        "alice",
        "Bob_2",
        "x.y-z",
        "9lives",
        "Zoë",
        "Łukasz",
        "名前",
        "राम",
        "a" * MAX_NAME_LENGTH,
    ],
)
def test_good_names(name):
    """Letters and digits of any script, with _ - . after the first character, are accepted."""
    assert check_name(name) == name_key(name)


@pytest.mark.parametrize(
    "name, reason",
    [
        ("", "at least one character"),
        ("a" * (MAX_NAME_LENGTH + 1), "too long (at most 24 characters)"),
        ("two words", "only letters, digits"),
        ("alice:", "only letters, digits"),
        ("[private]", "only letters, digits"),
        ("*star", "only letters, digits"),
        ("bell\x07", "only letters, digits"),
        ("_alice", "must start with a letter or a digit"),
        (".hidden", "must start with a letter or a digit"),
        ("\u0301accent", "must start with a letter or a digit"),
        ("Server", "reserved"),
        ("ＡＤＭＩＮ", "reserved"),
        ("chatd", "reserved"),
    ],
)
def test_bad_names(name, reason):
    """Malformed or reserved names are refused with a reason a person can act on."""
    with pytest.raises(NameRefused, match=reason.replace("(", r"\(").replace(")", r"\)")):
        check_name(name)


def test_names_collide_after_nfkc_and_case_folding():
    """Alice, ALICE and fullwidth ａｌｉｃｅ share a key, as do Straße/STRASSE and decomposed é."""
    assert (
        name_key("Alice") == name_key("alice") == name_key("ＡＬＩＣＥ") == name_key("ａｌｉｃｅ")
    )
    assert name_key("Straße") == name_key("STRASSE")
    assert name_key("Jose\u0301") == name_key("José")
    assert name_key("alice") != name_key("alicia")


def test_hub_refuses_colliding_names(room):
    """The hub treats colliding names as taken, whatever form the newcomer typed."""
    room.join("alice")
    for form in ("Alice", "ALICE", "ａｌｉｃｅ", "Ａｌｉｃｅ"):
        session, client = room.connect()
        client.take()
        session.receive(form)
        assert session.name is None
        assert client.take() == [Refused(f"the username {form} is taken, please choose another")]
    assert room.hub.online() == ("alice",)
