"""The plain face over StringTransports: lines in from a pipe, lines out, and end of input."""

from __future__ import annotations

import io

from twisted.internet import task
from twisted.internet.testing import StringTransport

from chatd.client.pipes import PlainFace
from chatd.client.protocol import ChatClientProtocol


class Pipes:
    """A PlainFace standing in for stdin/stdout, and a core connected to a fake server."""

    def __init__(self, name: str | None = None, **face_options) -> None:
        self.face = PlainFace(**face_options)
        self.stdio = StringTransport()
        self.face.makeConnection(self.stdio)
        self.client = ChatClientProtocol(self.face, task.Clock(), name=name, retry_name=False)
        self.server = StringTransport()

    def connect(self) -> Pipes:
        self.face.attach(self.client)
        self.client.makeConnection(self.server)
        return self

    def sent(self) -> bytes:
        data = self.server.value()
        self.server.clear()
        return data


def test_server_lines_are_written_as_they_are():
    """Each server line goes to stdout unchanged, ending in LF."""
    pipes = Pipes().connect()
    pipes.client.dataReceived(b"* hello\r\nbob: hi \x1b[1mthere\r\n")
    assert pipes.stdio.value() == b"* hello\nbob: hi \x1b[1mthere\n"


def test_on_a_terminal_controls_go_and_colours_come():
    """When stdout is a terminal, control characters are removed and colours may be added."""
    pipes = Pipes(to_terminal=True, colour=True).connect()
    pipes.client.dataReceived(b"! oops\r\nbob: hi \x1b[1mthere\r\n")
    assert pipes.stdio.value() == b"\x1b[31m! oops\x1b[0m\nbob: hi [1mthere\n"


def test_lines_from_stdin_are_sent():
    """Lines read from stdin (LF or CRLF) are sent to the server with LF."""
    pipes = Pipes().connect()
    pipes.face.dataReceived(b"bob\r\nhello\nw\xc3\xb6rld\n")
    assert pipes.sent() == "bob\nhello\nwörld\n".encode()


def test_end_of_input_sends_the_last_line_then_quit():
    """At the end of input a last line without newline still counts, and <quit> follows it."""
    pipes = Pipes().connect()
    pipes.face.dataReceived(b"bob\nno newline")
    pipes.face.readConnectionLost()
    assert pipes.sent() == b"bob\nno newline\n<quit>\n"
    assert not pipes.stdio.disconnecting  # stdout stays open for the goodbye


def test_input_ending_before_the_client_is_attached():
    """Input that ends before there is a client is sent, then <quit>, once there is one."""
    pipes = Pipes(name="bot")
    pipes.face.dataReceived(b"hello\n")
    pipes.face.readConnectionLost()
    pipes.connect()
    pipes.client.dataReceived(b"* Please enter a username:\r\n")
    assert pipes.sent() == b"bot\n"
    pipes.client.dataReceived(b"* Welcome bot! If you ever want to quit, type <quit> to exit.\r\n")
    assert pipes.sent() == b"hello\n<quit>\n"


def test_stdout_closing_leaves():
    """Nobody reading our output any more is a reason to leave."""
    pipes = Pipes().connect()
    pipes.face.writeConnectionLost()
    assert pipes.sent() == b"<quit>\n"


def test_close_flushes_and_fires():
    """close() lets stdout drain, and fires once StandardIO reports the connection lost."""
    pipes = Pipes().connect()
    closed = pipes.face.close()
    assert pipes.stdio.disconnecting
    assert not closed.called
    pipes.face.connectionLost(None)
    assert closed.called
    assert pipes.sent() == b""  # closing on purpose is not the end of input


def test_notes_go_to_standard_error_not_among_the_server_lines():
    """A line from chatd-client itself goes to its notes stream, apart from the chat."""
    notes = io.StringIO()
    pipes = Pipes(notes=notes).connect()
    pipes.face.show_note("chatd-client: a hint")
    assert notes.getvalue() == "chatd-client: a hint\n"
    assert pipes.stdio.value() == b""
