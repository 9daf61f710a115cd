"""Protocol v2 on the wire: room lines marked with their room unless it is the reader's current."""

from __future__ import annotations

from chatd.core.store import MemoryStore


def test_a_line_from_a_room_that_is_not_current_is_marked_with_it(chat, utc):
    """In #dev but talking in #lobby, bob sees #dev's lines prefixed with '#dev '."""
    alice, bob = chat.join("alice"), chat.join("bob")
    alice.send(b"/join #dev\n")
    bob.send(b"/join #dev\n", b"/join #lobby\n")
    chat.settle()
    alice.send(b"hi\n", b"/me waves\n")
    assert bob.lines() == ["#dev alice: hi", "#dev * alice waves"]
    bob.send(b"/join #dev\n")
    assert bob.lines() == ["* Now talking in #dev (2 here: alice, bob)"]
    alice.send(b"again\n")
    assert bob.lines() == ["alice: again"]


def test_room_notices_are_marked_and_server_wide_ones_are_not(chat, utc):
    """Joins and parts of another room carry its name; leaving the chat does not."""
    alice, bob, carol = chat.join("alice"), chat.join("bob"), chat.join("carol")
    bob.send(b"/join #dev\n", b"/join #lobby\n")
    chat.settle()
    carol.send(b"/join #dev\n")
    assert bob.lines() == ["#dev * carol has joined #dev"]
    assert carol.lines() == ["* Now talking in #dev (2 here: bob, carol)"]
    carol.send(b"/topic ship it\n")
    assert bob.lines() == ["#dev * carol set the topic of #dev: ship it"]
    assert carol.lines() == ["* carol set the topic of #dev: ship it"]
    carol.send(b"/part #dev see you\n")
    assert bob.lines() == ["#dev * carol has left #dev (see you)"]
    alice.send(b"<quit>\n")
    assert bob.lines() == ["* alice has left the chat"]


def test_a_v1_client_sees_exactly_the_v1_lines(chat, utc):
    """Someone who never uses a room command sees what protocol v1 showed, byte for byte."""
    alice, bob = chat.join("alice"), chat.join("bob")
    alice.send(b"hello\n", b"/me smiles\n", b"/msg bob psst\n")
    assert bob.take() == b"alice: hello\r\n* alice smiles\r\n[private] alice: psst\r\n"


def test_receipts_on_the_wire(chat):
    """+ SEQ #room TIME, the time in UTC with milliseconds."""
    alice = chat.join("alice")
    alice.send(b"/receipts on\n", b"hello\n")
    assert alice.lines() == ["* Receipts are on", "+ 1 #lobby 2023-11-14T22:13:20.000Z"]


def test_history_on_the_wire(chat, utc):
    """/history frames the lines, each with its time, without a room prefix."""
    alice = chat.join("alice")
    alice.send(b"/join #dev\n", b"one\n", b"two\n", b"/join #lobby\n")
    chat.settle()
    alice.send(b"/history #dev 1\n")
    assert alice.lines() == [
        "* History of #dev (1 lines):",
        "[22:13] alice: two",
        "* End of history of #dev",
    ]


def test_rooms_and_who_on_the_wire(chat):
    """/rooms and /who #room as the README shows them."""
    alice, bob = chat.join("alice"), chat.join("bob")
    bob.send(b"/join #dev\n")
    chat.settle()
    alice.send(b"/rooms\n", b"/who #dev\n", b"/who #nope\n")
    assert alice.lines() == [
        "* Rooms (2): #dev (1), #lobby (2)",
        "* In #dev (1): bob",
        "! no such room: #nope",
    ]


class BatchingStore(MemoryStore):
    """A store that confirms lines only when the test commits a batch, all in one turn."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting: list = []

    def append(self, line, durable) -> None:
        self.waiting.append((line, durable))

    def commit(self) -> None:
        waiting, self.waiting = self.waiting, []
        for line, durable in waiting:
            super().append(line, durable)


def test_a_batch_of_receipts_goes_out_in_one_write(make_chat):
    """The receipts of lines stored together are one write, not a write (and catch-up) each."""
    store = BatchingStore()
    chat = make_chat(store=store)
    alice = chat.join("alice")
    alice.send(b"/receipts on\n", b"one\n", b"two\n", b"three\n")
    alice.take()
    writes = []
    write = alice.transport.write
    alice.transport.write = lambda data: (writes.append(data), write(data))[1]
    store.commit()
    chat.clock.advance(0)
    assert len(writes) == 1
    assert [line.split()[:2] for line in writes[0].decode().splitlines()] == [
        ["+", "1"],
        ["+", "2"],
        ["+", "3"],
    ]
