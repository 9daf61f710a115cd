"""chatd as a twistd application file: ``twistd -ny chatd.tac``.

Builds the same service as ``twistd chatd``.  Options come from the CHATD_OPTIONS environment
variable, written as on the command line (``CHATD_OPTIONS="--port 4000 --history 50"``); without
it every option keeps its default.
"""

import os
import shlex

from twisted.application.service import Application

from chatd.tap import Options, makeService

options = Options()
options.parseOptions(shlex.split(os.environ.get("CHATD_OPTIONS", "")))

application = Application("chatd")
makeService(options).setServiceParent(application)
