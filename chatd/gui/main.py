"""``chatd-gui``: read the command line, open the window, chat until it is closed.

Tk runs inside the Twisted reactor (:mod:`chatd.gui.tkpump`) under
:func:`twisted.internet.task.react`: one thread, no ``mainloop``.  With ``-n NAME`` the chat
window opens and connects at once; otherwise the connect form comes first, filled in from the
arguments.  Exit status 0 once the window is closed, 1 when no window can be opened, 2 for a
usage error; problems are one line on standard error, never a traceback.
"""

from __future__ import annotations

import sys
import tkinter
from collections.abc import Sequence
from typing import NoReturn

from twisted.internet import task
from twisted.logger import (
    FilteringLogObserver,
    Logger,
    LogLevel,
    LogLevelFilterPredicate,
    globalLogBeginner,
    textFileLogObserver,
)
from twisted.python import usage

from chatd.client.connection import DEFAULT_HOST
from chatd.gui.face import GuiFace
from chatd.gui.form import ConnectForm
from chatd.gui.options import FormFields, Options
from chatd.gui.tkpump import TkPump

__all__ = ["main", "run"]

log = Logger()


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """The ``chatd-gui`` console script and ``python -m chatd.gui``."""
    options = Options()
    try:
        options.parseOptions(list(sys.argv[1:] if argv is None else argv))
    except usage.UsageError as problem:
        sys.stderr.write(f"{options.getSynopsis()}\nchatd-gui: {problem}\n")
        sys.exit(2)
    try:
        root = tkinter.Tk(className="chatd-gui")
    except tkinter.TclError as problem:
        sys.stderr.write(f"chatd-gui: cannot open a window: {problem}\n")
        sys.exit(1)
    if options["insecure"]:
        sys.stderr.write("chatd-gui: --insecure: the server's certificate is not checked\n")
    # Warnings and errors only (a bug's traceback, say); Twisted's chatter about connections
    # would be noise on the terminal a window was started from.
    only_warnings = LogLevelFilterPredicate(defaultLogLevel=LogLevel.warn)
    observer = FilteringLogObserver(textFileLogObserver(sys.stderr), [only_warnings])
    globalLogBeginner.beginLoggingTo([observer], redirectStandardIO=False)
    try:
        task.react(run, (root, options))
    except SystemExit:
        pass
    sys.exit(0)


async def run(reactor, root: tkinter.Tk, options: Options) -> None:
    """Show the form if needed, then chat in ``root`` until the person closes the window."""
    root.report_callback_exception = _report_callback_exception
    pump = TkPump(root, reactor)
    pump.start()
    try:
        address, name = options.address(), options["name"]
        if name is None:
            form = ConnectForm(
                root,
                FormFields(
                    host=options["host"] or DEFAULT_HOST,
                    port=str(options["port"]),
                    name="",
                    tls=address.tls,
                ),
                address,
            )
            chosen = await form.chosen
            if chosen is None:
                return
            address, name = chosen
        face = GuiFace(root, reactor, address, name, options["quit-timeout"])
        face.connect()
        await face.closed
    finally:
        pump.stop()
        try:
            root.destroy()
        except tkinter.TclError:
            pass


def _report_callback_exception(kind, value, traceback) -> None:
    """A bug in a Tk callback is logged, not printed over the person's terminal."""
    from twisted.python.failure import Failure

    log.failure("in a Tk callback", Failure(value, kind, traceback))
