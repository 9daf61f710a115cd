"""chatd as a twistd application file: ``twistd -ny chatd.tac``.

Builds the same service as ``twistd chatd``.  Options come from the CHATD_OPTIONS environment
variable, written as on the command line (``CHATD_OPTIONS="--port 4000 --history 50"``); without
it every option keeps its default.
"""

import os
import shlex

from twisted.application.service import Application
from twisted.python import usage

from chatd.startup import usage_failure
from chatd.tap import Options, makeService

options = Options()
try:
    options.parseOptions(shlex.split(os.environ.get("CHATD_OPTIONS", "")))
except usage.UsageError as error:  # one line that names the option, as twistd chatd gives
    raise usage_failure(error) from None

application = Application("chatd")
makeService(options).setServiceParent(application)
