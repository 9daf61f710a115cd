"""Telnet's in-band commands: answered on the wire, never relayed, never breaking the framing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatd.doors.line import ALIVE_ANSWER_INTERVAL
from chatd.doors.telnet import (
    AYT,
    DO,
    DONT,
    IAC,
    IP,
    MAX_SUBNEGOTIATION,
    SB,
    SE,
    TIMING_MARK,
    WILL,
    WONT,
    Action,
    Reply,
    TelnetParser,
)

ECHO, SUPPRESS_GO_AHEAD, NAWS, LINEMODE = 1, 3, 31, 34
#: What Debian's telnet sends when the person presses Ctrl-C (with its default "localchars").
CTRL_C = bytes([IAC, IP, IAC, DO, TIMING_MARK])
WONT_TIMING_MARK = bytes([IAC, WONT, TIMING_MARK])


def parse(*chunks: bytes) -> list[bytes | Reply | Action]:
    """Feed ``chunks`` to one parser; adjacent text pieces are joined for easy comparison."""
    parser, out = TelnetParser(), []
    for chunk in chunks:
        for piece in parser.feed(chunk):
            if isinstance(piece, bytes) and out and isinstance(out[-1], bytes):
                out[-1] += piece
            else:
                out.append(piece)
    return out


def test_text_without_iac_passes_through_untouched():
    """Plain text (the common case) comes out as it went in."""
    assert parse(b"hello\r\n", "naïve ☃\n".encode()) == [b"hello\r\n" + "naïve ☃\n".encode()]


def test_ctrl_c_discards_the_line_and_answers_the_timing_mark():
    """IAC IP IAC DO TIMING-MARK: drop the partial line, answer WONT TIMING-MARK, relay nothing."""
    assert parse(b"half a li" + CTRL_C + b"next\r\n") == [
        b"half a li",
        Action.DISCARD_LINE,
        Reply(WONT_TIMING_MARK),
        b"next\r\n",
    ]


@pytest.mark.parametrize(
    "request_, answer",
    [
        (bytes([IAC, DO, ECHO]), bytes([IAC, WONT, ECHO])),
        (bytes([IAC, DO, LINEMODE]), bytes([IAC, WONT, LINEMODE])),
        (bytes([IAC, WILL, NAWS]), bytes([IAC, DONT, NAWS])),
        (bytes([IAC, WILL, SUPPRESS_GO_AHEAD]), bytes([IAC, DONT, SUPPRESS_GO_AHEAD])),
        (bytes([IAC, WONT, ECHO]), None),
        (bytes([IAC, DONT, ECHO]), None),
    ],
    ids=["do-echo", "do-linemode", "will-naws", "will-sga", "wont", "dont"],
)
def test_every_option_is_turned_down_and_refusals_are_not_answered(request_, answer):
    """DO gets WONT, WILL gets DONT; WONT and DONT get silence, so no negotiation can loop."""
    expected = [b"a", Reply(answer), b"b"] if answer else [b"ab"]
    assert parse(b"a" + request_ + b"b") == expected


def test_are_you_there_asks_for_a_sign_of_life():
    """IAC AYT becomes an action (the door answers with a visible line), not text."""
    assert parse(bytes([IAC, AYT])) == [Action.SHOW_ALIVE]


def test_an_escaped_iac_is_the_byte_255():
    """IAC IAC stands for one 0xFF data byte."""
    assert parse(b"x" + bytes([IAC, IAC]) + b"y") == [b"x\xffy"]


def test_subnegotiations_are_skipped_whole():
    """IAC SB ... IAC SE (with IAC IAC inside) is dropped; the text around it is kept."""
    sub = bytes([IAC, SB, NAWS, 0, 80, IAC, IAC, 24, IAC, SE])
    assert parse(b"be" + sub + b"fore\n") == [b"before\n"]


def test_an_unterminated_subnegotiation_gives_up_after_a_bound():
    """A SB that never ends swallows at most MAX_SUBNEGOTIATION bytes, then text flows again."""
    junk = bytes([IAC, SB]) + b"x" * MAX_SUBNEGOTIATION
    assert parse(junk + b"!hello\n") == [b"hello\n"]


def test_a_stray_iac_before_a_non_command_keeps_that_byte():
    """0xFF followed by a byte that is no command (a newline, say) keeps the newline as text."""
    assert parse(b"abc\xff\nnext\n") == [b"abc\xff\nnext\n"]


@given(st.data())
def test_split_points_never_change_the_result(data):
    """However the stream is cut into packets, the parser yields the same text and commands."""
    stream = b"hi " + CTRL_C + bytes([IAC, WILL, NAWS, IAC, SB, NAWS, 1, 2, IAC, SE]) + b"ok\r\n"
    stream += bytes([IAC, IAC, IAC, AYT]) + b"end\n"
    cuts = sorted(data.draw(st.sets(st.integers(1, len(stream) - 1), max_size=8)))
    chunks = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    assert parse(*chunks) == parse(stream)


# The line door with telnet clients


def test_ctrl_c_answer_reaches_the_telnet_user_and_nothing_reaches_others(chat):
    """After Ctrl-C the user gets WONT TIMING-MARK; the half-typed line is dropped; chat goes on."""
    alice, bob = chat.join("alice"), chat.join("bob")
    alice.send(b"never mind th" + CTRL_C)
    assert alice.take() == WONT_TIMING_MARK
    assert bob.take() == b""
    alice.send(b"hello\r\n")
    bob.send(b"hi alice\r\n")
    assert bob.lines() == ["alice: hello"]
    assert alice.lines() == ["bob: hi alice"]


def test_ctrl_c_keeps_whole_lines_that_flood_control_held_back(make_chat):
    """Lines already complete when Ctrl-C arrives are still relayed; only the partial one goes."""
    chat = make_chat(rate=1, burst=1)
    alice, bob = chat.join("alice"), chat.join("bob")
    chat.clock.advance(10)
    alice.send(b"one\ntwo\nthree\npart" + CTRL_C + b"\n")
    chat.clock.pump([1] * 5)
    assert bob.lines() == ["alice: one", "alice: two", "alice: three"]


def test_are_you_there_gets_a_notice(chat):
    """IAC AYT is answered with a notice line the person can see."""
    alice = chat.join("alice")
    alice.send(bytes([IAC, AYT]))
    assert alice.lines() == ["* yes, chatd is here"]


def test_option_requests_are_refused_on_the_wire(chat):
    """A telnet that asks for options (as it does on port 23) hears WONT/DONT and can chat."""
    wire = chat.connect()
    wire.take()
    wire.send(bytes([IAC, DO, ECHO, IAC, WILL, NAWS, IAC, SB, NAWS, 0, 80, 0, 24, IAC, SE]))
    assert wire.take() == bytes([IAC, WONT, ECHO, IAC, DONT, NAWS])
    wire.send(b"alice\r\n")
    assert wire.lines()[0].startswith("* Welcome alice!")


# Telnet commands against flood control (a stream of them used to stall everyone else)


def test_commands_spend_the_flood_budget_and_pause_reading(make_chat):
    """A packet of 100 AYTs costs 100 lines' worth: reading stops until they are paid for."""
    chat = make_chat(rate=5, burst=20)
    mallory, bob = chat.join("mallory"), chat.join("bob")
    mallory.send(bytes([IAC, AYT]) * 100)
    assert mallory.transport.producerState == "paused"
    chat.clock.advance(10)
    assert mallory.transport.producerState == "paused"  # 80 over the burst, at 5 a second
    chat.clock.pump([1] * 10)
    assert mallory.transport.producerState == "producing"
    bob.send(b"still here\n")
    assert mallory.lines() == ["* yes, chatd is here", "bob: still here"]


def test_are_you_there_is_answered_at_most_once_a_second(chat):
    """However often AYT comes, the notice goes out once per ALIVE_ANSWER_INTERVAL."""
    alice = chat.join("alice")
    for _ in range(5):
        alice.send(bytes([IAC, AYT]))
    assert alice.lines() == ["* yes, chatd is here"]
    chat.clock.advance(ALIVE_ANSWER_INTERVAL)
    alice.send(bytes([IAC, AYT]))
    assert alice.lines() == ["* yes, chatd is here"]


def test_the_answers_to_one_packet_go_out_in_one_write(chat):
    """Many option requests in one packet are refused in a single write, not one per command."""
    wire = chat.connect()
    wire.take()
    writes = []
    write = wire.transport.write
    wire.transport.write = lambda data: (writes.append(data), write(data))[1]
    wire.send(bytes([IAC, DO, ECHO, IAC, DO, SUPPRESS_GO_AHEAD, IAC, WILL, NAWS, IAC, AYT]))
    assert writes == [
        bytes([IAC, WONT, ECHO, IAC, WONT, SUPPRESS_GO_AHEAD, IAC, DONT, NAWS])
        + b"* yes, chatd is here\r\n"
    ]


def test_a_long_stream_of_commands_is_parsed_without_a_step_per_byte():
    """Text between commands comes out in whole slices, and commands are counted."""
    parser = TelnetParser()
    text = b"x" * 10_000
    pieces = parser.feed(text + bytes([IAC, AYT]) + text)
    assert pieces == [text, Action.SHOW_ALIVE, text]
    assert parser.commands == 1
