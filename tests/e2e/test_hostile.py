"""Hostile input against the installed daemon: it answers clearly, relays nothing harmful, keeps
serving, and logs no unhandled error."""

from __future__ import annotations

import random
import re

TEN_MIB = 10 * 1024 * 1024
#: Anything a terminal could take as a control character or the start of an escape sequence.
CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def test_hostile_input_then_fresh_users_still_chat(daemon, peers):
    """Bad bytes, escapes, garbage, 10 MiB lines and rude disconnects leave the server serving."""
    server = daemon("chatd", "--port", "0", "--history", "0")
    (port,) = server.ports()
    wes, vera = peers(port), peers(port)
    wes.join("wes")
    vera.join("vera")
    assert wes.next_line() == "* vera has joined the chat"

    # Invalid UTF-8 becomes U+FFFD; escape sequences and control characters are removed; TAB is a
    # space; empty and blank lines are ignored.  (0xFF is telnet's IAC, tested on its own.)
    vera.send_raw(
        b"\xfe\xfe\xc3( ok\n"
        b"\x1b[2J\x1b[H\x1b]0;pwned\x07clear?\x1b[0m\n"
        b"\xc2\x9b31mred\x00\x01\x7f\n"
        b"a\tb\r\n"
        b"\n   \n\t\r\n\r\n"
        b"\x00\xfe\x00\xfe\n"
    )
    assert wes.lines(5) == [
        "vera: \ufffd\ufffd\ufffd( ok",
        "vera: clear?",
        "vera: 31mred",
        "vera: a b",
        "vera: \ufffd\ufffd",
    ]

    # Binary garbage: whatever gets through is one line of printable text per relayed line.
    garbage = random.Random(2).randbytes(3000)
    vera.send_raw(garbage + b"\nafter the garbage\n")
    for line in wes.expect("vera: after the garbage"):
        assert line.startswith("vera: ") and not CONTROL.search(line), repr(line)

    # 10 MiB without a newline: one refusal, nothing relayed, and the line is not buffered.
    peak_before = server.peak_memory_kib()
    vera.send_raw(b"z" * TEN_MIB)
    vera.send_raw(b"\nstill here\n")
    assert wes.next_line() == "vera: still here"
    vera.send("/who")
    assert vera.lines(2) == ["! line too long (limit 4096 bytes)", "* Online (2): vera, wes"]
    peak_after = server.peak_memory_kib()
    if peak_before is not None and peak_after is not None:
        assert peak_after - peak_before < TEN_MIB // 1024 // 2, (peak_before, peak_after)

    # Disconnects mid-handshake (silently, half a name typed, or with a reset) tell nobody.
    silent, half_name, reset_early = peers(port), peers(port), peers(port)
    for peer in (silent, half_name, reset_early):
        peer.expect_prompt()
    silent.close()
    half_name.send_raw(b"half-a-na")
    half_name.close()
    reset_early.send_raw(b"\xff\xff")
    reset_early.reset()

    # Joined users who vanish mid-line or with a TCP reset: a leave notice, no half line.
    yan, zed = peers(port), peers(port)
    yan.join("yan")
    zed.join("zed")
    assert wes.lines(2) == ["* yan has joined the chat", "* zed has joined the chat"]
    yan.send_raw(b"mid-li")
    yan.close()
    assert wes.next_line() == "* yan has left the chat"
    zed.send_raw(b"\x1b[")
    zed.reset()
    assert wes.next_line() == "* zed has left the chat"

    # A fresh pair of users can still chat, and nothing was logged as an error.
    fred, gina = peers(port), peers(port, ending=b"\r\n")
    assert fred.join("fred") == "* Online (3): fred, vera, wes"
    assert gina.join("gina") == "* Online (4): fred, gina, vera, wes"
    gina.send("hello after the storm")
    assert fred.lines(2) == ["* gina has joined the chat", "gina: hello after the storm"]
    fred.send("hi gina")
    assert gina.next_line() == "fred: hi gina"
    server.wait_for_log(r"gina joined")
    server.assert_no_errors()
