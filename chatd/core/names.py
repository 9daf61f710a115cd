"""Username rules: what a name may look like and when two names are the same.

Two names collide when their keys match or their look-alike keys do.  The key is the NFKC
normalisation of the case-folded NFKC form, so ``Alice``, ``ALICE`` and fullwidth ``ａｌｉｃｅ`` are
one name; the look-alike key (:func:`chatd.core.lookalike.lookalike_key`, which the directory of
users files them under too) makes ``аlice`` with a Cyrillic ``а`` and ``AIice`` with a capital
``I`` the same name as well.  Every comparison of names
goes through these two keys; nothing else in chatd lowercases a name.

The rules are meant for any name people choose (room names too): :func:`check_name` returns the
key or raises :class:`NameRefused` with a reason a person can act on.
"""

from __future__ import annotations

import unicodedata

from chatd.core.errors import NameRefused
from chatd.core.lookalike import is_invisible, scripts_mixed, skeleton

MAX_NAME_LENGTH = 24
#: Combining marks one letter of a name may carry (Vietnamese needs 2, Tibetan stacks up to 4).
MAX_NAME_MARKS = 4

#: Names that would let someone pose as the server or its staff.  Compared by key.  The first
#: group are the first words of the server's own notices: ``/me`` renders as ``* NAME ACTION``,
#: so a user called "Welcome" could otherwise forge ``* Welcome bob! ...`` to others, or one
#: called "Now" a room switch (``* Now talking in #x``).  A test checks every notice's first
#: word is here.
RESERVED_NAMES = frozenset(
    {
        "announcement",
        "banned",
        "bans",
        "end",
        "goodbye",
        "history",
        "in",
        "lifted",
        "now",
        "online",
        "please",
        "receipts",
        "rooms",
        "the",
        "topic",
        "welcome",
        "yes",
        "you",
        "admin",
        "administrator",
        "all",
        "anonymous",
        "chatd",
        "everyone",
        "mod",
        "moderator",
        "nobody",
        "operator",
        "root",
        "server",
        "staff",
        "system",
        "sysop",
    }
)

#: The reserved names by look-alike key, so that ``ѕerver`` with a Cyrillic ``ѕ`` is reserved too.
_RESERVED_SKELETONS = frozenset(skeleton(name) for name in RESERVED_NAMES)

_PUNCTUATION = frozenset("_-.")


def name_key(name: str) -> str:
    """Return the form under which ``name`` is compared with other names."""
    key = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return name if key == name else key  # one string, not two, for a name already in key form


def _is_letter_or_digit(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] == "L" or category == "Nd"


def _is_name_char(char: str) -> bool:
    # Combining marks are part of how many scripts write letters (Devanagari, Thai, ...).
    return _is_letter_or_digit(char) or char in _PUNCTUATION or unicodedata.category(char)[0] == "M"


def _most_marks(name: str) -> int:
    """The longest run of combining marks in ``name``, counted on its decomposed form."""
    most = run = 0
    for char in unicodedata.normalize("NFD", name):
        run = run + 1 if unicodedata.category(char)[0] == "M" else 0
        most = max(most, run)
    return most


def check_name(name: str, what: str = "username", reserved: bool = True) -> str:
    """Return the key of ``name`` if it is a well-formed (and, if asked, unreserved) name.

    Raise :class:`NameRefused` otherwise, with a reason that calls the name ``what`` (room names
    follow the same rules, without the reserved list).  Whether the name is free is the hub's
    business.
    """
    if not name:
        raise NameRefused(f"a {what} needs at least one character")
    if len(name) > MAX_NAME_LENGTH:
        raise NameRefused(f"that {what} is too long (at most {MAX_NAME_LENGTH} characters)")
    if not name.isascii() and any(is_invisible(char) for char in name):
        raise NameRefused(f"a {what} may not contain invisible characters")
    if not all(_is_name_char(char) for char in name):
        raise NameRefused(f"a {what} may contain only letters, digits, '_', '-' and '.'")
    if not _is_letter_or_digit(name[0]):
        raise NameRefused(f"a {what} must start with a letter or a digit")
    if not name.isascii() and _most_marks(name) > MAX_NAME_MARKS:
        raise NameRefused(
            f"a {what} may have at most {MAX_NAME_MARKS} combining marks on one letter"
        )
    key = name_key(name)
    if reserved and (
        key in RESERVED_NAMES or {skeleton(name), skeleton(key)} & _RESERVED_SKELETONS
    ):
        raise NameRefused(f"the {what} {name} is reserved, please choose another", "name_reserved")
    if scripts_mixed(name):
        raise NameRefused(f"a {what} may not mix scripts, such as Latin and Cyrillic letters")
    return key
