"""Start-up failures as one line that names the option and its value.

Left to itself twistd answers a usage error with its whole help text before the error, and a
listener that cannot listen (a port in use, an address that does not exist) with a forty-line
traceback.  Someone starting a chat server wants to be told which option to change, so chatd
reports both kinds of failure as one line ending in a pointer to ``twistd chatd --help`` (or
``chatd --help`` under the ``chatd`` command), and keeps twistd's exit status (1) for both.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys

from twisted.application.internet import StreamServerEndpointService
from twisted.internet.error import CannotListenError
from twisted.internet.interfaces import IProtocolFactory, IStreamServerEndpoint
from twisted.logger import Logger
from twisted.python import usage

# What twisted.python.usage puts before the message of a value its coercer refused; chatd's
# coercers already say which option wanted what, so the prefix only adds noise.
_COERCE_PREFIX = "Parameter type enforcement failed: "


class CannotStart(SystemExit, Exception):
    """chatd cannot start; the one-line reason has already been logged.

    A SystemExit, so that Python ends the process with status 1 and no traceback.  Also an
    Exception, so that twistd's start-up (which catches Exception) still removes its pid file and
    tells a daemonizing parent that start-up failed before the exit goes on.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.code = 1


def help_command() -> str:
    """The command that shows chatd's options, written as this process was started.

    ``.venv/bin/twistd`` stays ``.venv/bin/twistd``, so the hint works as typed; a twistd found
    on the PATH is just ``twistd``.  The ``chatd`` command (:mod:`chatd.command`) takes chatd's
    options itself, so its hint is ``chatd --help``: where it was installed by pipx, no twistd
    is on the PATH.
    """
    program = sys.argv[0] if sys.argv else "twistd"
    name = os.path.basename(program)
    if name not in ("twistd", "chatd"):  # python -m twisted, a test, an embedding
        program = name = "twistd"
    elif os.path.isabs(program) and shutil.which(name) == program:
        program = name
    return shlex.join([program, "--help"] if name == "chatd" else [program, "chatd", "--help"])


def usage_failure(error: usage.UsageError) -> SystemExit:
    """The exit for a command line that chatd refused: one line on stderr, status 1.

    Nothing has started yet (no log, no pid file), so Python's own report of the exit message is
    all it takes.
    """
    message = str(error)
    if message.startswith(_COERCE_PREFIX):
        message = message[len(_COERCE_PREFIX) :]
    return SystemExit(f"chatd: {message} (see {help_command()})")


def _reason(error: Exception) -> str:
    """Why a listen failed, in words: ``address already in use`` rather than an exception repr."""
    cause = error.socketError if isinstance(error, CannotListenError) else error
    reason = getattr(cause, "strerror", None) or str(cause)
    if reason[:1].isupper() and reason[1:2].islower():  # "Address ..." but not "IPv6 ..."
        reason = reason[0].lower() + reason[1:]
    return reason.rstrip(".")


class Listener(StreamServerEndpointService):
    """Listens on one endpoint and, when it cannot, says which option asked for it.

    ``source`` is that option as the user wrote it (``--port 33000``, ``--listen 'ssl:...'``).  A
    failure is logged as one critical event and raised as :class:`CannotStart`, which ends twistd
    with status 1 after its usual clean-up.  Only failures to listen are translated; anything else
    is a bug and keeps its traceback.
    """

    log = Logger()

    # Raise a failure to listen from privilegedStartService instead of logging it and running
    # without the port; twisted.application.strports.service sets the same attribute.
    _raiseSynchronously = True

    def __init__(
        self, endpoint: IStreamServerEndpoint, factory: IProtocolFactory, source: str
    ) -> None:
        super().__init__(endpoint, factory)
        self.source = source

    def privilegedStartService(self) -> None:
        try:
            super().privilegedStartService()
        except (CannotListenError, OSError) as error:
            reason, hint = _reason(error), help_command()
            self.log.critical(
                "chatd: cannot listen on {source}: {reason} (see {hint})",
                source=self.source,
                reason=reason,
                hint=hint,
            )
            raise CannotStart(f"chatd: cannot listen on {self.source}: {reason}") from error
