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
        assert client.take() == [
            Refused(f"the username {form} is taken, please choose another", "name_taken")
        ]
    assert room.hub.online() == ("alice",)


@pytest.mark.parametrize(
    "name",
    ["Zoë", "José", "Дмитрий", "山田", "さくら", "हिन्दी", "日本語かな", "한국어", "Ali", "Ελένη"],
)
def test_names_in_other_scripts_are_accepted(name):
    """One script, or Han with kana (Japanese), is a good name, whatever the script."""
    assert check_name(name) == name_key(name)


@pytest.mark.parametrize("invisible", ["\u034f", "\ufe00", "\u180b", "\u17b4", "\u1160"])
def test_invisible_characters_are_refused(invisible):
    """A name with a default-ignorable character would look like the name without it."""
    with pytest.raises(NameRefused, match="invisible"):
        check_name("alice" + invisible)


def test_a_name_of_hangul_fillers_is_refused():
    """U+3164 is a letter by category but draws nothing, so a name of it would be blank."""
    with pytest.raises(NameRefused, match="invisible"):
        check_name("\u3164\u3164")


@pytest.mark.parametrize("name", ["\u0430lice", "p\u0430ypal", "Ωmega"])
def test_mixed_scripts_are_refused(name):
    """Latin mixed with Cyrillic or Greek letters is how look-alike names are made."""
    with pytest.raises(NameRefused, match="mix scripts"):
        check_name(name)


@pytest.mark.parametrize(
    "name", ["\u0455erver", "Welcome\u034f", "server\u034f", "rnod", "AIl", "уеѕ"]
)
def test_names_that_look_reserved_are_refused(name):
    """A reserved name written with look-alike or invisible characters is still refused."""
    with pytest.raises(NameRefused, match=r"reserved|invisible"):
        check_name(name)


def test_look_alike_reserved_names_say_reserved():
    """A Cyrillic ѕ in server is reported as a reserved name, the reason a person needs."""
    with pytest.raises(NameRefused, match="reserved"):
        check_name("\u0455erver")


def test_combining_marks_are_capped():
    """Four combining marks on a letter are allowed (Tibetan stacks), five are refused."""
    assert check_name("a" + "\u0301\u0302\u0303\u0304")
    with pytest.raises(NameRefused, match="combining marks"):
        check_name("a" + "\u0301\u0302\u0303\u0304\u0305")


@pytest.mark.parametrize(
    "online, newcomer",
    [
        ("alice", "\u0430lice"),
        ("alice", "alice\u034f"),
        ("alice", "AIice"),
        ("Alice", "aIice"),
        ("mallory", "rnallory"),
        ("bob0", "bobO"),
        ("coco", "сосо"),
    ],
)
def test_hub_refuses_names_that_look_like_one_online(room, online, newcomer):
    """While a user is online, a name that looks like theirs is refused, whichever came first."""
    room.join(online)
    session, client = room.connect()
    client.take()
    session.receive(newcomer)
    assert session.name is None
    (refusal,) = client.take()
    assert isinstance(refusal, Refused)
    assert room.hub.online() == (online,)


@pytest.mark.parametrize("name", ["\u0455erver", "Welcome\u034f"])
def test_hub_refuses_names_that_look_reserved(room, name):
    """The hub refuses a reserved name in disguise, so nobody can forge a server notice."""
    session, client = room.connect()
    client.take()
    session.receive(name)
    assert session.name is None
    assert room.hub.online() == ()


def test_a_look_alike_name_is_free_again_after_its_holder_leaves(room):
    """Look-alike keys are forgotten with the user, so the name can be taken later."""
    session, _ = room.join("coco")
    session.receive("/quit")
    room.join("сосо")
    assert room.hub.online() == ("сосо",)


def test_whisper_by_exact_name_still_works(room):
    """/msg alice reaches alice, whose look-alike key differs from her name."""
    session, _ = room.join("bob")
    _, alice = room.join("alice")
    alice.take()
    session.receive("/msg alice hi")
    assert [event.text for event in alice.take()] == ["hi"]
