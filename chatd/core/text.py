"""Inbound text hygiene: nothing one user types may paint on another user's terminal.

Every line that reaches the hub passes through :func:`clean` first, so anything the hub relays,
stores or logs is free of terminal escape sequences, control characters, and the invisible
Unicode characters that make text lie about itself: bidi controls that reorder what others see,
zero-width characters, line and paragraph separators that a client may take for a line break,
towers of combining marks, and runs of blank space that push text to the start of the next
terminal row, where it would pass for a line of its own.
"""

from __future__ import annotations

import re

import regex

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

#: Combining marks kept on one character: enough for Vietnamese (2), Tibetan stacks (4) and
#: emoji keycaps, not enough to draw over the lines above and below.
MAX_MARKS = 4
#: Spaces kept in a row: enough to indent or align, too few to reach the next terminal row
#: unnoticed (filling an 80-column row then takes visible characters).
MAX_SPACES = 8

# U+2028 and U+2029 end a line for str.splitlines() and some clients: they become spaces.
_SEPARATORS = re.compile("[\u2028\u2029]")
# Format characters (bidi controls, zero-width space, word joiner, BOM, soft hyphen, tags ...)
# draw nothing, except the joiners, kept below where they join, and the number signs that
# Arabic and others write before digits (Prepended_Concatenation_Mark), which are visible.
_FORMAT_CHARS = regex.compile(r"[\p{Cf}--[\u200c\u200d\p{Prepended_Concatenation_Mark}]]", regex.V1)
# ZWJ/ZWNJ shape Indic and Arabic letters and build emoji sequences: kept after a letter, mark or
# symbol and before a letter or symbol, removed anywhere else (so never between two marks).
_STRAY_JOINER = regex.compile(
    r"(?<![\p{L}\p{M}\p{So}\p{Sk}])[\u200c\u200d]|[\u200c\u200d](?![\p{L}\p{So}])"
)
_MARK_RUN = regex.compile(rf"(\p{{M}}{{{MAX_MARKS}}})\p{{M}}+")
_SPACE_RUN = regex.compile(rf"(\p{{Zs}}{{{MAX_SPACES}}})\p{{Zs}}+")
_ASCII_SPACE_RUN = " " * (MAX_SPACES + 1)
# What printable text can still hold that needs cleaning.
_PRINTABLE_TROUBLE = regex.compile(rf"\p{{M}}{{{MAX_MARKS + 1}}}|\p{{Zs}}{{{MAX_SPACES + 1}}}")


def clean(text: str) -> str:
    """Return ``text`` fit to show on other people's screens.

    Escape sequences, control and format characters go, TABs and line or paragraph separators
    become spaces, joiners stay only where they join, and runs of combining marks and of spaces
    are cut to :data:`MAX_MARKS` and :data:`MAX_SPACES`.
    """
    if text.isprintable():  # most lines: only the runs need a look, and ASCII has no marks
        if text.isascii():
            if _ASCII_SPACE_RUN not in text:
                return text
        elif not _PRINTABLE_TROUBLE.search(text):
            return text
    else:
        text = _ESCAPE_SEQUENCE.sub("", text)
        text = _CONTROL_CHARS.sub("", text.replace("\t", " "))
        text = _SEPARATORS.sub(" ", text)
        text = _FORMAT_CHARS.sub("", text)
        text = _STRAY_JOINER.sub("", text)
    text = _MARK_RUN.sub(r"\1", text)
    return _SPACE_RUN.sub(r"\1", text)
