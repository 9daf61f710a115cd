"""When two names look alike, and which writing systems a name uses (Unicode TR39).

Names are shown as typed, so ``alice`` with a Cyrillic ``а``, ``AIice`` with a capital ``I`` and
``rnallory`` read as ``alice``, ``Alice`` and ``mallory`` to the people who see them.  The
*look-alike key* of a name maps it onto the Unicode confusable prototypes (the TR39 "skeleton",
from Unicode's own ``confusables.txt``, shipped beside this module with its notice), so two names
that look alike get the same look-alike key.  The script test follows TR39's "resolved script
set" on the Script_Extensions property, which the ``regex`` module knows for current Unicode.

The look-alike key is computed from a name's comparison key (NFKC and case folding), so it is
case-insensitive as well; for that to hold, a letter whose capital has another prototype than
itself (``i``, whose capital ``I`` looks like ``l``) is mapped to that prototype too, which makes
``ian`` and ``lan`` one name.  Reserved names use the finer :func:`skeleton`, so that ``Ali`` is
not taken for the reserved ``all``.
"""

from __future__ import annotations

import unicodedata
from importlib.resources import files

import regex
from regex import _regex_core

__all__ = ["is_invisible", "lookalike_key", "scripts_mixed", "skeleton"]


def _load_prototypes() -> dict[str, str]:
    """Each confusable character and its prototype, from Unicode's ``confusables.txt``."""
    data = files("chatd.core").joinpath("confusables.txt").read_text("utf-8-sig")
    prototypes: dict[str, str] = {}
    for line in data.splitlines():
        fields = line.split("#", 1)[0].split(";")
        if len(fields) < 2:
            continue
        source, target = fields[0].strip(), fields[1].split()
        prototypes[chr(int(source, 16))] = "".join(chr(int(code, 16)) for code in target)
    return prototypes


def _caseless(prototypes: dict[str, str]) -> dict[str, str]:
    """``prototypes``, plus: a small letter takes its capital's prototype when that differs.

    ``I`` looks like ``l`` but ``i`` does not, so after case folding ``AIice`` would no longer
    look like ``alice``; mapping ``i`` to ``l`` as well keeps them together.
    """
    caseless = dict(prototypes)
    for source, target in prototypes.items():
        lower = source.casefold()
        capital = unicodedata.category(source) in ("Lu", "Lt")
        if capital and len(lower) == 1 and lower not in prototypes:
            folded = _skeleton(target, prototypes).casefold()
            if folded != lower:
                caseless[lower] = folded
    return caseless


def _skeleton(text: str, prototypes: dict[str, str]) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    mapped = "".join(prototypes.get(char, char) for char in decomposed)
    return unicodedata.normalize("NFD", mapped)


_PROTOTYPES = _load_prototypes()
_CASELESS = _caseless(_PROTOTYPES)
_INVISIBLE = regex.compile(r"[\p{Default_Ignorable_Code_Point}\p{Cf}\p{Zl}\p{Zp}]")


def lookalike_key(key: str) -> str:
    """The form under which name key ``key`` is compared with look-alike names.

    Returns ``key`` itself when it is already its own look-alike key, so that most names cost
    no second string.
    """
    if key.isascii() and key.isalpha() and "i" not in key and "m" not in key:
        return key  # the common case: ASCII letters that are their own prototypes
    folded = _skeleton(key, _CASELESS).casefold()
    while True:  # case folding can produce characters that have prototypes of their own
        again = _skeleton(folded, _CASELESS).casefold()
        if again == folded:
            break
        folded = again
    return key if folded == key else folded


def skeleton(text: str) -> str:
    """TR39's skeleton of ``text``, case-folded, as ergo compares names (no extra merging).

    Finer than :func:`lookalike_key`: ``ali`` and ``all`` differ here, ``AIl`` and ``all`` do not.
    """
    return _skeleton(text, _PROTOTYPES).casefold()


def is_invisible(char: str) -> bool:
    """Whether ``char`` draws nothing: default-ignorable, a format character or a separator.

    The Hangul fillers (U+115F, U+1160, U+3164, U+FFA0) are letters by category but
    default-ignorable, so a name made of them would be blank.
    """
    return _INVISIBLE.match(char) is not None


# Script_Extensions values, by their four-letter codes.  The regex module keeps its property
# tables private; they are the only list of script codes it has.
_SCRIPT_CODES = sorted(
    {
        name
        # The stubs leave out the private tables.
        for name in _regex_core.PROPERTIES["SCRIPTEXTENSIONS"][1]  # type: ignore[attr-defined]
        if len(name) == 4 and not name.startswith("Q") and name not in ("ZYYY", "ZINH", "ZZZZ")
    }
)
_SCRIPTS = {code: regex.compile(rf"\p{{scx={code}}}") for code in _SCRIPT_CODES}
_ANY_SCRIPT = regex.compile(r"[\p{scx=Zyyy}\p{scx=Zinh}]")
#: TR39's writing systems that mix scripts by nature: Japanese, Korean and Han with Bopomofo.
_AUGMENTED = {
    "HANI": {"JPAN", "KORE", "HANB"},
    "HIRA": {"JPAN"},
    "KANA": {"JPAN"},
    "HANG": {"KORE"},
    "BOPO": {"HANB"},
}


_BASES = {"JPAN": {"HANI", "HIRA", "KANA"}, "KORE": {"HANI", "HANG"}, "HANB": {"HANI", "BOPO"}}


def _basic(scripts: set[str]) -> set[str]:
    """The scripts to test a character against when only ``scripts`` are still possible."""
    basic = scripts & _SCRIPTS.keys()
    for code in scripts & _BASES.keys():
        basic |= _BASES[code]
    return basic


def _scripts_of(char: str, among: set[str] | None) -> set[str] | None:
    """The scripts ``char`` is used in (None: any, as for digits and combining marks)."""
    if char.isascii():
        return {"LATN"} if char.isalpha() else None
    if _ANY_SCRIPT.match(char):
        return None
    codes = _SCRIPT_CODES if among is None else _basic(among)
    found = {code for code in codes if _SCRIPTS[code].match(char)}
    for code in list(found):
        found |= _AUGMENTED.get(code, set())
    return found


def scripts_mixed(text: str) -> bool:
    """Whether ``text`` mixes writing systems, as ``аlice`` with a Cyrillic ``а`` does.

    Common characters (digits, ``_``, ``-``, ``.``) and combining marks go with any script;
    Han with Hiragana and Katakana (Japanese), with Hangul (Korean) or with Bopomofo is one
    writing system, as TR39 has it.
    """
    if text.isascii():
        return False
    common: set[str] | None = None
    for char in text:
        scripts = _scripts_of(char, common)
        if scripts is not None:
            common = scripts if common is None else common & scripts
            if not common:
                return True
    return False
