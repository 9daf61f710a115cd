"""The client core over a StringTransport: framing, the --name handshake, held lines, leaving."""

from __future__ import annotations

import pytest
from twisted.internet import defer, error, task
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure

from chatd.client.lines import LineKind
from chatd.client.protocol import (
    ChatClientProtocol,
    GaveUp,
    NameRefused,
    QuitTimedOut,
    ServerClosed,
    is_quit_command,
)

PROMPT = b"* Please enter a username:\r\n"


def welcome(name: str) -> bytes:
    return f"* Welcome {name}! If you ever want to quit, type <quit> to exit.\r\n".encode()


class RecordingView:
    """A face that only remembers what it was shown."""

    def __init__(self) -> None:
        self.lines = []

    def show_line(self, line) -> None:
        self.lines.append(line)

    def texts(self) -> list[str]:
        return [line.text for line in self.lines]


class Wire:
    """A client core connected to a StringTransport, with a fake clock."""

    def __init__(self, **options) -> None:
        self.view = RecordingView()
        self.clock = task.Clock()
        self.client = ChatClientProtocol(self.view, self.clock, **options)
        self.transport = StringTransport()
        self.outcomes: list[object] = []
        self.client.finished.addBoth(self.outcomes.append)

    def connect(self) -> Wire:
        self.client.makeConnection(self.transport)
        return self

    def receive(self, data: bytes) -> None:
        self.client.dataReceived(data)

    def sent(self) -> list[str]:
        """Lines written to the server since the last call."""
        data = self.transport.value()
        self.transport.clear()
        return data.decode().split("\n")[:-1]

    def server_closes(self, reason=error.ConnectionDone) -> None:
        self.client.connectionLost(Failure(reason()))


@pytest.fixture
def wire():
    return Wire().connect()


def test_server_lines_are_classified_and_shown(wire):
    """Each CRLF-ended line is shown once, without its line ending, classified."""
    wire.receive(b"* hello\r\nalice: hi\r\n! oops\r\n")
    assert wire.view.texts() == ["* hello", "alice: hi", "! oops"]
    assert [line.kind for line in wire.view.lines] == [
        LineKind.NOTICE,
        LineKind.CHAT,
        LineKind.ERROR,
    ]


def test_framing_across_packets_and_bare_lf(wire):
    """A line split across packets is shown once whole; a bare LF ends a line too."""
    wire.receive(b"ali")
    wire.receive(b"ce: h\xc3")
    wire.receive(b"\xa9llo\r\nbob: x\n")
    assert wire.view.texts() == ["alice: héllo", "bob: x"]


def test_only_one_cr_is_stripped(wire):
    """Only the CR of the CRLF is removed; anything else is the server's text."""
    wire.receive(b"alice: x\r\r\n")
    assert wire.view.texts() == ["alice: x\r"]


def test_invalid_utf8_becomes_replacement_characters(wire):
    """Bytes that are not UTF-8 do not break the client; they show as U+FFFD."""
    wire.receive(b"alice: \xff\xfe\r\n")
    assert wire.view.texts() == ["alice: \ufffd\ufffd"]


def test_typed_lines_go_out_with_lf(wire):
    """Typed lines are sent as UTF-8, each ending in LF, in order."""
    wire.client.send("hello")
    wire.client.send("wörld")
    assert wire.transport.value() == "hello\nwörld\n".encode()


def test_lines_typed_before_the_connection_wait_for_it():
    """Lines typed while still connecting are sent, in order, once connected."""
    wire = Wire()
    wire.client.send("bob")
    wire.client.send("hi")
    wire.connect()
    assert wire.sent() == ["bob", "hi"]


def test_name_answers_the_prompt_and_lines_wait_for_the_welcome():
    """With a name the prompt is answered with it; typed lines go out only after the welcome."""
    wire = Wire(name="bot")
    wire.client.send("early")
    wire.connect()
    wire.receive(b"* message of the day\r\n")
    wire.client.send("hello")
    assert wire.sent() == []
    wire.receive(PROMPT)
    assert wire.sent() == ["bot"]
    wire.client.send("more")
    assert wire.sent() == []
    wire.receive(welcome("bot"))
    assert wire.sent() == ["early", "hello", "more"]
    assert wire.client.name == "bot"
    wire.client.send("after")
    assert wire.sent() == ["after"]


def test_prompt_is_still_shown_with_a_name():
    """The prompt is shown even when the client answers it, so the log reads like a session."""
    wire = Wire(name="bot").connect()
    wire.receive(PROMPT + welcome("bot"))
    assert [line.kind for line in wire.view.lines] == [LineKind.PROMPT, LineKind.WELCOME]


def test_without_a_name_the_typed_lines_do_the_handshake(wire):
    """Without a name nothing is held: the person's first line is the name, as with nc."""
    wire.receive(PROMPT)
    wire.client.send("carol")
    assert wire.sent() == ["carol"]
    wire.receive(welcome("carol"))
    assert wire.client.name == "carol"


def test_refused_name_without_a_person_fails():
    """When nobody can type another name, a refusal ends the run with the server's reason."""
    wire = Wire(name="root", retry_name=False).connect()
    wire.client.send("hello")
    wire.receive(PROMPT)
    wire.receive(b"! the username root is reserved, please choose another\r\n")
    (outcome,) = wire.outcomes
    assert outcome.check(NameRefused)
    assert outcome.value.name == "root"
    assert outcome.value.reason == "the username root is reserved, please choose another"
    assert wire.transport.disconnecting
    assert wire.sent() == ["root"]  # "hello" never went out as a second name


def test_refused_name_with_a_person_lets_them_type_another():
    """At a terminal the refusal is shown; the next typed line is the name, held lines follow."""
    wire = Wire(name="root", retry_name=True).connect()
    wire.client.send("hello")
    wire.receive(PROMPT)
    wire.receive(b"! the username root is reserved, please choose another\r\n")
    assert wire.outcomes == []
    assert wire.view.texts()[-1].startswith("! the username root")
    assert wire.sent() == ["root"]
    wire.client.send("rooty")
    assert wire.sent() == ["rooty"]
    wire.receive(welcome("rooty"))
    assert wire.sent() == ["hello"]


def test_errors_before_the_prompt_are_not_a_refusal():
    """An error before the name was sent (a full server) is just shown."""
    wire = Wire(name="bot", retry_name=False).connect()
    wire.receive(b"! server is full, try again later\r\n")
    assert wire.outcomes == []


def test_quit_waits_for_held_lines_and_the_goodbye():
    """Quitting before the welcome sends everything typed, then <quit>; the goodbye is success."""
    wire = Wire(name="bot").connect()
    wire.client.send("hello")
    wire.client.quit()
    wire.client.send("too late")
    wire.receive(PROMPT)
    wire.receive(welcome("bot"))
    assert wire.sent() == ["bot", "hello", "<quit>"]
    wire.receive(b"* Goodbye bot!\r\n")
    wire.server_closes()
    assert wire.outcomes == [None]


@pytest.mark.parametrize("typed", ["<quit>", "/quit", "/QUIT see you", "  <quit>  "])
def test_typed_quit_commands_start_leaving(wire, typed):
    """A typed <quit> or /quit is sent as typed, and nothing after it."""
    wire.receive(PROMPT + welcome("alice"))
    wire.client.send(typed)
    wire.client.send("after")
    assert wire.sent() == [typed]
    assert wire.client.quitting


def test_is_quit_command():
    """Only what the server takes for leaving counts as a quit command."""
    assert is_quit_command("<quit>")
    assert is_quit_command("/quit")
    assert is_quit_command("/Quit going home")
    assert not is_quit_command("<quit> now")
    assert not is_quit_command("//quit")
    assert not is_quit_command("/quitter")
    assert not is_quit_command("")


def test_server_closing_without_our_quit_is_a_lost_connection(wire):
    """The server closing when we did not ask (a shutdown) fails with ServerClosed."""
    wire.receive(PROMPT + welcome("alice") + b"* server is shutting down\r\n")
    wire.server_closes()
    (outcome,) = wire.outcomes
    assert outcome.check(ServerClosed)


def test_shutdown_while_leaving_is_still_a_lost_connection(wire):
    """If the server closes for its own reasons after our <quit>, there was no goodbye: lost."""
    wire.receive(PROMPT + welcome("alice"))
    wire.client.quit()
    wire.receive(b"* server is shutting down\r\n")
    wire.server_closes()
    assert wire.outcomes[0].check(ServerClosed)


def test_a_goodbye_we_did_not_ask_for_does_not_count(wire):
    """A goodbye-looking line before our quit does not make a later close a success."""
    wire.receive(PROMPT + welcome("alice") + b"* Goodbye alice!\r\n")
    wire.client.quit()
    wire.server_closes(error.ConnectionLost)
    assert wire.outcomes[0].check(ServerClosed)


def test_quit_wait_is_bounded(wire):
    """If the server never closes after <quit>, the client gives up after quit_timeout."""
    wire.client.quit()
    wire.clock.advance(29)
    assert wire.outcomes == []
    wire.clock.advance(1)
    assert wire.outcomes[0].check(QuitTimedOut)
    assert wire.transport.disconnecting or wire.transport.disconnected
    wire.server_closes()  # the abort's connectionLost changes nothing
    assert len(wire.outcomes) == 1


def test_quit_timer_starts_only_once_connected():
    """A quit asked for while connecting is timed from the connection, not before."""
    wire = Wire(quit_timeout=5)
    wire.client.quit()
    wire.clock.advance(60)
    assert wire.outcomes == []
    wire.connect()
    assert wire.sent() == ["<quit>"]
    wire.clock.advance(5)
    assert wire.outcomes[0].check(QuitTimedOut)


def test_goodbye_cancels_the_quit_timer(wire):
    """After a clean goodbye no timer is left running."""
    wire.client.quit()
    wire.receive(b"* Goodbye!\r\n")
    wire.server_closes()
    assert wire.outcomes == [None]
    assert wire.clock.getDelayedCalls() == []


def test_rename_updates_our_name(wire):
    """After /nick the client knows its new name, for mentions and the prompt."""
    wire.receive(PROMPT + welcome("alice"))
    wire.receive(b"* You are now known as ally\r\n")
    assert wire.client.name == "ally"
    wire.receive(b"bob: hi ally\r\n")
    assert wire.view.lines[-1].mentions_me


def test_a_late_welcome_changes_nothing(wire):
    """Only the first welcome ends the handshake; a later look-alike does not rename us."""
    wire.receive(PROMPT + welcome("alice") + welcome("mallory"))
    assert wire.client.name == "alice"


class PendingEndpoint:
    """An endpoint whose connection attempt never ends by itself, like a silent firewall."""

    def connect(self, factory):
        return defer.Deferred()


def test_giving_up_while_connecting_cancels_the_attempt():
    """give_up() before the connection is made cancels the attempt at once."""
    wire = Wire()
    connecting = wire.client.connect_to(PendingEndpoint())
    failures = []
    connecting.addErrback(failures.append)
    wire.client.give_up()
    assert failures[0].check(defer.CancelledError)


def test_giving_up_when_connected_drops_the_connection(wire):
    """give_up() once connected drops the connection and fails finished with GaveUp."""
    wire.client.quit()
    wire.client.give_up()
    assert wire.outcomes[0].check(GaveUp)
    assert wire.transport.disconnecting or wire.transport.disconnected
    wire.server_closes(error.ConnectionLost)
    assert len(wire.outcomes) == 1
    assert wire.clock.getDelayedCalls() == []


def test_the_answered_prompt_can_be_kept_from_the_face():
    """With hide_answered_prompt the prompt that --name answers is not shown; the rest are."""
    wire = Wire(name="bot", hide_answered_prompt=True).connect()
    wire.receive(b"* message of the day\r\n" + PROMPT + welcome("bot"))
    assert [line.kind for line in wire.view.lines] == [LineKind.NOTICE, LineKind.WELCOME]
    assert wire.sent() == ["bot"]


def test_a_prompt_nobody_answered_is_shown_even_when_hiding():
    """After a refused name the person answers; a prompt the core does not answer is shown."""
    wire = Wire(hide_answered_prompt=True).connect()
    wire.receive(PROMPT)
    assert [line.kind for line in wire.view.lines] == [LineKind.PROMPT]


def test_a_refused_name_is_reported_when_the_person_can_type_another():
    """on_name_refused hears the name and the server's reason, after the error is shown."""
    refused = []
    wire = Wire(name="root", retry_name=True, on_name_refused=lambda *r: refused.append(r))
    wire.connect()
    wire.receive(PROMPT)
    wire.receive(b"! the username root is reserved, please choose another\r\n")
    assert refused == [("root", "the username root is reserved, please choose another")]
    assert wire.view.texts()[-1].startswith("! the username root")
    wire.client.send("rooty")
    wire.receive(b"! the username rooty is taken, please choose another\r\n")
    assert len(refused) == 1  # names the person types get the server's answer alone


def test_a_silent_server_is_reported_once_and_the_connection_kept():
    """No byte at all for silence_seconds calls on_silence once; the wait goes on."""
    silent = []
    wire = Wire(on_silence=silent.append, silence_seconds=5).connect()
    wire.clock.advance(4.9)
    assert silent == []
    wire.clock.advance(0.1)
    assert silent == [5]
    wire.clock.advance(60)
    assert silent == [5]
    assert not wire.transport.disconnecting
    wire.receive(PROMPT)
    assert wire.view.texts() == ["* Please enter a username:"]


def test_any_byte_from_the_server_means_it_is_not_silent():
    """Even half a line from the server stops the silence timer."""
    silent = []
    wire = Wire(on_silence=silent.append, silence_seconds=5).connect()
    wire.receive(b"* Please ent")
    wire.clock.advance(10)
    assert silent == []


def test_the_silence_timer_ends_with_the_connection():
    """A connection that closes before the delay leaves no timer behind."""
    silent = []
    wire = Wire(on_silence=silent.append, silence_seconds=5).connect()
    wire.client.connectionLost(Failure(error.ConnectionDone()))
    assert wire.clock.getDelayedCalls() == []
    assert silent == []


@pytest.mark.parametrize(
    ("answer", "has_rooms"),
    [
        (b"* Receipts are on\r\n", True),
        (b"! unknown command: /receipts (try /help)\r\n", False),
    ],
)
def test_the_rooms_probe_asks_after_the_welcome_and_hides_the_answer(answer, has_rooms):
    """``/receipts on`` goes first after the welcome; its answer is reported, not shown; what
    was typed meanwhile goes after what the face sends when told (its rooms, say)."""
    reported: list[bool] = []

    def told(has_rooms: bool) -> None:
        reported.append(has_rooms)
        wire.client.send("/join #mine")

    wire = Wire(name="gwen", rooms_probe=True, on_rooms=told)
    wire.client.send("held")
    wire.connect()
    wire.receive(PROMPT)
    wire.receive(welcome("gwen"))
    wire.client.send("typed while probing")
    assert wire.sent() == ["gwen", "/receipts on"]
    wire.receive(b"bob: before the answer\r\n" + answer + b"* Receipts are on\r\n")
    assert wire.sent() == ["/join #mine", "held", "typed while probing"]
    assert reported == [has_rooms]
    assert wire.client.has_rooms is has_rooms
    # Only the one answer is hidden: a later one (the person's own /receipts) is shown.
    assert wire.view.texts()[-2:] == ["bob: before the answer", "* Receipts are on"]


def test_without_a_probe_nothing_is_sent_and_nothing_hidden(wire):
    """By default (scripts) the core sends nothing of its own after the welcome."""
    wire.client.send("gwen")
    wire.receive(PROMPT + welcome("gwen") + b"* Receipts are off\r\n")
    assert wire.sent() == ["gwen"]
    assert wire.view.texts()[-1] == "* Receipts are off"
    assert wire.client.has_rooms is None


def test_the_probe_keeps_receipts_off_when_asked(wire):
    """``rooms_probe=False`` probes with ``/receipts off``, which changes nothing on the server."""
    wire = Wire(name="tom", rooms_probe=False).connect()
    wire.receive(PROMPT + welcome("tom"))
    assert wire.sent() == ["tom", "/receipts off"]
