"""Inbound text hygiene: nothing one user types may paint on another user's terminal.

Every line that reaches the hub passes through :func:`clean` first, so anything the hub relays,
stores or logs is free of terminal escape sequences and control characters.
"""

from __future__ import annotations

import re

_ESCAPE_SEQUENCE = re.compile(
    r"""
      \x1b\[ [0-?]* [ -/]* [@-~]          # CSI: colours, cursor movement, erase ...
    | \x1b[]PX^_] .*? (?: \x07 | \x1b\\ | $)  # OSC, DCS, SOS, PM, APC: up to BEL or ST
    | \x1b [ -/]* [0-~]                   # everything else that starts with ESC
    """,
    re.VERBOSE | re.DOTALL,
)

# C0 controls except TAB, DEL and the C1 controls; TAB is turned into a space first.
_CONTROL_CHARS = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """Return ``text`` without escape sequences or control characters, TABs made spaces."""
    if text.isprintable():
        return text
    text = _ESCAPE_SEQUENCE.sub("", text)
    return _CONTROL_CHARS.sub("", text.replace("\t", " "))
