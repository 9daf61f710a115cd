"""The accounting rules, on lines made up by hand.  Run: ``python -m pytest bench/soak``."""

from __future__ import annotations

import pytest

from bench.soak import protocol
from bench.soak.ledger import Histogram, Ledger


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ledger(clock: Clock) -> Ledger:
    # Three stable clients, each both sender and reader.
    return Ledger({"a": "chatter", "b": "chatter", "f": "flooder"}, ["a", "b", "f"], clock)


def send(ledger: Ledger, sender: str, count: int = 1) -> list[str]:
    """What the others read for ``count`` messages of ``sender``."""
    lines = []
    for _ in range(count):
        seq, at = ledger.stamp(sender)
        lines.append(f"{sender}: {protocol.message_text(sender, seq, at, 40)}")
    return lines


def read_all(ledger: Ledger, reader: str, lines: list[str]) -> None:
    for line in lines:
        ledger.read(reader, line)


def test_every_message_once_in_order_is_complete(ledger: Ledger) -> None:
    from_a, from_f = send(ledger, "a", 3), send(ledger, "f", 2)
    for reader in ("b", "f"):
        read_all(ledger, reader, from_a)
    for reader in ("a", "b"):
        read_all(ledger, reader, from_f)
    tally = ledger.tally()
    assert ledger.complete()
    assert (tally.expected, tally.received, tally.lost) == (10, 10, 0)
    assert (tally.duplicated, tally.out_of_order, tally.malformed) == (0, 0, 0)
    assert tally.sent == {"chatter": 3, "flooder": 2}


def test_unread_and_skipped_messages_are_lost(ledger: Ledger) -> None:
    lines = send(ledger, "a", 4)
    read_all(ledger, "b", [lines[0], lines[2]])  # 1 skipped, 3 never came
    tally = ledger.tally()
    assert not ledger.complete()
    assert tally.lost == 2 + 4  # b lacks two, f read nothing
    assert tally.out_of_order == 0


def test_late_arrival_is_out_of_order_not_lost(ledger: Ledger) -> None:
    lines = send(ledger, "a", 3)
    read_all(ledger, "b", [lines[0], lines[2], lines[1]])
    tally = ledger.tally()
    assert (tally.received, tally.out_of_order, tally.duplicated) == (3, 1, 0)
    assert tally.lost == 3  # only f's three


def test_repeats_are_duplicates(ledger: Ledger) -> None:
    lines = send(ledger, "a", 2)
    read_all(ledger, "b", [lines[0], lines[0], lines[1], lines[1], lines[0]])
    tally = ledger.tally()
    assert (tally.received, tally.duplicated, tally.out_of_order) == (2, 3, 0)


def test_echo_forgery_and_phantoms_are_malformed(ledger: Ledger) -> None:
    (line,) = send(ledger, "a")
    ledger.read("a", line)  # the server must not echo a line to its sender
    ledger.read("b", "a: " + protocol.message_text("b", 0, 1.0, 40))  # a's name, b's message
    ledger.read("b", "a: " + protocol.message_text("a", 7, 1.0, 40))  # never sent
    ledger.read("b", "a: m a 0 1.000 xxYxx")  # garbled padding
    tally = ledger.tally()
    assert tally.malformed == 4
    assert tally.received == 0
    assert len(tally.malformed_examples) == 4


@pytest.mark.parametrize(
    "line",
    [
        "* k1n1 has joined the chat",
        "* Online (3): a, b, f",
        "k1n1: hello from k1n1",
        "k1n1: \ufffd\ufffd( ok",
        "[private] k1n1: psst",
        "[14:02] a: m a 0 1.000 xx",
        "[14:02] * k1n1 waves",
    ],
)
def test_other_protocol_lines_are_fine(ledger: Ledger, line: str) -> None:
    ledger.read("b", line)
    assert ledger.tally().malformed == 0


@pytest.mark.parametrize(
    "line",
    [
        "",
        "no colon here",
        "k1n1:no space",
        "k1n1: bell\x07",
        "k1n1: \x1b[31mred",
        "k1n1: C1 \x9b",
        "* not utf-8 \udcff",
        "[1:02] a: hi",
        "[private to k1n1 psst",
    ],
)
def test_malformed_lines(ledger: Ledger, line: str) -> None:
    ledger.read("b", line)
    ledger.check("k1n1", line)
    assert ledger.tally().malformed == 2


def test_error_lines_to_stable_clients_are_counted(ledger: Ledger) -> None:
    ledger.read("b", "! line too long (limit 4096 bytes)")
    tally = ledger.tally()
    assert (tally.errors_to_stable, tally.malformed) == (1, 0)


def test_latency_is_measured_from_the_stamp(ledger: Ledger, clock: Clock) -> None:
    (line,) = send(ledger, "f")
    clock.now += 0.25
    ledger.read("a", line)
    latency = ledger.tally().latency
    assert latency["flooder"]["count"] == 1
    assert latency["flooder"]["max_s"] == pytest.approx(0.25, abs=0.001)
    assert latency["chatter"]["count"] == 0


def test_histogram_percentiles_within_five_percent() -> None:
    histogram = Histogram()
    for ms in range(1, 1001):
        histogram.add(ms / 1000)
    assert histogram.percentile(0.5) == pytest.approx(0.5, rel=0.05)
    assert histogram.percentile(0.99) == pytest.approx(0.99, rel=0.05)
    assert histogram.max == 1.0


def test_telnet_commands_are_split_from_lines() -> None:
    raw = b"\xff\xfc\x06! a username may contain only letters\xff\xfe\x01"
    line, commands = protocol.split_telnet(raw)
    assert line == b"! a username may contain only letters"
    assert commands == [b"\xff\xfc\x06", b"\xff\xfe\x01"]


def test_only_telnet_refusals_are_expected(ledger: Ledger) -> None:
    ledger.telnet("k1", [b"\xff\xfc\x06", b"\xff\xfe\x03"])
    assert ledger.tally().malformed == 0
    ledger.telnet("k1", [b"\xff\xfb\x01"])  # IAC WILL ECHO: chatd never offers anything
    assert ledger.tally().malformed == 1


def test_a_telnet_byte_in_a_line_is_malformed(ledger: Ledger) -> None:
    ledger.read("b", protocol.decode(b"\xff\xfc\x06* k1n1 has joined the chat"))
    assert ledger.tally().malformed == 1
