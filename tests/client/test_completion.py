"""Tab completion: command words, room names and usernames, ignoring case."""

from __future__ import annotations

from chatd.client.completion import Completion, complete

NAMES = ["alice", "Albert", "bob"]
ROOMS = ["#dev", "#design", "#lobby"]


def tab(text: str, cursor: int | None = None, has_rooms: bool = True) -> Completion:
    return complete(text, len(text) if cursor is None else cursor, NAMES, ROOMS, has_rooms)


def test_a_single_match_is_completed_with_a_space():
    """One match replaces the word, spelled as the match, and a space follows."""
    assert tab("hi BO") == Completion("hi bob ", 7)
    assert tab("/jo") == Completion("/join ", 6)
    assert tab("/join #lo") == Completion("/join #lobby ", 13)


def test_several_matches_extend_as_far_as_they_agree_then_list():
    """Matches extend the word to their shared start; with nothing to add, they are listed."""
    assert tab("/join #d") == Completion("/join #de", 9)
    assert tab("/join #de").choices == ("#design", "#dev")
    assert tab("al").choices == ("Albert", "alice")


def test_the_word_before_the_cursor_is_completed_in_the_middle_of_a_line():
    """Text after the cursor stays; a space already there is not doubled."""
    assert tab("tell bo now", cursor=7) == Completion("tell bob now", 9)


def test_room_commands_only_with_rooms():
    """Against a server without rooms the room commands are not offered."""
    assert tab("/jo", has_rooms=False) == Completion("/jo", 3)
    assert tab("/w", has_rooms=False).choices == ("/w", "/who")


def test_nothing_to_complete():
    """No word, or no match, changes nothing; a / that is not the first word is no command."""
    assert tab("") == Completion("", 0)
    assert tab("zz") == Completion("zz", 2)
    assert tab("say /jo") == Completion("say /jo", 7)
