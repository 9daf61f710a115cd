"""Typed lines on their way to the client core, shared by every face."""

from __future__ import annotations

from chatd.client.outgoing import Outgoing


class RecordingClient:
    """Stands in for ChatClientProtocol: records what a face hands it."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def send(self, line: str) -> None:
        self.calls.append(line)

    def quit(self) -> None:
        self.calls.append("QUIT")


def test_lines_typed_before_the_client_exists_go_first_in_order():
    """Lines typed while connecting are held, then sent in order when the client is attached."""
    outgoing, client = Outgoing(), RecordingClient()
    outgoing.send("one")
    outgoing.send("two")
    outgoing.attach(client)
    outgoing.send("three")
    assert client.calls == ["one", "two", "three"]


def test_end_of_input_before_attaching_quits_after_the_held_lines():
    """A pipe that ended before the connection was made still says its lines, then quits."""
    outgoing, client = Outgoing(), RecordingClient()
    outgoing.send("hello")
    outgoing.end()
    outgoing.attach(client)
    assert client.calls == ["hello", "QUIT"]


def test_the_end_of_input_quits_once():
    """Ending twice (Ctrl-D, then the terminal closing) sends one quit."""
    outgoing, client = Outgoing(), RecordingClient()
    outgoing.attach(client)
    outgoing.end()
    outgoing.end()
    assert client.calls == ["QUIT"]
    assert outgoing.ended
