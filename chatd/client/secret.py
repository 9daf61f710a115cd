"""The server's request for a registered name's password, recognised so faces can hide the answer.

After ``* NAME is registered: please enter its password`` the next line typed is the password:
the terminal face reads it without echo, as ``getpass`` does (nothing is drawn, and it stays out
of the scrollback and the Up/Down history), the GUI masks its entry field, and the client core
sends that line at once even while it holds others for the welcome.
"""

from __future__ import annotations

import re

__all__ = ["password_wanted"]

_REQUEST = re.compile(r"\* (\S+) is registered: please enter its password")


def password_wanted(text: str) -> str | None:
    """The name whose password the server line ``text`` asks for, or None."""
    match = _REQUEST.fullmatch(text)
    return match[1] if match else None
