"""The ``chatd-client`` command line."""

from __future__ import annotations

import getopt
import sys
from pathlib import Path
from typing import ClassVar

from OpenSSL import crypto
from twisted.internet import ssl
from twisted.python import usage

from chatd.client.connection import DEFAULT_HOST, DEFAULT_PORT, ServerAddress
from chatd.client.protocol import DEFAULT_QUIT_TIMEOUT

__all__ = ["Options", "name_problem", "port_number"]


def port_number(value: str) -> int:
    """``value`` as a TCP port; ValueError, saying why, when it is not one."""
    number = int(value)
    if not 0 < number < 65536:
        raise ValueError(f"{value} is not a TCP port (1-65535)")
    return number


def name_problem(name: str) -> str | None:
    """What is wrong with ``name`` as a username to send, or None if the server may judge it.

    Only what could never work is refused here (an empty name, spaces, control characters);
    the server's rules (length, reserved and taken names) are the server's to apply.
    """
    if not name.strip():
        return "is empty"
    if any(char.isspace() or not char.isprintable() for char in name):
        return "cannot contain spaces or control characters"
    return None


def _seconds(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise ValueError(f"{value} is not a positive number of seconds")
    return number


class Options(usage.Options):
    synopsis = (
        "Usage: chatd-client [HOST] [-p PORT] [-n NAME] [--tls [--ca FILE | --insecure]]"
        " [--quit-timeout SECONDS]"
    )
    longdesc = (
        f"Chat on a chatd server from this terminal. HOST defaults to {DEFAULT_HOST}; run with "
        "no arguments at all on a terminal and it asks for it. Every line you type is sent; "
        "<quit>, /quit or Ctrl-D leaves. Exit status: 0 after a clean goodbye, 1 when the "
        "connection failed or was lost, 2 for a usage error."
    )

    optParameters: ClassVar[list[list]] = [
        ["port", "p", DEFAULT_PORT, "Server port.", port_number],
        ["name", "n", None, "Username to answer the server's prompt with."],
        [
            "ca",
            None,
            None,
            "PEM certificate to trust for TLS instead of the system's (implies --tls).",
        ],
        [
            "quit-timeout",
            None,
            DEFAULT_QUIT_TIMEOUT,
            "Seconds to wait for the server to close after <quit>.",
            _seconds,
        ],
    ]
    optFlags: ClassVar[list[list[str | None]]] = [
        ["tls", None, "Connect with TLS, verifying the server's certificate."],
        ["insecure", None, "TLS without verifying the certificate (implies --tls)."],
    ]

    def __init__(self) -> None:
        super().__init__()
        self["host"] = None

    def parseOptions(self, options: list[str] | None = None) -> None:
        """Parse as :class:`usage.Options` does, but let flags follow HOST, as the usage shows.

        Twisted stops at the first argument that is not an option (``getopt``); GNU order is
        what people type (``chatd-client example.org -p 4000``).
        """
        arguments = sys.argv[1:] if options is None else list(options)
        try:
            pairs, positional = getopt.gnu_getopt(arguments, self.shortOpt, self.longOpt)
        except getopt.error as problem:
            raise usage.UsageError(str(problem)) from None
        flags_first: list[str] = []
        for option, value in pairs:
            flags_first += [option, value] if self._takes_value(option) else [option]
        super().parseOptions([*flags_first, "--", *positional])

    def _takes_value(self, option: str) -> bool:
        if option.startswith("--"):
            return f"{option[2:]}=" in self.longOpt
        return f"{option[1:]}:" in self.shortOpt

    def opt_version(self) -> None:
        """Display the chatd version and exit."""
        from chatd import __version__

        sys.stdout.write(f"chatd-client {__version__}\n")
        sys.exit(0)

    def parseArgs(self, host: str | None = None) -> None:
        if host is not None and not host.strip():
            raise usage.UsageError("HOST is empty")
        self["host"] = host

    def postOptions(self) -> None:
        if self["ca"] is not None and self["insecure"]:
            raise usage.UsageError("--ca and --insecure exclude each other")
        name = self["name"]
        if name is not None and (problem := name_problem(name)):
            raise usage.UsageError(f"--name {problem}")
        self["ca-pem"] = _read_certificate(self["ca"]) if self["ca"] is not None else None

    def address(self, host: str | None = None) -> ServerAddress:
        """The server these options point at; ``host`` stands in for a HOST not given."""
        return ServerAddress(
            host=self["host"] or host or DEFAULT_HOST,
            port=self["port"],
            tls=bool(self["tls"] or self["ca"] is not None or self["insecure"]),
            ca_pem=self["ca-pem"],
            insecure=bool(self["insecure"]),
        )


def _read_certificate(path: str) -> bytes:
    """The PEM bytes of ``path``, checked now so that a bad file is a usage error."""
    try:
        pem = Path(path).read_bytes()
        ssl.Certificate.loadPEM(pem)
    except OSError as problem:
        raise usage.UsageError(f"--ca {path}: {problem.strerror}") from None
    except crypto.Error:
        raise usage.UsageError(f"--ca {path}: not a PEM certificate") from None
    return pem
