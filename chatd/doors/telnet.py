"""Telnet's in-band commands (RFC 854), taken out of a line client's byte stream and answered.

A real ``telnet`` mixes commands into what the person types: ``IAC IP IAC DO TIMING-MARK`` when
they press Ctrl-C, ``IAC AYT`` for "are you there?", option requests.  Relayed, those bytes would
reach other users as garbage; ignored, they can leave the person's client waiting forever (after
Ctrl-C, Debian's telnet discards everything the server sends until its timing mark is answered).

chatd turns every option down (a client that hears only "no" cannot loop), with one exception:
while a password is typed, it offers to echo (``IAC WILL ECHO``), which makes telnet stop
showing what is typed, and takes the offer back after (``IAC WONT ECHO``).  It does that, and
starts any negotiation at all, only with a client that has sent a telnet command first, so
``nc`` users never see a telnet byte.  UTF-8 text never
contains the byte 255 (IAC), so the common case is one ``in`` test per packet.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

IAC = 255
DONT, DO, WONT, WILL = 254, 253, 252, 251
SB, SE = 250, 240
EL = 248  # erase line
AYT = 246  # are you there?
IP = 244  # interrupt process (Ctrl-C)
TIMING_MARK = 6
ECHO = 1

#: Sent before asking for a password: the server "echoes", so telnet shows nothing typed.
HIDE_TYPING = bytes([IAC, WILL, ECHO])
#: Sent once the password has arrived: telnet shows what is typed again.
SHOW_TYPING = bytes([IAC, WONT, ECHO])

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
    """Splits a byte stream into text and telnet commands, keeping its place across packets.

    Text is found with ``bytes.find``, so a packet costs Python work per command, not per byte;
    a client that streams commands pays for them from its flood-control budget
    (:attr:`commands` counts them for the door).
    """

    __slots__ = ("_skipped", "_state", "_verb", "alive_answered_at", "commands", "echoing")

    def __init__(self) -> None:
        self._state = _State.TEXT
        self._verb = 0
        self._skipped = 0
        #: Commands seen so far (each IAC sequence, answered or not).
        self.commands = 0
        #: When the door last answered "are you there?"; kept here because only telnet needs it.
        self.alive_answered_at = float("-inf")
        #: Whether the door offered to echo (:data:`HIDE_TYPING`) and has not taken it back.
        self.echoing = False

    def hide_typing(self) -> bytes:
        """The bytes that make telnet stop showing what is typed."""
        self.echoing = True
        return HIDE_TYPING

    def show_typing(self) -> bytes:
        """The bytes that make telnet show what is typed again (nothing if it already does)."""
        if not self.echoing:
            return b""
        self.echoing = False
        return SHOW_TYPING

    def feed(self, data: bytes) -> list[bytes | Reply | Action]:
        """The text, replies and actions in ``data``, in the order they must take effect."""
        if self._state is _State.TEXT and not carries_commands(data):
            return [data] if data else []
        pieces: list[bytes | Reply | Action] = []
        index, end = 0, len(data)
        state = self._state
        while index < end:
            if state is _State.TEXT:
                found = data.find(_IAC_BYTE, index)
                if found < 0:
                    pieces.append(data[index:])
                    break
                if found > index:
                    pieces.append(data[index:found])
                index, state = found + 1, _State.COMMAND
            elif state is _State.SUBNEGOTIATION:
                # Skip to the next IAC, but no further than the bound allows.
                limit = min(end, index + MAX_SUBNEGOTIATION + 1 - self._skipped)
                found = data.find(_IAC_BYTE, index, limit)
                stop = limit if found < 0 else found + 1
                self._skipped += stop - index
                index = stop
                if self._skipped > MAX_SUBNEGOTIATION:
                    state = _State.TEXT
                elif found >= 0:
                    state = _State.SUBNEGOTIATION_IAC
            else:
                byte = data[index]
                index += 1
                if state is _State.COMMAND:
                    after = self._command(byte, pieces)
                    if after is None:  # not a command: that byte (maybe a newline) is text
                        index -= 1
                    state = _State.TEXT if after is None else after
                elif state is _State.OPTION:
                    state = _State.TEXT
                    answer = self._answer(self._verb, byte)
                    if answer is not None:
                        pieces.append(Reply(answer))
                else:  # after IAC inside a subnegotiation
                    self._skipped += 1
                    if self._skipped > MAX_SUBNEGOTIATION or byte == SE:
                        state = _State.TEXT
                    else:
                        state = _State.SUBNEGOTIATION
        self._state = state
        return pieces

    def _command(self, byte: int, pieces: list[bytes | Reply | Action]) -> _State | None:
        """Act on the byte after an IAC; the state that follows, or None if it was no command."""
        self.commands += 1
        if byte < SE:
            # A stray IAC: it stays text, and so does this byte, so garbage from a client that
            # is not telnet keeps its lines.
            pieces.append(_IAC_BYTE)
            return None
        if byte == IAC:  # an escaped 255 is text
            pieces.append(_IAC_BYTE)
        elif byte in (WILL, WONT, DO, DONT):
            self._verb = byte
            return _State.OPTION
        elif byte == SB:
            self._skipped = 0
            return _State.SUBNEGOTIATION
        elif byte in (IP, EL):
            pieces.append(Action.DISCARD_LINE)
        elif byte == AYT:
            pieces.append(Action.SHOW_ALIVE)
        # Anything else (NOP, DM, BRK, AO, EC, GA, a stray SE, ...) asks nothing of us.
        return _State.TEXT

    def _answer(self, verb: int, option: int) -> bytes | None:
        """The answer to an option request: agreement to our own offer to echo, else no."""
        if option == ECHO and self.echoing:
            if verb == DO:
                return None  # the client agrees to what we offered
            if verb == DONT:
                self.echoing = False
                return bytes([IAC, WONT, ECHO])
        return _refusal(verb, option)


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
