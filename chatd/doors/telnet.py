"""Telnet's in-band commands (RFC 854), taken out of a line client's byte stream and answered.

A real ``telnet`` mixes commands into what the person types: ``IAC IP IAC DO TIMING-MARK`` when
they press Ctrl-C, ``IAC AYT`` for "are you there?", option requests.  Relayed, those bytes would
reach other users as garbage; ignored, they can leave the person's client waiting forever (after
Ctrl-C, Debian's telnet discards everything the server sends until its timing mark is answered).

chatd turns every option down (it needs none, and a client that hears only "no" cannot loop), and
never starts a negotiation itself, so ``nc`` users never see a telnet byte.  UTF-8 text never
contains the byte 255 (IAC), so the common case is one ``in`` test per packet.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass

IAC = 255
DONT, DO, WONT, WILL = 254, 253, 252, 251
SB, SE = 250, 240
EL = 248  # erase line
AYT = 246  # are you there?
IP = 244  # interrupt process (Ctrl-C)
TIMING_MARK = 6

_IAC_BYTE = bytes([IAC])

#: Longest subnegotiation skipped before the parser gives up on its end and reads text again,
#: so that stray bytes from a client that is not telnet cannot swallow its input for ever.
MAX_SUBNEGOTIATION = 512


def carries_commands(data: bytes) -> bool:
    """Whether ``data`` holds a byte 255, which starts a telnet command and is never in text."""
    return _IAC_BYTE in data


class Action(enum.Enum):
    """What a telnet command asks of the line door beyond an answer on the wire."""

    #: Forget the partly received line (``IP``, ``EL``): the person abandoned it.
    DISCARD_LINE = "discard line"
    #: Show the person the server is alive (``AYT``).
    SHOW_ALIVE = "show alive"


@dataclass(frozen=True, slots=True)
class Reply:
    """Bytes to send back at once, in the command stream (never seen as text by the person)."""

    data: bytes


class _State(enum.Enum):
    TEXT = enum.auto()
    COMMAND = enum.auto()  # after IAC
    OPTION = enum.auto()  # after IAC WILL/WONT/DO/DONT
    SUBNEGOTIATION = enum.auto()  # inside IAC SB ... IAC SE
    SUBNEGOTIATION_IAC = enum.auto()  # after IAC inside a subnegotiation


class TelnetParser:
    """Splits a byte stream into text and telnet commands, keeping its place across packets."""

    __slots__ = ("_skipped", "_state", "_verb")

    def __init__(self) -> None:
        self._state = _State.TEXT
        self._verb = 0
        self._skipped = 0

    def feed(self, data: bytes) -> Iterator[bytes | Reply | Action]:
        """The text, replies and actions in ``data``, in the order they must take effect."""
        if self._state is _State.TEXT and not carries_commands(data):
            if data:
                yield data
            return
        start = 0
        for index, byte in enumerate(data):
            state = self._state
            if state is _State.TEXT:
                if byte == IAC:
                    if index > start:
                        yield data[start:index]
                    self._state = _State.COMMAND
            elif state is _State.COMMAND:
                start = index + 1
                self._state = _State.TEXT
                if byte < SE:
                    # Not a command: the IAC was a stray byte, and this one (maybe a newline)
                    # is text again, so garbage from a client that is not telnet keeps its lines.
                    yield _IAC_BYTE
                    start = index
                elif byte == IAC:  # an escaped 255 is text
                    yield _IAC_BYTE
                elif byte in (WILL, WONT, DO, DONT):
                    self._verb, self._state = byte, _State.OPTION
                elif byte == SB:
                    self._skipped, self._state = 0, _State.SUBNEGOTIATION
                elif byte in (IP, EL):
                    yield Action.DISCARD_LINE
                elif byte == AYT:
                    yield Action.SHOW_ALIVE
                # Anything else (NOP, DM, BRK, AO, EC, GA, a stray SE, ...) asks nothing of us.
            elif state is _State.OPTION:
                start = index + 1
                self._state = _State.TEXT
                answer = _refusal(self._verb, byte)
                if answer is not None:
                    yield Reply(answer)
            else:
                start = index + 1
                self._skipped += 1
                if self._skipped > MAX_SUBNEGOTIATION:
                    self._state = _State.TEXT
                elif state is _State.SUBNEGOTIATION:
                    if byte == IAC:
                        self._state = _State.SUBNEGOTIATION_IAC
                elif byte == SE:
                    self._state = _State.TEXT
                else:
                    self._state = _State.SUBNEGOTIATION
        if self._state is _State.TEXT and start < len(data):
            yield data[start:]


def _refusal(verb: int, option: int) -> bytes | None:
    """The answer that keeps ``option`` off: WONT to DO, DONT to WILL, silence to WONT and DONT.

    Answering DO TIMING-MARK with WONT is what tells telnet, after Ctrl-C, that everything it
    sent before has been seen, so it shows the server's output again.
    """
    if verb == DO:
        return bytes([IAC, WONT, option])
    if verb == WILL:
        return bytes([IAC, DONT, option])
    return None
