"""The slash commands, as one table of records; ``/help`` is generated from the same table.

A command's ``run`` receives the session and the text after the command word (stripped) and
calls the hub's public methods.  A :class:`~chatd.core.errors.ChatError` it lets through is shown
to the person as a refusal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chatd.core import events
from chatd.core.errors import ChatError

if TYPE_CHECKING:
    from chatd.core.session import Session


class UsageError(ChatError):
    """A command was given the wrong arguments; the message shows the right ones."""

    def __init__(self, usage: str) -> None:
        super().__init__(f"usage: {usage}")


@dataclass(frozen=True)
class Command:
    name: str
    usage: str
    summary: str
    run: Callable[[Session, str], None]
    aliases: tuple[str, ...] = ()

    def help_line(self) -> str:
        also = f" (also {', '.join('/' + alias for alias in self.aliases)})" if self.aliases else ""
        return f"{self.usage}{also}: {self.summary}"


def _help(session: Session, args: str) -> None:
    lines = [command.help_line() for command in COMMANDS]
    lines.append("//TEXT: send a line that starts with /, as /TEXT")
    lines.append("<quit>: leave the chat")
    session.tell(events.Help(("Commands:", *lines)))


def _who(session: Session, args: str) -> None:
    session.tell(events.Online(session.hub.online()))


def _nick(session: Session, args: str) -> None:
    if not args or " " in args:
        raise UsageError(NICK.usage)
    session.hub.rename(session, args)


def _me(session: Session, args: str) -> None:
    if not args:
        raise UsageError(ME.usage)
    session.hub.act(session, args)


def _msg(session: Session, args: str) -> None:
    recipient, _, text = args.partition(" ")
    if not recipient or not text.strip():
        raise UsageError(MSG.usage)
    session.hub.whisper(session, recipient, text.strip())


def _quit(session: Session, args: str) -> None:
    session.quit(args or None)


HELP = Command("help", "/help", "show this list", _help)
WHO = Command("who", "/who", "list who is online", _who, aliases=("users", "names"))
NICK = Command("nick", "/nick NEW", "change your username", _nick)
ME = Command("me", "/me ACTION", "tell the others what you are doing", _me)
MSG = Command("msg", "/msg NAME TEXT", "send a private message", _msg, aliases=("w",))
QUIT = Command("quit", "/quit [REASON]", "leave the chat", _quit)

COMMANDS = (HELP, WHO, NICK, ME, MSG, QUIT)

_BY_WORD = {word: command for command in COMMANDS for word in (command.name, *command.aliases)}


def _parse(line: str) -> tuple[str, str]:
    word, _, args = line[1:].partition(" ")
    return word, args.strip()


def is_quit(line: str) -> bool:
    """Whether ``line`` is a ``/quit`` command, which works even before a username is chosen."""
    return _BY_WORD.get(_parse(line)[0].casefold()) is QUIT


def run(session: Session, line: str) -> None:
    """Run the command ``line`` (which starts with ``/``) for ``session``."""
    word, args = _parse(line)
    command = _BY_WORD.get(word.casefold())
    if command is None:
        session.refuse(f"unknown command: /{word} (try /help)")
        return
    try:
        command.run(session, args)
    except ChatError as refusal:
        session.refuse(str(refusal))
