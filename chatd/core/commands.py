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
from chatd.core.errors import ChatError, PermissionDenied
from chatd.core.moderation import parse_duration
from chatd.core.rooms import HISTORY_DEFAULT, HISTORY_MOST

if TYPE_CHECKING:
    from chatd.core.session import Session


class UsageError(ChatError):
    """A command was given the wrong arguments; the message shows the right ones."""

    code = "usage"

    def __init__(self, usage: str) -> None:
        super().__init__(f"usage: {usage}")


@dataclass(frozen=True)
class Command:
    name: str
    usage: str
    summary: str
    run: Callable[[Session, str], None]
    aliases: tuple[str, ...] = ()
    #: Only for users logged into an account listed as an operator.
    operator: bool = False

    def help_line(self) -> str:
        also = f" (also {', '.join('/' + alias for alias in self.aliases)})" if self.aliases else ""
        return f"{self.usage}{also}: {self.summary}"


def _help(session: Session, args: str) -> None:
    lines = [command.help_line() for command in COMMANDS if not command.operator]
    lines.append("/who #ROOM: list who is in a room")
    lines.append("//TEXT: send a line that starts with /, as /TEXT")
    lines.append("<quit>: leave the chat")
    if session.is_operator:
        lines.append("Operator commands:")
        lines += [command.help_line() for command in COMMANDS if command.operator]
    session.tell(events.Help(("Commands:", *lines)))


def _who(session: Session, args: str) -> None:
    if args:
        session.hub.rooms.who(session, args)
    else:
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


def _named_room(args: str) -> tuple[str | None, str]:
    """A leading ``#room`` word of ``args``, if there is one, and the rest."""
    if args.startswith("#"):
        room, _, rest = args.partition(" ")
        return room, rest.strip()
    return None, args


def _join(session: Session, args: str) -> None:
    if not args or " " in args:
        raise UsageError(JOIN.usage)
    session.hub.rooms.join(session, args)


def _part(session: Session, args: str) -> None:
    room, reason = _named_room(args)
    session.hub.rooms.part(session, room, reason or None)


def _rooms(session: Session, args: str) -> None:
    session.tell(events.RoomList(session.hub.rooms.listing()))


def _topic(session: Session, args: str) -> None:
    if args:
        session.hub.moderation.check_speech(session)
    session.hub.rooms.topic(session, args or None, session.hub.clock.seconds())


def _to(session: Session, args: str) -> None:
    room, text = _named_room(args)
    if room is None or not text:
        raise UsageError(TO.usage)
    session.hub.say(session, text, room)


def _history(session: Session, args: str) -> None:
    room, count = _named_room(args)
    if not count:
        number = HISTORY_DEFAULT
    elif count.isdigit():
        number = min(int(count), HISTORY_MOST)
    else:
        raise UsageError(HISTORY.usage)
    session.hub.rooms.history(session, room, number)


def _receipts(session: Session, args: str) -> None:
    if args not in ("on", "off"):
        raise UsageError(RECEIPTS.usage)
    session.hub.set_receipts(session, args == "on")


def _one_word(args: str, command: Command) -> str:
    if not args or " " in args:
        raise UsageError(command.usage)
    return args


def _register(session: Session, args: str) -> None:
    if not args:
        raise UsageError(REGISTER.usage)
    session.hub.accounts.register(session, args)


def _password(session: Session, args: str) -> None:
    old, _, new = args.partition(" ")
    if not old or not new.strip():
        raise UsageError(PASSWORD.usage)
    session.hub.accounts.change_password(session, old, new.strip())


def _unregister(session: Session, args: str) -> None:
    session.hub.accounts.unregister(session, _one_word(args, UNREGISTER))


def _whois(session: Session, args: str) -> None:
    session.hub.moderation.whois(session, _one_word(args, WHOIS))


def _kick(session: Session, args: str) -> None:
    name, _, reason = args.partition(" ")
    if not name:
        raise UsageError(KICK.usage)
    session.hub.moderation.kick(session, name, reason.strip() or None)


def _ban(session: Session, args: str) -> None:
    target, _, rest = args.partition(" ")
    if not target:
        raise UsageError(BAN.usage)
    first, _, more = rest.strip().partition(" ")
    duration = parse_duration(first)
    reason = more.strip() if duration is not None else rest.strip()
    session.hub.moderation.ban(session, target, duration, reason or None)


def _unban(session: Session, args: str) -> None:
    session.hub.moderation.unban(session, _one_word(args, UNBAN))


def _bans(session: Session, args: str) -> None:
    session.hub.moderation.list_bans(session)


def _mute(session: Session, args: str) -> None:
    name, _, rest = args.partition(" ")
    duration = parse_duration(rest.strip()) if rest.strip() else None
    if not name or (rest.strip() and duration is None):
        raise UsageError(MUTE.usage)
    session.hub.moderation.mute(session, name, duration)


def _unmute(session: Session, args: str) -> None:
    session.hub.moderation.unmute(session, _one_word(args, UNMUTE))


def _announce(session: Session, args: str) -> None:
    if not args:
        raise UsageError(ANNOUNCE.usage)
    session.hub.announce(session, args)


HELP = Command("help", "/help", "show this list", _help)
WHO = Command("who", "/who", "list who is online", _who, aliases=("users", "names"))
NICK = Command("nick", "/nick NEW", "change your username", _nick)
ME = Command("me", "/me ACTION", "tell the others what you are doing", _me)
MSG = Command("msg", "/msg NAME TEXT", "send a private message", _msg, aliases=("w",))
QUIT = Command("quit", "/quit [REASON]", "leave the chat", _quit)
JOIN = Command("join", "/join #ROOM", "join a room (made if new) and talk there", _join)
PART = Command("part", "/part [#ROOM] [REASON]", "leave a room (yours now, by default)", _part)
ROOMS = Command("rooms", "/rooms", "list the rooms with people in them", _rooms)
TOPIC = Command("topic", "/topic [TEXT]", "show or set the topic of your room", _topic)
TO = Command("to", "/to #ROOM TEXT", "say something in another of your rooms", _to)
HISTORY = Command(
    "history", "/history [#ROOM] [N]", f"show a room's last N lines ({HISTORY_DEFAULT})", _history
)
RECEIPTS = Command(
    "receipts", "/receipts on|off", "confirm each of your lines once it is stored", _receipts
)

REGISTER = Command("register", "/register PASSWORD", "register the name you are using", _register)
PASSWORD = Command("password", "/password OLD NEW", "change your password", _password)
UNREGISTER = Command(
    "unregister", "/unregister PASSWORD", "delete the registration of your name", _unregister
)
WHOIS = Command("whois", "/whois NAME", "show since when, where and how NAME is here", _whois)
KICK = Command("kick", "/kick NAME [REASON]", "disconnect NAME", _kick, operator=True)
BAN = Command(
    "ban",
    "/ban NAME|ADDRESS|CIDR [DURATION] [REASON]",
    "ban a name (and its address) or addresses, for 30m, 12h, 7d or for good",
    _ban,
    operator=True,
)
UNBAN = Command("unban", "/unban NAME|ADDRESS|CIDR", "lift a ban", _unban, operator=True)
BANS = Command("bans", "/bans", "list the bans in force", _bans, operator=True)
MUTE = Command(
    "mute", "/mute NAME [DURATION]", "stop NAME from talking (until /unmute)", _mute, operator=True
)
UNMUTE = Command("unmute", "/unmute NAME", "let NAME talk again", _unmute, operator=True)
ANNOUNCE = Command("announce", "/announce TEXT", "say TEXT to every user", _announce, operator=True)

COMMANDS = (
    HELP,
    WHO,
    NICK,
    ME,
    MSG,
    JOIN,
    PART,
    ROOMS,
    TOPIC,
    TO,
    HISTORY,
    RECEIPTS,
    REGISTER,
    PASSWORD,
    UNREGISTER,
    WHOIS,
    QUIT,
    KICK,
    BAN,
    UNBAN,
    BANS,
    MUTE,
    UNMUTE,
    ANNOUNCE,
)

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
        session.refuse(f"unknown command: /{word} (try /help)", "unknown_command")
        return
    try:
        if command.operator and not session.is_operator:
            raise PermissionDenied(command.name)
        command.run(session, args)
    except ChatError as refusal:
        session.refuse_for(refusal)
