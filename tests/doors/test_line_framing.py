"""How the line door cuts bytes into lines: line endings, packet boundaries and the length limit."""

from __future__ import annotations

import pytest

from chatd.core.session import Session

LIMIT = 64


@pytest.fixture
def limited(make_chat):
    """A chat whose door accepts lines of at most LIMIT bytes."""
    return make_chat(max_line_length=LIMIT)


def too_long() -> bytes:
    return f"! line too long (limit {LIMIT} bytes)\r\n".encode()


@pytest.mark.parametrize("ending", [b"\n", b"\r\n"], ids=["LF", "CRLF"])
def test_both_line_endings_are_accepted(chat, ending):
    """A line ending in LF (nc) or CRLF (telnet) is relayed without the CR."""
    alice, bob = chat.join("alice"), chat.join("bob")
    alice.send(b"hello" + ending)
    assert bob.take() == b"alice: hello\r\n"


def test_only_one_cr_is_removed(chat):
    """Only one CR before the LF belongs to the line ending; an extra CR is not relayed either."""
    alice, bob = chat.join("alice"), chat.join("bob")
    alice.send(b"hello\r\r\n")
    assert bob.take() == b"alice: hello\r\n"


def test_handshake_with_crlf(chat):
    """A telnet client's CRLF does not end up in the username."""
    wire = chat.connect()
    wire.take()
    wire.send(b"alice\r\n")
    assert wire.lines()[0] == "* Welcome alice! If you ever want to quit, type <quit> to exit."


def test_line_split_across_many_packets(chat):
    """A line that arrives one byte per dataReceived is relayed once, whole, at its newline."""
    alice, bob = chat.join("alice"), chat.join("bob")
    data = "héllo wörld\r\n".encode()
    for index in range(len(data) - 1):
        alice.send(data[index : index + 1])
        assert bob.take() == b""
    alice.send(data[-1:])
    assert bob.take() == "alice: héllo wörld\r\n".encode()


def test_several_lines_in_one_packet(chat):
    """Several lines in one packet are relayed in order, each exactly once."""
    alice, bob = chat.join("alice"), chat.join("bob")
    alice.send(b"one\ntwo\r\nthree\n\nfour\n")
    assert bob.lines() == ["alice: one", "alice: two", "alice: three", "alice: four"]


def test_lines_after_quit_in_the_same_packet_are_not_relayed(chat):
    """Once `<quit>` closes the connection, the rest of its packet is dropped."""
    alice, bob = chat.join("alice"), chat.join("bob")
    alice.send(b"before\n<quit>\nafter\n/nick mallory\n")
    assert bob.lines() == ["alice: before", "* alice has left the chat"]
    assert alice.lines() == ["* Goodbye alice!"]
    alice.send(b"later\n")
    assert bob.take() == b""


def test_empty_and_whitespace_lines_are_ignored(chat):
    """Empty and whitespace-only lines produce no output for anyone."""
    alice, bob = chat.join("alice"), chat.join("bob")
    alice.send(b"\n", b"\r\n", b"   \t \r\n", b" \n")
    assert bob.take() == b""
    assert alice.take() == b""


@pytest.mark.parametrize("ending", [b"\n", b"\r\n"], ids=["LF", "CRLF"])
def test_line_of_exactly_the_limit_is_accepted(limited, ending):
    """A line of exactly max_line_length bytes (not counting its ending) is relayed."""
    alice, bob = limited.join("alice"), limited.join("bob")
    alice.send(b"x" * LIMIT + ending)
    assert bob.take() == b"alice: " + b"x" * LIMIT + b"\r\n"
    assert alice.take() == b""


def test_limit_counts_bytes_not_characters(limited):
    """The limit is in UTF-8 bytes: 32 two-byte characters fit in 64, 33 do not."""
    alice, bob = limited.join("alice"), limited.join("bob")
    alice.send("é".encode() * 32 + b"\n")
    assert bob.take() == ("alice: " + "é" * 32 + "\r\n").encode()
    alice.send("é".encode() * 33 + b"\n")
    assert bob.take() == b""
    assert alice.take() == too_long()


@pytest.mark.parametrize("ending", [b"\n", b"\r\n"], ids=["LF", "CRLF"])
@pytest.mark.parametrize("same_packet", [True, False], ids=["same-packet", "next-packet"])
def test_line_one_byte_over_the_limit_is_refused(limited, ending, same_packet):
    """max_line_length+1 bytes get `! line too long`, are not relayed, and the next line works."""
    alice, bob = limited.join("alice"), limited.join("bob")
    long_line = b"y" * (LIMIT + 1) + ending
    following = b"still here" + ending
    if same_packet:
        alice.send(long_line + following)
    else:
        alice.send(long_line, following)
    assert alice.take() == too_long()
    assert bob.take() == b"alice: still here\r\n"
    assert not alice.closing


@pytest.mark.parametrize("ending", [b"\n", b"\r\n"], ids=["LF", "CRLF"])
def test_long_line_fed_byte_by_byte_gives_one_error(limited, ending):
    """An over-long line trickling in one byte at a time is refused once and never relayed."""
    alice, bob = limited.join("alice"), limited.join("bob")
    for byte in b"z" * (LIMIT * 3) + ending + b"ok" + ending:
        alice.send(bytes([byte]))
    assert alice.take() == too_long()
    assert bob.take() == b"alice: ok\r\n"


def test_long_line_then_quit_in_the_same_packet(limited):
    """After a refused long line, a `<quit>` later in the same packet still works."""
    alice, bob = limited.join("alice"), limited.join("bob")
    alice.send(b"q" * (LIMIT * 2) + b"\r\n<quit>\r\nnot relayed\r\n")
    assert alice.lines() == [too_long().decode().rstrip(), "* Goodbye alice!"]
    assert bob.lines() == ["* alice has left the chat"]


def test_long_name_line_during_handshake_is_refused(limited):
    """An over-long line while choosing a name gets the same error and the handshake continues."""
    wire = limited.connect()
    wire.take()
    wire.send(b"n" * (LIMIT + 10) + b"\nalice\n")
    lines = wire.lines()
    assert lines[0] == too_long().decode().rstrip()
    assert lines[1] == "* Welcome alice! If you ever want to quit, type <quit> to exit."


def test_ten_mebibytes_without_newline_is_never_buffered(make_chat):
    """10 MiB with no newline gets one error, the door keeps at most one line, then chat works."""
    chat = make_chat(max_line_length=4096)
    alice, bob = chat.join("alice"), chat.join("bob")
    chunk = b"A" * 65536
    for _ in range(10 * 1024 * 1024 // len(chunk)):
        alice.send(chunk)
        # LineReceiver keeps unconsumed input in ``_buffer``; it is the only place the door could
        # accumulate bytes, so its size is the door's memory use for this client.  One byte of
        # slack for a trailing CR, one because LineReceiver's own check is ">=".
        assert len(alice.door._buffer) <= 4096 + 2
    assert alice.take() == b"! line too long (limit 4096 bytes)\r\n"
    assert bob.take() == b""
    alice.send(b"tail of the long line\nhello\n")
    assert bob.take() == b"alice: hello\r\n"
    assert alice.take() == b""
    assert not alice.closing


def test_without_flood_control_runs_of_blank_lines_are_skipped_whole(make_chat, monkeypatch):
    """64 KiB of newlines at --rate 0 are not 65,536 lines of work: none reaches the session."""
    chat = make_chat(rate=0)
    alice, bob = chat.join("alice"), chat.join("bob")
    seen = []
    receive = Session.receive
    monkeypatch.setattr(
        Session, "receive", lambda self, text: (seen.append(text), receive(self, text))
    )
    alice.send(b"\n" * 65536 + b"hello\n" + b"\r\n \n" * 1000)
    assert seen == ["hello"]
    assert bob.lines() == ["alice: hello"]
