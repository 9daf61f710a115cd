"""The password request in the client: answered at once, read without echo on a terminal, and
never kept in the scrollback or the Up/Down history."""

from __future__ import annotations

import pytest

from chatd.client.secret import password_wanted
from tests.client.test_terminal import UP, Session

REQUEST = "* alice is registered: please enter its password"
WELCOME = "* Welcome alice! If you ever want to quit, type <quit> to exit."


@pytest.mark.parametrize(
    "line, name",
    [
        (REQUEST, "alice"),
        ("* Ünïcødé is registered: please enter its password", "Ünïcødé"),
        ("bob: * alice is registered: please enter its password", None),
        ("* alice is registered", None),
        ("#dev * alice is registered: please enter its password", None),
    ],
)
def test_the_request_is_recognised_exactly(line, name):
    """Only the server's own request line counts, not a chat line that quotes it."""
    assert password_wanted(line) == name


def test_the_password_is_typed_unseen_and_sent_before_the_welcome(screen):
    """With -n, the name answers the prompt; the password typed next is drawn as nothing, sent
    at once (not held for the welcome), and left out of the scrollback and the history."""
    session = Session(screen, name="alice").connect()
    session.server_says("* Please enter a username:", REQUEST)
    assert session.sent() == ["alice"]
    assert session.look()[-1] == "password (not shown)>"
    session.keys("hunter2-hunter2")
    assert "hunter2" not in "\n".join(session.look())
    session.keys("\r")
    assert session.sent() == ["hunter2-hunter2"]
    session.server_says(WELCOME)
    session.keys(UP + b"\r")
    assert session.sent() == []
    assert "hunter2" not in "\n".join(session.look())


def test_a_half_typed_line_waits_while_the_password_is_typed(screen):
    """After /nick to a registered name, what was half typed comes back after the password."""
    session = Session(screen, name="bob").connect()
    session.server_says("* Please enter a username:", WELCOME.replace("alice", "bob"))
    session.keys("/nick alice\r")
    session.keys("half")
    session.sent()
    session.server_says(REQUEST)
    session.keys("sw0rdfish-1\r")
    assert session.sent() == ["sw0rdfish-1"]
    assert session.look()[-1] == "bob> half"
    assert "sw0rdfish" not in "\n".join(session.look())


def test_a_piped_password_answers_the_request(screen):
    """Lines given before the prompt (a script's) are held; the first answers the request and
    the rest wait for the welcome."""
    session = Session(screen, name="alice")
    session.face.outgoing.send("hunter2-hunter2")
    session.face.outgoing.send("hello")
    session.connect()
    session.server_says("* Please enter a username:")
    assert session.sent() == ["alice"]
    session.server_says(REQUEST)
    assert session.sent() == ["hunter2-hunter2"]
    session.server_says(WELCOME)
    assert session.sent() == ["hello"]
