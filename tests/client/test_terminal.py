"""The terminal face on a fake terminal: keys in, screen out, and the core behind it."""

from __future__ import annotations

import pytest
from twisted.conch.insults.insults import ServerProtocol
from twisted.internet import defer, task
from twisted.internet.testing import StringTransport

from chatd.client.protocol import ChatClientProtocol, GaveUp
from chatd.client.terminal import TerminalFace

UP, LEFT = b"\x1b[A", b"\x1b[D"


class PendingEndpoint:
    """An endpoint whose connection attempt never ends by itself."""

    def connect(self, factory):
        return defer.Deferred()


class Session:
    """A TerminalFace on insults over a StringTransport, a core over another, and a screen."""

    def __init__(
        self, screen, name: str | None = None, colour: bool = False, rooms: bool = False
    ) -> None:
        self.screen = screen
        self.face = TerminalFace(colour=colour, width=lambda: 40)
        self.keyboard = ServerProtocol(lambda: self.face)
        self.terminal = StringTransport()
        self.keyboard.makeConnection(self.terminal)
        probe = {"rooms_probe": False, "on_rooms": self.face.server_has_rooms} if rooms else {}
        self.client = ChatClientProtocol(self.face, task.Clock(), name=name, **probe)
        self.server = StringTransport()

    def connect(self) -> Session:
        self.face.attach(self.client)
        self.client.makeConnection(self.server)
        return self

    def keys(self, data: bytes | str) -> None:
        self.keyboard.dataReceived(data.encode() if isinstance(data, str) else data)

    def server_says(self, *lines: str) -> None:
        self.client.dataReceived("".join(line + "\r\n" for line in lines).encode())

    def look(self) -> list[str]:
        """The screen as a person sees it now."""
        self.screen.write(self.terminal.value())
        self.terminal.clear()
        return self.screen.rows()

    def sent(self) -> list[str]:
        data = self.server.value()
        self.server.clear()
        return data.decode().split("\n")[:-1]


@pytest.fixture
def session(screen):
    s = Session(screen, name="alice").connect()
    s.server_says(
        "* Please enter a username:",
        "* Welcome alice! If you ever want to quit, type <quit> to exit.",
    )
    s.sent()
    return s


def test_prompt_shows_your_name_after_the_welcome(session):
    """Once welcomed, the input row's prompt is the person's name."""
    assert session.look()[-1] == "alice>"


def test_typed_line_is_sent_and_kept_on_screen(session):
    """Enter sends the line and leaves it in the scrollback after the prompt, as a terminal does."""
    session.keys("hello there\r")
    assert session.sent() == ["hello there"]
    assert session.look()[-2:] == ["alice> hello there", "alice>"]


def test_message_arrives_while_typing(session):
    """A line arriving mid-typing appears above; the half-typed text is redrawn intact."""
    session.keys("half a li" + LEFT.decode() * 2)
    session.server_says("bob: are you there?")
    assert session.look()[-2:] == ["bob: are you there?", "alice> half a li"]
    assert session.screen.cursor[0] == len("alice> half a ")
    session.keys("ne\r")
    assert session.sent() == ["half a neli"]


def test_editing_keys(session):
    """Backspace, Ctrl-U and Up edit and recall lines as in a shell."""
    session.keys("helo\x7flo\r")
    session.keys("junk\x15again\r")
    session.keys(UP + b"\r")
    assert session.sent() == ["hello", "again", "again"]


def test_non_ascii_keys_are_typed(session):
    """Keys that send several bytes of UTF-8 arrive as the characters they are."""
    session.keys("h\u00e9 \u2713 \u65e5\r".encode())
    assert session.sent() == ["h\u00e9 \u2713 \u65e5"]


def test_ctrl_d_on_an_empty_line_leaves(session):
    """Ctrl-D on an empty line quits; with text it deletes under the cursor instead."""
    session.keys("ab" + LEFT.decode() + "\x04\r")
    assert session.sent() == ["a"]
    session.keys("\x04")
    assert session.sent() == ["<quit>"]
    assert session.client.quitting


def test_ctrl_c_leaves(session):
    """Ctrl-C leaves the chat the clean way, with <quit>; pressed again it stops waiting."""
    outcomes = []
    session.client.finished.addErrback(outcomes.append)
    session.keys("\x03")
    assert session.sent() == ["<quit>"]
    assert outcomes == []
    session.keys("\x03")
    assert outcomes[0].check(GaveUp)
    assert session.server.disconnecting or session.server.disconnected


def test_ctrl_c_while_connecting_stops_at_once(screen):
    """Ctrl-C before the connection is made cancels connecting instead of waiting for it."""
    s = Session(screen)
    s.face.attach(s.client)
    failures = []
    s.client.connect_to(PendingEndpoint()).addErrback(failures.append)
    s.keys("\x03")
    assert failures[0].check(defer.CancelledError)


def test_colours_on_a_terminal(screen):
    """With colour on, a notice is written dim and an error red."""
    s = Session(screen, colour=True).connect()
    s.server_says("* hello", "! oops")
    written = s.terminal.value()
    assert b"\x1b[2m* hello\x1b[0m" in written
    assert b"\x1b[31m! oops\x1b[0m" in written


def test_ask_for_the_host(screen):
    """Before connecting the face can ask a question; Enter gives the answer."""
    s = Session(screen)
    answers = []
    s.face.ask("Host [127.0.0.1]: ").addCallback(answers.append)
    assert s.look() == ["Host [127.0.0.1]:"]
    s.keys("example.org\r")
    assert answers == ["example.org"]
    assert s.look() == ["Host [127.0.0.1]: example.org", ">"]


def test_giving_up_on_the_question(screen):
    """Ctrl-C or Ctrl-D at the question gives None, so the client can stop."""
    s = Session(screen)
    answers = []
    s.face.ask("Host [127.0.0.1]: ").addCallback(answers.append)
    s.keys("\x03")
    assert answers == [None]


def test_lines_typed_before_attaching_are_kept(screen):
    """What is typed while the face has no client yet is sent once it has one."""
    s = Session(screen)
    s.keys("bob\r")
    s.connect()
    assert s.sent() == ["bob"]


def test_close_clears_the_input_row_without_resetting_the_screen(session):
    """Closing erases the prompt row but keeps the conversation (insults would reset it)."""
    session.server_says("bob: bye")
    session.keys("unsent")
    closed = session.face.close()
    assert session.look()[-1] == "bob: bye"
    assert b"\x1bc" not in session.terminal.value()
    assert session.terminal.disconnecting
    session.keyboard.connectionLost(None)
    assert closed.called
    assert not session.client.quitting  # closing on purpose is not the terminal going away


def test_terminal_going_away_leaves(session):
    """If the terminal disappears (a hang-up), the client quits cleanly."""
    session.keyboard.connectionLost(None)
    assert session.sent() == ["<quit>"]


def test_a_note_appears_above_the_half_typed_line(session):
    """A line from chatd-client itself is printed above the input row, which is redrawn."""
    session.keys("half")
    session.face.show_note("chatd-client: a hint")
    assert session.look()[-2:] == ["chatd-client: a hint", "alice> half"]


@pytest.fixture
def rooms_session(screen):
    """A session with a v2 server: the probe was answered, we are in the home room."""
    s = Session(screen, name="alice", rooms=True).connect()
    s.server_says(
        "* Please enter a username:",
        "* Welcome alice! If you ever want to quit, type <quit> to exit.",
        "* Online (3): alice, Albert, bob",
        "* Receipts are off",
    )
    assert s.sent() == ["alice", "/receipts off"]
    return s


def test_the_prompt_names_the_current_room(rooms_session):
    """With rooms the prompt is NAME #room>, and follows /join and /part."""
    assert rooms_session.look()[-1] == "alice #lobby>"
    assert "* Receipts are off" not in rooms_session.look()  # the probe's answer is hidden
    rooms_session.server_says("* Now talking in #dev (2 here: alice, bob)")
    assert rooms_session.look()[-1] == "alice #dev>"
    rooms_session.server_says("* You left #dev", "* Now talking in #lobby (1 here: alice)")
    assert rooms_session.look()[-1] == "alice #lobby>"


def test_without_rooms_the_prompt_is_the_name(session):
    """Against a server without rooms (v1) the prompt stays NAME>."""
    session.server_says("* Now talking in nothing")
    assert session.look()[-1] == "alice>"


def test_tab_completes_names_rooms_and_commands(rooms_session):
    """Tab completes a command word, a room we heard of and a name online; several are listed."""
    rooms_session.server_says("* Rooms (2): #dev (3), #lobby (12)")
    rooms_session.keys("/jo\t#d\t")
    assert rooms_session.look()[-1] == "alice #lobby> /join #dev"
    rooms_session.keys("\x15hi b\t")
    assert rooms_session.look()[-1] == "alice #lobby> hi bob"
    rooms_session.keys("\x15a\t")  # Albert and alice agree on "al", ignoring case
    assert rooms_session.look()[-1] == "alice #lobby> Al"
    rooms_session.keys("\t")
    assert rooms_session.look()[-2:] == ["Albert  alice", "alice #lobby> Al"]
    rooms_session.keys("i\tthere\r")
    assert rooms_session.sent() == ["alice there"]
