"""Username rules: what a name may look like and when two names are the same.

Two names collide when their keys match.  The key is the NFKC normalisation of the case-folded
NFKC form, so ``Alice``, ``ALICE`` and fullwidth ``ａｌｉｃｅ`` are one name.  Every comparison of
names goes through :func:`name_key`; nothing else in chatd lowercases a name.
"""

from __future__ import annotations

import unicodedata

from chatd.core.errors import NameRefused

MAX_NAME_LENGTH = 24

#: Names that would let someone pose as the server or its staff.  Compared by key.  The second
#: group are the first words of the server's own notices: ``/me`` renders as ``* NAME ACTION``,
#: so a user called "Welcome" could otherwise forge ``* Welcome bob! ...`` to others.
RESERVED_NAMES = frozenset(
    {
        "goodbye",
        "online",
        "please",
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


def check_name(name: str) -> str:
    """Return the key of ``name`` if it is a well-formed, unreserved username.

    Raise :class:`NameRefused` otherwise.  Whether the name is free is the hub's business.
    """
    if not name:
        raise NameRefused("a username needs at least one character")
    if len(name) > MAX_NAME_LENGTH:
        raise NameRefused(f"that username is too long (at most {MAX_NAME_LENGTH} characters)")
    if not all(_is_name_char(char) for char in name):
        raise NameRefused("a username may contain only letters, digits, '_', '-' and '.'")
    if not _is_letter_or_digit(name[0]):
        raise NameRefused("a username must start with a letter or a digit")
    key = name_key(name)
    if key in RESERVED_NAMES:
        raise NameRefused(f"the username {name} is reserved, please choose another")
    return key
