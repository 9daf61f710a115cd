"""The terminal face: the client owns the input row, so arriving lines never mangle typing.

Used when standard input and output are both a terminal.  The terminal is put in raw mode
(:func:`raw_terminal`), Twisted's :mod:`twisted.conch.insults` turns the bytes of each key press
into keys, and :class:`TerminalFace` keeps the line being typed in an
:class:`~chatd.client.editor.InputLine`: each server line is printed above the input row, which
is then redrawn with the half-typed text and the cursor where they were.  Up and Down recall
earlier lines; Tab completes command words, room names and usernames
(:mod:`chatd.client.completion`); Ctrl-D on an empty line, Ctrl-C, ``<quit>`` and ``/quit``
leave, and a second Ctrl-C stops without waiting for the server's goodbye.

On a server with rooms the prompt names the current room (``alice #dev> ``); the face asks the
core to find out (``rooms_probe``), keeping receipts off as they are by default.

We use insults for keys but not :mod:`twisted.conch.recvline` for editing: ``RecvLine`` accepts
ASCII keys only (it drops every non-ASCII key press with a logged warning), resets the whole
screen when it starts, and redraws by relative cursor moves that break once the input wraps.
"""

from __future__ import annotations

import codecs
import os
import termios
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from twisted.conch.insults.insults import TerminalProtocol
from twisted.internet import defer
from twisted.internet.protocol import connectionDone
from twisted.python.failure import Failure

from chatd.client.completion import complete
from chatd.client.editor import CLEAR_ROW, InputLine, draw_above, draw_input
from chatd.client.lines import ServerLine
from chatd.client.outgoing import Outgoing
from chatd.client.protocol import ChatClientProtocol
from chatd.client.render import DIM, RESET, for_terminal, styled
from chatd.client.rooms import RoomState
from chatd.client.roster import Roster
from chatd.client.secret import password_wanted

__all__ = ["TerminalFace", "raw_terminal", "terminal_width"]


def _ctrl(letter: str) -> bytes:
    return bytes([ord(letter) - ord("A") + 1])


BACKSPACE = b"\x7f"
#: What is drawn of a password being typed.
_NOTHING = InputLine()


def terminal_width(fd: int = 1) -> int:
    """The width of the terminal on ``fd``, read afresh so that a resize is noticed."""
    try:
        return os.get_terminal_size(fd).columns or 80
    except OSError:
        return 80


@contextmanager
def raw_terminal(fd: int = 0) -> Iterator[None]:
    """Keys arrive one at a time, unechoed, Ctrl-C and Ctrl-D included; restored on every exit.

    Output processing stays on, so that anything else printing to the terminal (a traceback,
    say) still starts its lines at the left edge.
    """
    saved = termios.tcgetattr(fd)
    mode = termios.tcgetattr(fd)
    mode[0] &= ~(termios.BRKINT | termios.ICRNL | termios.INLCR | termios.IGNCR | termios.IXON)
    mode[3] &= ~(termios.ECHO | termios.ICANON | termios.ISIG | termios.IEXTEN)
    mode[6][termios.VMIN] = 1
    mode[6][termios.VTIME] = 0
    termios.tcsetattr(fd, termios.TCSANOW, mode)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, saved)


class TerminalFace(TerminalProtocol):
    """A person at a terminal: a one-row line editor under the scrolling conversation."""

    #: A person is there to type another name if the server refuses one.
    interactive = True
    #: Find out whether the server has rooms, leaving receipts off (see ChatClientProtocol).
    rooms_probe: bool | None = False

    def __init__(self, colour: bool = False, width: Callable[[], int] = terminal_width) -> None:
        self.colour = colour
        self.width = width
        self.input = InputLine()
        self.outgoing = Outgoing()
        #: Who is online and which rooms we are in, for the prompt and for Tab.
        self.roster = Roster()
        self.rooms = RoomState()
        self._question: tuple[str, defer.Deferred[str | None]] | None = None
        #: While a password is typed (after the server asked for one: never drawn, never kept
        #: in the history), the line that was being typed before, and its cursor.
        self._secret: tuple[str, int] | None = None
        self._closing = False
        self._closed: defer.Deferred[None] = defer.Deferred()
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    @property
    def client(self) -> ChatClientProtocol | None:
        """The client core typed lines go to, once attached."""
        return self.outgoing.client

    def attach(self, client: ChatClientProtocol) -> None:
        """From now on, typed lines go to ``client``."""
        self.outgoing.attach(client)
        self._redraw()

    def ask(self, question: str) -> defer.Deferred[str | None]:
        """Ask for one line before chatting; fires with it, or None if the person gave up."""
        answer: defer.Deferred[str | None] = defer.Deferred()
        self._question = (question, answer)
        self._redraw()
        return answer

    @property
    def prompt(self) -> str:
        """``NAME #room> `` (``NAME> `` without rooms) welcomed, else ``> ``; or a question."""
        if self._question is not None:
            return self._question[0]
        if self._secret is not None:
            return "password (not shown)> "
        name = self.client.name if self.client is not None else None
        if not name:
            return "> "
        return f"{name} {self.rooms.current}> " if self.rooms.current else f"{name}> "

    # The core's side

    def server_has_rooms(self, has_rooms: bool) -> None:
        """The core's answer to the rooms probe: with rooms, we are in the home room."""
        if has_rooms:
            self.rooms.start()
            self._redraw()

    def show_line(self, line: ServerLine) -> None:
        self.roster.apply(line)
        self.rooms.apply(line)
        name = self.client.name if self.client is not None else None
        if password_wanted(line.text) and self._secret is None:
            self._secret = (self.input.text, self.input.cursor)
            self.input.text, self.input.cursor = "", 0
        self._write(
            draw_above(styled(line, self.colour, name), self.prompt, self._shown(), self.width())
        )

    def show_note(self, text: str) -> None:
        """A line from chatd-client itself (a hint), above the input row like a server line.

        Standard error is this same terminal, so writing there would break into the input row.
        """
        shown = for_terminal(text)
        if self.colour:
            shown = f"{DIM}{shown}{RESET}"
        self._write(draw_above(shown, self.prompt, self._shown(), self.width()))

    def close(self) -> defer.Deferred[None]:
        """Clear the input row and let go of the terminal; fires once the output is flushed."""
        if not self._closing and not self._closed.called:
            self._closing = True
            self._write(CLEAR_ROW)
            # Not self.terminal.loseConnection(): insults would reset (and so clear) the screen.
            self.terminal.transport.loseConnection()
        return self._closed

    # Twisted's side

    def connectionMade(self) -> None:
        t = self.terminal
        self._keys: dict[object, Callable[[], None]] = {
            b"\r": self._enter,
            b"\n": self._enter,
            BACKSPACE: self.input.backspace,
            _ctrl("H"): self.input.backspace,
            t.DELETE: self.input.delete,
            t.LEFT_ARROW: self.input.left,
            _ctrl("B"): self.input.left,
            t.RIGHT_ARROW: self.input.right,
            _ctrl("F"): self.input.right,
            t.HOME: self.input.home,
            _ctrl("A"): self.input.home,
            t.END: self.input.end,
            _ctrl("E"): self.input.end,
            t.UP_ARROW: self.input.previous,
            _ctrl("P"): self.input.previous,
            t.DOWN_ARROW: self.input.next,
            _ctrl("N"): self.input.next,
            _ctrl("U"): self.input.erase_to_start,
            _ctrl("W"): self.input.erase_word,
            _ctrl("L"): lambda: None,  # just redraw
            b"\t": self._complete,
            _ctrl("C"): self._give_up,
            _ctrl("D"): self._ctrl_d,
        }
        self._redraw()

    def keystrokeReceived(self, keyID: object, modifier: object) -> None:
        if modifier is not None:
            return  # Alt- and Shift- combinations are not bound to anything
        action = self._keys.get(keyID)
        if action is not None:
            action()
        elif isinstance(keyID, bytes) and keyID >= b" " and keyID != BACKSPACE:
            typed = for_terminal(self._decoder.decode(keyID))
            if not typed:
                return  # the middle of a character of several bytes
            self.input.insert(typed)
        else:
            return
        if not self._closing:
            self._redraw()

    def unhandledControlSequence(self, seq: bytes) -> None:
        pass  # keys we do not bind, such as F-keys and PgUp

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        if not self._closing:
            self.outgoing.end()  # the terminal went away: leave
        if not self._closed.called:
            self._closed.callback(None)

    # Inside

    def _enter(self) -> None:
        prompt = self.prompt
        if self._secret is not None:
            # The password: sent, but kept out of the history and the scrollback.
            password = self.input.text
            (self.input.text, self.input.cursor), self._secret = self._secret, None
            self._write(draw_above(prompt, self.prompt, self.input, self.width()))
            self.outgoing.send(password)
            return
        line = self.input.submit()
        if self._question is not None:
            answer = self._question[1]
            self._question = None
            self._write(f"{CLEAR_ROW}{prompt}{line}\r\n")
            answer.callback(line)
        elif line.strip():
            # Keep what was said in the scrollback, as an ordinary terminal would.
            self._write(draw_above(f"{prompt}{line}", self.prompt, self.input, self.width()))
            self.outgoing.send(line)

    def _complete(self) -> None:
        """Tab: complete the word before the cursor; list the choices when there are several."""
        if self._question is not None:
            return
        names = self.roster.names() + self.rooms.everyone()
        done = complete(
            self.input.text, self.input.cursor, names, self.rooms.heard(), self.rooms.active
        )
        self.input.text, self.input.cursor = done.text, done.cursor
        if done.choices:
            listed = for_terminal("  ".join(done.choices))
            if self.colour:
                listed = f"{DIM}{listed}{RESET}"
            self._write(draw_above(listed, self.prompt, self.input, self.width()))

    def _ctrl_d(self) -> None:
        if self.input.text:
            self.input.delete()
        else:
            self._give_up()

    def _give_up(self) -> None:
        """Ctrl-C, or Ctrl-D on an empty line: cancel the question, leave, or stop waiting.

        The first press leaves the clean way (``<quit>``, then the goodbye); pressing again, or
        pressing while still connecting, stops at once.
        """
        if self._question is not None:
            answer = self._question[1]
            self._question = None
            self._write(CLEAR_ROW)
            answer.callback(None)
        elif self.client is not None and (self.outgoing.ended or not self.client.is_connected):
            self.outgoing.ended = True
            self.client.give_up()
        else:
            self.outgoing.end()

    def _redraw(self) -> None:
        self._write(draw_input(self.prompt, self._shown(), self.width()))

    def _shown(self) -> InputLine:
        """The input as drawn: nothing of a password, as ``getpass`` shows nothing."""
        return _NOTHING if self._secret is not None else self.input

    def _write(self, text: str) -> None:
        if not self._closed.called:
            self.terminal.write(text.encode("utf-8", "replace"))
