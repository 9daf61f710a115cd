"""Bad input at the line door: broken UTF-8, terminal escapes, garbage, full servers, lost peers."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twisted.internet.error import ConnectionLost

# What must never reach another person's terminal: C0 controls, DEL and C1 controls.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
# chatd's answers to telnet option requests: IAC WONT x and IAC DONT x.
TELNET_ANSWER = re.compile(rb"\xff[\xfc\xfe].", re.DOTALL)


@pytest.mark.parametrize(
    "sent, relayed",
    [
        (b"caf\xe9 ok", "caf\ufffd ok"),
        (b"\xfe\xf8\x00\xc0\xaf", "\ufffd\ufffd\ufffd\ufffd"),  # 0xFF is telnet's IAC
        (b"euro \xe2\x82", "euro \ufffd"),
        (b"\xed\xa0\x80 surrogate", "\ufffd\ufffd\ufffd surrogate"),
    ],
    ids=["latin-1", "impossible-bytes", "truncated", "encoded-surrogate"],
)
def test_invalid_utf8_becomes_replacement_characters(chat, log_capture, sent, relayed):
    """Bytes that are not UTF-8 are relayed as U+FFFD, without an exception."""
    alice, bob = chat.join("alice"), chat.join("bob")
    alice.send(sent + b"\r\n")
    assert bob.take() == f"alice: {relayed}\r\n".encode()


def test_character_split_across_packets_stays_whole(chat):
    """A multi-byte character cut by a packet boundary is decoded as one character."""
    alice, bob = chat.join("alice"), chat.join("bob")
    alice.send(b"caf\xc3", b"\xa9\n")
    assert bob.take() == "alice: café\r\n".encode()


def test_invalid_utf8_name_is_refused_not_crashed(chat, log_capture):
    """A username with invalid UTF-8 gets an error line and the handshake goes on."""
    wire = chat.connect()
    wire.take()
    wire.send(b"al\xfeice\n")
    [refusal] = wire.lines()
    assert refusal.startswith("! ")
    wire.send(b"alice\n")
    assert wire.lines()[0] == "* Welcome alice! If you ever want to quit, type <quit> to exit."


@pytest.mark.parametrize(
    "sent, relayed",
    [
        (b"\x1b[2J\x1b[Hhello", "hello"),
        (b"\x1b[1;31mred\x1b[0m text", "red text"),
        (b"\x1b]0;owned title\x07after", "after"),
        (b"\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\", "link"),
        (b"\x1bPdevice control\x1b\\x", "x"),
        (b"bell\x07 back\x08space", "bell backspace"),
        (b"nul\x00 del\x7f", "nul del"),
        (b"mid\rline overwrite", "midline overwrite"),
        ("c1\u0085 next\u009b2J csi".encode(), "c1 next2J csi"),
        (b"tab\there\tand\tthere", "tab here and there"),
    ],
    ids=[
        "clear-screen",
        "colour",
        "osc-title",
        "osc-hyperlink",
        "dcs",
        "bell-backspace",
        "nul-del",
        "bare-cr",
        "c1",
        "tab",
    ],
)
def test_escapes_and_controls_are_removed_from_chat(chat, log_capture, sent, relayed):
    """Terminal escape sequences and C0/C1 controls are removed and TAB becomes a space."""
    alice, bob = chat.join("alice"), chat.join("bob")
    alice.send(sent + b"\n")
    assert bob.take() == f"alice: {relayed}\r\n".encode()


def test_escapes_are_removed_from_actions_and_private_messages(chat, log_capture):
    """`/me` and `/msg` text is cleaned the same way as chat lines."""
    alice, bob = chat.join("alice"), chat.join("bob")
    alice.send(b"/me waves\x1b[5m\x07\n")
    assert bob.take() == b"* alice waves\r\n"
    alice.send(b"/msg bob \x1b[8mhidden\x1b[0m psst\n")
    assert bob.take() == b"[private] alice: hidden psst\r\n"
    assert alice.take() == b"[private to bob] hidden psst\r\n"


def test_line_of_only_escapes_is_ignored(chat):
    """A line that is empty once escapes are removed is not relayed as an empty chat line."""
    alice, bob = chat.join("alice"), chat.join("bob")
    alice.send(b"\x1b[2J\x1b[H\x07\r\n")
    assert bob.take() == b""
    assert alice.take() == b""


def test_escapes_in_a_name_do_not_reach_others(chat, log_capture):
    """Escape sequences typed with a username never show up in the join notice."""
    bob = chat.join("bob")
    wire = chat.connect()
    wire.send(b"\x1b[31mmallory\x1b[0m\n")
    for line in bob.lines() + wire.lines():
        assert not CONTROL.search(line), line


def assert_clean_output(raw: bytes) -> None:
    """Output is UTF-8 in CRLF lines with no control characters inside any line."""
    text = raw.decode("utf-8")
    assert text == "" or text.endswith("\r\n")
    for line in text.split("\r\n")[:-1]:
        assert not CONTROL.search(line), repr(line)


def pieces(data: bytes, sizes: list[int]) -> list[bytes]:
    """Cut ``data`` into consecutive pieces with the given sizes, cycling through them."""
    out, start, index = [], 0, 0
    while start < len(data):
        size = sizes[index % len(sizes)]
        out.append(data[start : start + size])
        start += size
        index += 1
    return out


def test_binary_garbage_in_odd_pieces(make_chat, log_capture):
    """64 KiB of random bytes (with NUL and 0xFF) in odd pieces never raise or leak controls."""
    chat = make_chat(max_line_length=512, rate=0)  # its ~256 lines would wait for flood control
    alice, bob = chat.join("alice"), chat.join("bob")
    rng = random.Random(20240601)
    garbage = bytes(rng.randrange(256) for _ in range(65536)) + b"\x00\xff" * 64
    for piece in pieces(garbage, [1, 3, 7, 13, 31, 97, 255]):
        alice.send(piece)
    assert_clean_output(bob.take())
    assert_clean_output(TELNET_ANSWER.sub(b"", alice.take()))  # its 0xFF bytes read as telnet
    assert not alice.closing
    alice.send(b"\nstill alive\r\n")
    assert bob.lines()[-1] == "alice: still alive"


@settings(
    max_examples=150,
    deadline=None,
    # make_chat only hands out a class; every example builds its own hub and door.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    garbage=st.binary(max_size=600),
    sizes=st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=8),
)
def test_any_bytes_leave_the_connection_usable(make_chat, garbage, sizes):
    """Whatever bytes arrive, in whatever pieces, the next line after a newline is relayed."""
    chat = make_chat(max_line_length=128, rate=0)
    alice, bob = chat.join("alice"), chat.join("bob")
    for piece in pieces(garbage, sizes):
        alice.send(piece)
    if alice.closing:  # the garbage happened to contain a quit line
        return
    assert_clean_output(alice.take())
    alice.send(b"\nmarker line\n")
    relayed = bob.take()
    assert_clean_output(relayed)
    # ": " and not "alice: ": the garbage may have contained a /nick line.
    assert relayed.endswith(b": marker line\r\n")


def test_the_connection_over_max_clients_is_refused(make_chat, log_capture):
    """Connection max_clients+1 gets only `! server is full, try again later` and is closed."""
    chat = make_chat(max_clients=2)
    alice, stranger = chat.join("alice"), chat.connect()
    stranger.take()
    extra = chat.connect()
    assert extra.take() == b"! server is full, try again later\r\n"
    assert extra.closing
    extra.send(b"bob\nhello\n")
    extra.drop()
    assert alice.take() == b""
    assert chat.hub.online() == ("alice",)
    assert chat.hub.connection_count == 2


def test_a_slot_frees_up_when_a_connection_goes(make_chat):
    """After a connection closes, the next one is admitted with the username prompt."""
    chat = make_chat(max_clients=1)
    first = chat.connect()
    chat.connect().drop()
    first.drop()
    assert chat.connect().take() == b"* Please enter a username:\r\n"


def test_lost_mid_line_leaves_a_notice_and_no_ghost(chat, log_capture):
    """A user lost mid-line is announced as gone, the partial line is dropped, the name is free."""
    alice, bob = chat.join("alice"), chat.join("bob")
    alice.send(b"half a li")
    alice.drop(ConnectionLost)
    assert bob.take() == b"* alice has left the chat\r\n"
    bob.send(b"/who\n")
    assert bob.take() == b"* Online (1): bob\r\n"
    assert chat.hub.connection_count == 1
    again = chat.connect()
    again.send(b"alice\n")
    assert again.lines()[1] == "* Welcome alice! If you ever want to quit, type <quit> to exit."


@pytest.mark.parametrize(
    "typed",
    [b"", b"car", b"carol\r", b"admin\nbo", b"/who\n"],
    ids=["nothing", "half-name", "name-without-lf", "after-refusal", "after-command"],
)
def test_lost_mid_handshake_causes_no_notice(chat, log_capture, typed):
    """A connection lost before it chose a name produces no join or leave notice and no user."""
    bob = chat.join("bob")
    wire = chat.connect()
    wire.send(typed)
    wire.drop(ConnectionLost)
    assert bob.take() == b""
    assert chat.hub.online() == ("bob",)
    assert chat.hub.connection_count == 1
    assert chat.factory.all_closed().called is False  # bob is still connected


def test_lost_after_quit_gives_one_notice(chat):
    """connectionLost after `<quit>` does not announce the leave a second time."""
    alice, bob = chat.join("alice"), chat.join("bob")
    alice.send(b"<quit>\n")
    alice.drop()
    assert bob.take() == b"* alice has left the chat\r\n"
    assert chat.hub.connection_count == 1
