"""The user list model: kept current from the server's notices, without Tk."""

from __future__ import annotations

from chatd.client.lines import classify, name_key
from chatd.client.roster import Roster

WELCOME = "* Welcome {}! If you ever want to quit, type <quit> to exit."


def fed(*lines: str) -> Roster:
    roster = Roster()
    for line in lines:
        roster.apply(classify(line, roster.me))
    return roster


def test_the_welcome_and_the_online_list_fill_it():
    """After the handshake the list is the server's online list, sorted ignoring case."""
    roster = fed(WELCOME.format("cat"), "* Online (3): Bob, ann, cat")
    assert roster.names() == ["ann", "Bob", "cat"]
    assert roster.me == "cat"


def test_joins_leaves_and_renames_keep_it_current():
    """Each join, leave (with or without a reason) and rename changes the list as it says."""
    roster = fed(WELCOME.format("cat"), "* Online (2): ann, cat")
    assert roster.apply(classify("* dan has joined the chat"))
    assert roster.names() == ["ann", "cat", "dan"]
    assert roster.apply(classify("* ann has left the chat (idle)"))
    assert roster.apply(classify("* dan is now known as Dave"))
    assert roster.names() == ["cat", "Dave"]
    assert roster.apply(classify("* Dave has left the chat"))
    assert roster.names() == ["cat"]


def test_lines_that_say_nothing_about_presence_change_nothing():
    """Chat from somebody listed, errors and other notices leave the list as it was."""
    roster = fed(WELCOME.format("cat"), "* Online (2): ann, cat")
    for line in ("ann: hi", "! no such user: zed", "* server is shutting down", "* ann waves"):
        assert not roster.apply(classify(line))
    assert roster.names() == ["ann", "cat"]


def test_who_replaces_the_list():
    """A later ``* Online`` line (the answer to /who) is the whole truth."""
    roster = fed(WELCOME.format("cat"), "* Online (2): ann, cat", "* bob has joined the chat")
    assert roster.apply(classify("* Online (3): cat, eve, Fay"))
    assert roster.names() == ["cat", "eve", "Fay"]


def test_our_own_rename_moves_our_name():
    """After our /nick the list shows the new name instead of the old one, even a case change."""
    roster = fed(WELCOME.format("cat"), "* Online (2): ann, cat")
    assert roster.apply(classify("* You are now known as Cat"))
    assert roster.names() == ["ann", "Cat"]
    assert roster.me == "Cat"


def test_somebody_speaking_is_online():
    """Words from a name the list lost (a /me that mimicked a leave) put it back."""
    roster = fed(WELCOME.format("cat"), "* Online (2): ann, cat", "* ann has left the chat")
    assert roster.apply(classify("ann: still here"))
    assert roster.apply(classify("[private] bob: psst"))
    assert roster.names() == ["ann", "bob", "cat"]


def test_history_does_not_make_anybody_online():
    """Replayed lines were said in the past; their speakers may be long gone."""
    roster = fed(WELCOME.format("cat"), "* Online (1): cat")
    assert not roster.apply(classify("[14:02] ann: earlier"))
    assert roster.names() == ["cat"]


def test_names_are_compared_as_the_server_compares_them():
    """``ａｌｉｃｅ`` leaving removes ``Alice``: NFKC and case folding, as the server does."""
    roster = fed(WELCOME.format("cat"), "* Online (2): Alice, cat")
    assert "alice" in roster
    roster.apply(classify("* ａｌｉｃｅ has left the chat"))
    assert roster.names() == ["cat"]
    assert name_key("ＡＬＩＣＥ") == name_key("alice")


def test_goodbye_and_clear_empty_it():
    """Once we have left, nobody is known to be online."""
    roster = fed(WELCOME.format("cat"), "* Online (2): ann, cat", "* Goodbye cat!")
    assert roster.names() == []
    assert roster.me is None
    roster = fed(WELCOME.format("cat"), "* Online (2): ann, cat")
    roster.clear()
    assert (roster.names(), roster.me, len(roster)) == ([], None, 0)
