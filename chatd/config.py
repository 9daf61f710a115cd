"""The ``--config`` file: TOML whose keys are chatd's long option names.

A file says the same things as a command line (``port = 33000``, ``max-clients = 500``,
``listen = ["tcp:33000"]``, ``log-messages = true``), so there is one name for each setting and
one place (:class:`chatd.tap.Options`) that says which settings exist.  Values are checked by the
options' own coercers, so a bad value reads as it would on the command line, except that it names
the key and the file instead of the option: ``chatd.toml: max-clients must be at least 1, not 0``.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from twisted.python import usage

#: Checks one value from the file and returns it as the option would hold it; raises ValueError
#: with a message that starts with the key.
Convert = Callable[[object, str], Any]

#: What TOML calls each Python type, for "wants ..., not ..." messages.
_TOML_TYPES = {bool: "a boolean", int: "a whole number", float: "a number", str: "a string"}


class OptionTables(Protocol):
    """The tables a :class:`usage.Options` subclass declares its parameters and flags in."""

    @property
    def optParameters(self) -> Sequence[Sequence[Any]]: ...

    @property
    def optFlags(self) -> Sequence[Sequence[Any]]: ...


def settings_of(options: OptionTables) -> dict[str, Convert]:
    """The keys a config file for ``options`` may hold, each with the check for its value.

    Every parameter and flag is a key, and so is ``listen`` (an ``opt_`` method, so it is not in
    the tables); ``config`` itself is not, since a file naming another file would be a riddle.
    """
    settings: dict[str, Convert] = {"listen": _strings}
    for name, _short, _default, _doc, *coerce in options.optParameters:
        if name == "config":
            continue
        if not coerce:
            settings[name] = _string
        elif getattr(coerce[0], "kind", None) is None:
            settings[name] = _checked_string(coerce[0])
        else:
            settings[name] = _number(coerce[0].kind, coerce[0])
    for name, *_ in options.optFlags:
        settings[name] = _boolean
    if "operators" in settings:
        settings["operators"] = _names
    return settings


def read_config(path: str, settings: Mapping[str, Convert]) -> dict[str, Any]:
    """The settings in the TOML file at ``path``, checked; a UsageError names the file and key."""
    try:
        with open(path, "rb") as file:
            table = tomllib.load(file)
    except OSError as error:
        raise usage.UsageError(f"cannot read --config file: {error}") from error
    except tomllib.TOMLDecodeError as error:
        raise usage.UsageError(f"{path}: not valid TOML: {error}") from error
    values = {}
    for key, value in table.items():
        convert = settings.get(key)
        if convert is None:
            raise usage.UsageError(f"{path}: {_unknown(key, settings)}")
        try:
            values[key] = convert(value, key)
        except ValueError as error:
            raise usage.UsageError(f"{path}: {error}") from error
    return values


def _unknown(key: str, settings: Mapping[str, Convert]) -> str:
    guess = difflib.get_close_matches(key, settings, n=1)
    hint = f"; did you mean {guess[0]!r}?" if guess else ""
    return f"unknown key {key!r}{hint}"


def _wrong_type(key: str, wanted: str, value: object) -> ValueError:
    if isinstance(value, (dict, list)):
        given = "a table" if isinstance(value, dict) else "a list"
    else:
        given = f"{_TOML_TYPES.get(type(value), 'a date')} ({_toml(value)})"
    return ValueError(f"{key} wants {wanted}, not {given}")


def _toml(value: object) -> str:
    """``value`` as it was written in the file: ``true``, not ``True``; strings quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, str) else str(value)


def _number(kind: type, coerce: Callable[..., Any]) -> Convert:
    wanted = "a whole number" if kind is int else "a number"
    accepted = (int,) if kind is int else (int, float)

    def convert(value: object, key: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, accepted):
            raise _wrong_type(key, wanted, value)
        return coerce(value, name=key)  # the option's own range check, naming the key

    return convert


def _string(value: object, key: str) -> str:
    if not isinstance(value, str):
        raise _wrong_type(key, "a string", value)
    return value


def _checked_string(coerce: Callable[..., Any]) -> Convert:
    def convert(value: object, key: str) -> Any:
        return coerce(_string(value, key), name=key)  # the option's own check, naming the key

    return convert


def _boolean(value: object, key: str) -> bool:
    if not isinstance(value, bool):
        raise _wrong_type(key, "true or false", value)
    return value


def _names(value: object, key: str) -> str:
    """Names as a list (``["alice", "bob"]``), or as the command line takes them (one string,
    ``"alice,bob"``)."""
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ",".join(value)
    if not isinstance(value, str):
        raise ValueError(f'{key} wants a list of names, such as ["alice", "bob"]')
    return value


def _strings(value: object, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f'{key} wants a list of strings, such as ["tcp:33000"]')
    if len(set(value)) != len(value):
        raise ValueError(f"{key} names the same endpoint twice")
    return list(value)
