"""``chatd-client``: read the command line, choose a face, connect, chat, exit with a status.

Exit status 0 after the server's goodbye to our ``<quit>``, 1 when connecting failed, the
connection was lost or the name was refused, 2 for a usage error.  Everything runs in one
reactor under :func:`twisted.internet.task.react`; standard input and output belong to a
:class:`~twisted.internet.stdio.StandardIO` while it runs (which makes them non-blocking), so
the one line of error on standard error is written after the reactor has stopped and the
terminal has been put back as it was.
"""

from __future__ import annotations

import fcntl
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import NoReturn

from twisted.conch.insults.insults import ServerProtocol
from twisted.internet import defer, stdio, task
from twisted.python import usage
from twisted.python.failure import Failure

from chatd.client.connection import (
    DEFAULT_HOST,
    ServerAddress,
    client_endpoint,
    describe_failure,
    is_tls_failure,
)
from chatd.client.options import Options
from chatd.client.pipes import PlainFace
from chatd.client.protocol import (
    SILENCE_SECONDS,
    ChatClientProtocol,
    GaveUp,
    NameRefused,
    QuitTimedOut,
    ServerClosed,
)
from chatd.client.render import use_colour
from chatd.client.terminal import TerminalFace, raw_terminal

__all__ = ["main"]

LOST = "Connection to server lost."
#: How long the last server lines may take to reach standard output before we exit anyway.
FLUSH_SECONDS = 5.0
#: The same when a signal is stopping the reactor; the person is waiting to get their shell.
INTERRUPTED_FLUSH_SECONDS = 1.0


@dataclass
class Outcome:
    """How the run ended: the exit status and the line, if any, to write on standard error."""

    status: int = 1
    message: str | None = None
    #: Set once the outcome is known, so that a later event cannot change it.
    final: bool = False


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """The ``chatd-client`` console script and ``python -m chatd.client``."""
    _open_missing_stdio()
    arguments = list(sys.argv[1:] if argv is None else argv)
    options = Options()
    try:
        options.parseOptions(arguments)
    except usage.UsageError as problem:
        sys.stderr.write(f"{options.getSynopsis()}\nchatd-client: {problem}\n")
        sys.exit(2)
    if options["insecure"]:
        sys.stderr.write("chatd-client: --insecure: the server's certificate is not checked\n")
        sys.stderr.flush()
    on_terminal = os.isatty(0) and os.isatty(1)
    outcome = Outcome()
    with ExitStack() as restore:
        restore.enter_context(_stdio_flags_kept())
        if on_terminal:
            restore.enter_context(raw_terminal(0))
        try:
            task.react(_run, (options, on_terminal, not arguments, outcome))
        except SystemExit:
            pass
    if outcome.message:
        sys.stderr.write(outcome.message + "\n")
        sys.stderr.flush()
    sys.exit(outcome.status)


async def _run(reactor, options: Options, on_terminal: bool, ask_host: bool, outcome: Outcome):
    colour = use_colour(os.isatty(1), os.environ)
    face: TerminalFace | PlainFace
    if on_terminal:
        face = TerminalFace(colour=colour)
        stdio.StandardIO(ServerProtocol(lambda: face), reactor=reactor)
    else:
        face = PlainFace(to_terminal=os.isatty(1), colour=colour)
        stdio.StandardIO(face, reactor=reactor)

    def interrupted() -> defer.Deferred[None] | None:
        # A signal (SIGTERM, or SIGINT from a pipe's terminal) stops the reactor under us:
        # exit 1, and do not call the connections it is about to drop a lost server.
        if outcome.final:
            return None
        outcome.final = True
        return _flush(face, reactor, INTERRUPTED_FLUSH_SECONDS)

    reactor.addSystemEventTrigger("before", "shutdown", interrupted)
    try:
        status, message = await _chat(reactor, options, face, ask_host and on_terminal)
    finally:
        await _flush(face, reactor, FLUSH_SECONDS)
    if not outcome.final:
        outcome.status, outcome.message, outcome.final = status, message, True


def _flush(face: TerminalFace | PlainFace, reactor, seconds: float) -> defer.Deferred[None]:
    """Let the face write out what it holds and let go of stdio, for at most ``seconds``.

    Each call waits on a Deferred of its own, so that the shutdown trigger and the end of
    :func:`_run` can both wait, each with its own bound.
    """
    flushed: defer.Deferred[None] = defer.Deferred()
    face.close().addBoth(lambda _: None if flushed.called else flushed.callback(None))
    flushed.addTimeout(seconds, reactor)
    return flushed.addErrback(lambda _: None)


def no_answer_hint(address: ServerAddress, seconds: float) -> str:
    """What to say when a plain connection to ``address`` has heard nothing for ``seconds``."""
    return (
        f"chatd-client: no answer from {address} after {seconds:g} s; "
        "if it is a TLS port, try --tls"
    )


async def _chat(
    reactor, options: Options, face, ask_host: bool, silence_seconds: float = SILENCE_SECONDS
) -> tuple[int, str | None]:
    """Connect and chat until the end; the exit status and the line for standard error.

    A person at a terminal answers the questions: the username prompt that ``-n`` answers is
    not shown to them, a refused name is followed by how to choose another, and a server that
    says nothing at all (a TLS port, most likely) is pointed out while we go on waiting.
    """
    host = options["host"]
    if host is None and ask_host:
        host = await face.ask(f"Host [{DEFAULT_HOST}]: ")
        if host is None:
            return 1, None
    address = options.address(host.strip() if host else None)
    client = ChatClientProtocol(
        face,
        reactor,
        name=options["name"],
        retry_name=face.interactive,
        quit_timeout=options["quit-timeout"],
        hide_answered_prompt=face.interactive,
        on_name_refused=lambda name, reason: face.show_note(
            "chatd-client: type another username and press Enter"
        ),
        on_silence=None if address.tls else lambda s: face.show_note(no_answer_hint(address, s)),
        silence_seconds=silence_seconds,
        # A script's output is the server's lines, unchanged: only a person's terminal asks.
        rooms_probe=False if isinstance(face, TerminalFace) else None,
        on_rooms=face.server_has_rooms if isinstance(face, TerminalFace) else None,
    )
    face.attach(client)
    not_connected: list[Failure] = []
    await client.connect_to(client_endpoint(reactor, address)).addErrback(not_connected.append)
    if not_connected:
        if not_connected[0].check(defer.CancelledError):
            return 1, None  # the person gave up while connecting
        return 1, describe_failure(address, not_connected[0])
    try:
        await client.finished
    except ServerClosed as closed:
        tls = is_tls_failure(closed.reason)
        return 1, describe_failure(address, closed.reason) if tls else LOST
    except NameRefused as refused:
        return 1, f"chatd-client: the server refused the name {refused.name}: {refused.reason}"
    except QuitTimedOut as late:
        return 1, f"chatd-client: no goodbye from the server after {late.seconds:g} s; gave up"
    except GaveUp:
        return 1, None
    return 0, None


def _open_missing_stdio() -> None:
    """Give a closed fd 0, 1 or 2 to /dev/null, before the reactor's own fds could take it.

    Run as ``chatd-client >&-``, fd 1 would otherwise be the next file opened (the epoll fd,
    say), and StandardIO would write our output there.
    """
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            os.open(os.devnull, os.O_RDWR)  # the lowest free fd, which is this one


@contextmanager
def _stdio_flags_kept() -> Iterator[None]:
    """Put back the file status flags (O_NONBLOCK) that StandardIO changes on fds 0, 1 and 2."""
    saved = {}
    for fd in (0, 1, 2):
        try:
            saved[fd] = fcntl.fcntl(fd, fcntl.F_GETFL)
        except OSError:
            pass
    try:
        yield
    finally:
        for fd, flags in saved.items():
            try:
                fcntl.fcntl(fd, fcntl.F_SETFL, flags)
            except OSError:
                pass
