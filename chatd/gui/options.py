"""The ``chatd-gui`` command line, and the connect form's fields read into a server address.

The options are chatd-client's (HOST, ``-p``, ``-n``, ``--tls``, ``--ca``, ``--insecure``,
``--quit-timeout``), so the two programs are started the same way; the GUI waits less for the
server's goodbye, since a person closing a window expects it to close.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import ClassVar

from chatd.client import options as client_options
from chatd.client.connection import ServerAddress
from chatd.client.options import name_problem, port_number

__all__ = ["DEFAULT_QUIT_TIMEOUT", "FormFields", "Options", "read_form"]

#: Seconds a closed window waits for the server's goodbye before it goes anyway.
DEFAULT_QUIT_TIMEOUT = 10.0


class Options(client_options.Options):
    synopsis = (
        "Usage: chatd-gui [HOST] [-p PORT] [-n NAME] [--tls [--ca FILE | --insecure]]"
        " [--quit-timeout SECONDS]"
    )
    longdesc = (
        "Chat on a chatd server in a window. With a name (-n) it connects at once; otherwise "
        "a connect form opens, filled in from the other arguments. Closing the window leaves "
        "the chat. Exit status: 0 once the window is closed, 1 when no window can be opened "
        "(no display), 2 for a usage error."
    )

    optParameters: ClassVar[list[list]] = [
        [*entry[:2], DEFAULT_QUIT_TIMEOUT, *entry[3:]] if entry[0] == "quit-timeout" else entry
        for entry in client_options.Options.optParameters
    ]

    def opt_version(self) -> None:
        """Display the chatd version and exit."""
        from chatd import __version__

        sys.stdout.write(f"chatd-gui {__version__}\n")
        sys.exit(0)


@dataclass(frozen=True)
class FormFields:
    """What the connect form shows and what the person typed into it."""

    host: str
    port: str
    name: str
    tls: bool


def read_form(fields: FormFields, base: ServerAddress) -> tuple[ServerAddress, str]:
    """The server and name the form asks for; ValueError with a sentence saying what is wrong.

    ``base`` carries what the form does not show (``--ca``, ``--insecure``).
    """
    host = fields.host.strip()
    if not host:
        raise ValueError("Enter the server's host name or address.")
    try:
        port = port_number(fields.port.strip())
    except ValueError:
        raise ValueError("The port is a number from 1 to 65535.") from None
    name = fields.name.strip()
    if problem := name_problem(name):
        raise ValueError(f"The name {problem}." if name else "Enter a name to chat as.")
    address = ServerAddress(
        host=host,
        port=port,
        tls=fields.tls,
        ca_pem=base.ca_pem if fields.tls else None,
        insecure=base.insecure and fields.tls,
    )
    return address, name
