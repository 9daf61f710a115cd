"""The directory of users online: lookup by key, names kept in key order through any changes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatd.core.directory import Directory


def test_names_come_in_key_order_whatever_the_order_of_arrival():
    """Names are listed by key (the folded form), not by when they came or by their case."""
    directory: Directory[int] = Directory()
    for number, name in enumerate(["carol", "Alice", "bob", "ÅSA"]):
        directory.add(name.casefold(), name, number)
    assert directory.names() == ("Alice", "bob", "carol", "ÅSA")
    assert directory.get("bob") == 2
    assert len(directory) == 4


def test_removing_a_key_removes_its_name_only():
    """A removed key is neither found nor listed, and the others keep their places."""
    directory: Directory[str] = Directory()
    for key in ["a", "b", "c"]:
        directory.add(key, key.upper(), key)
    directory.remove("b")
    assert directory.names() == ("A", "C")
    assert directory.get("b") is None


def test_a_taken_key_is_refused_and_nothing_changes():
    """Adding a key twice is a bug in the caller, not a second entry."""
    directory: Directory[int] = Directory()
    directory.add("a", "a", 1)
    with pytest.raises(KeyError):
        directory.add("a", "A", 2)
    assert directory.names() == ("a",)
    assert directory.get("a") == 1


@given(st.lists(st.tuples(st.booleans(), st.text(alphabet="abcAB", min_size=1, max_size=3))))
def test_matches_sorting_every_time(changes):
    """After any adds and removes, the names are those of a freshly sorted dict."""
    directory: Directory[str] = Directory()
    model: dict[str, str] = {}
    for add, name in changes:
        key = name.casefold()
        if add and key not in model:
            directory.add(key, name, name)
            model[key] = name
        elif not add and key in model:
            directory.remove(key)
            del model[key]
        assert directory.names() == tuple(model[key] for key in sorted(model))
        assert all(directory.get(key) == name for key, name in model.items())
    assert len(directory) == len(model)
