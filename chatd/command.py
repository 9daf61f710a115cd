"""The ``chatd`` command: ``twistd -n chatd`` for those who have chatd but no ``twistd``.

``pipx install chatd`` puts only chatd's own scripts on the PATH, not Twisted's ``twistd``.  So
``chatd ARGS`` runs twistd's own runner as ``twistd --nodaemon --pidfile= chatd ARGS``: in the
foreground, logging to stdout, with chatd's options and nothing else; their parsing, ``--help``
and ``--version``, the exit status and the signals are twistd's and the plugin's, unchanged.

``--pidfile=`` because a foreground command's PID is already known to whatever started it (a
shell, systemd), and twistd's default ``twistd.pid`` in the working directory would stop a
second chatd started from the same directory.  twistd's own options (a pid file, another
logger or reactor) stay with ``twistd -n ... chatd ...``, which is installed beside this command.
"""

from __future__ import annotations

import sys

from twisted.application import app
from twisted.scripts import twistd

__all__ = ["TWISTD_ARGUMENTS", "main"]

#: What ``chatd ARGS`` puts before ARGS on twistd's command line.
TWISTD_ARGUMENTS = ("--nodaemon", "--pidfile=", "chatd")


class CommandOptions(twistd.ServerOptions):
    """twistd's options, always followed by the chatd subcommand's.

    usage.Options shows a subcommand's synopsis as its parent's synopsis, the subcommand's name
    and its own (``Usage: twistd [options] chatd [options]``); a bare ``Usage:`` here makes
    ``chatd --help`` read ``Usage: chatd [options]``, the command that was typed.
    """

    synopsis = "Usage:"

    def parseOptions(self, options: list[str] | None = None) -> None:
        arguments = sys.argv[1:] if options is None else options
        super().parseOptions([*TWISTD_ARGUMENTS, *arguments])


def main() -> None:
    """Run chatd as ``twistd -n chatd`` would, with this command's arguments."""
    app.run(twistd.runApp, CommandOptions)
