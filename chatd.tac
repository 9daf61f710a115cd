"""chatd as a twistd application file: ``twistd -ny chatd.tac``.

Builds the same service as ``twistd chatd``.  Options come from the CHATD_OPTIONS environment
variable, written as on the command line (``CHATD_OPTIONS="--port 4000 --history 50"``); without
it every option keeps its default.  CHATD_CONFIG=FILE is short for ``--config FILE`` at the start of
CHATD_OPTIONS (so a ``--config`` in CHATD_OPTIONS wins); SIGHUP re-reads the file as it does under
``twistd chatd``.
"""

import os
import shlex

from twisted.application.service import Application
from twisted.python import usage

from chatd.startup import usage_failure
from chatd.tap import Options, makeService

config = os.environ.get("CHATD_CONFIG")
arguments = (["--config", config] if config else []) + shlex.split(
    os.environ.get("CHATD_OPTIONS", "")
)
options = Options()
try:
    options.parseOptions(arguments)
except usage.UsageError as error:  # one line that names the option, as twistd chatd gives
    raise usage_failure(error) from None

application = Application("chatd")
makeService(options).setServiceParent(application)
