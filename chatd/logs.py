"""chatd's log as JSON lines, for ``twistd --logger chatd.logs.json_stdout``, and its event names.

twistd's ``--logger`` takes the dotted name of a function that returns a log observer, so JSON
logs need no option of chatd's own: ``twistd -n --logger chatd.logs.json_stdout chatd ...``
writes one JSON object per line to standard output, which is what journald, ``jq`` and log
shippers read.  (Twisted's :func:`~twisted.logger.jsonFileLogObserver` starts each record with an
ASCII record separator by default, which line-oriented tools take as part of the JSON.)

Each record carries the fields chatd passed (``peer``, ``name``, ``how``, ``why``, ...) as
Twisted serialises them, plus two of ours:

- ``event``: a stable name for what happened (``connection``, ``join``, ``leave``, ``refusal``,
  ``drop``, ``error``, ...), so that a filter does not depend on the wording of ``log_format``.
  The names come from :data:`EVENTS`, keyed by the format string each log call uses; anything
  logged at level error or critical, or with a failure, is an ``error``.
- ``log_text``: the event formatted as the text log would show it, for people reading the JSON.

Message text is a field only of the events chatd logs with ``--log-messages`` (``message`` and
``private-message``); nothing here adds any.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import IO, Any

from twisted.logger import (
    FileLogObserver,
    ILogObserver,
    LogLevel,
    eventAsJSON,
    formatEvent,
)

__all__ = ["EVENTS", "event_name", "json_lines", "json_stdout"]

#: The event name of each of the daemon's log formats.  tests/core/test_logging.py checks that
#: every log call in the daemon's modules is listed, so that a reworded message cannot silently
#: lose its name; the README's "Logging" section documents the names and their fields.
EVENTS: Mapping[str, str] = {
    # A connection arrives, is refused, closes.
    "connection from {peer}": "connection",
    "refused {peer}: {why}": "refusal",
    "{count} more {what} from {origin} in the last {window:g} s (not logged one by one)":
        "refusal-summary",
    "connection from {peer} closed: {why}": "close",
    "refused a WebSocket from {peer}: origin {origin} is not allowed": "refusal",
    "trusted proxy {proxy} sent an unreadable X-Forwarded-For ({why}): counting the request as "
    "the proxy's": "proxy",
    "closed {peer} before the chat: {why}": "proxy",
    # People.
    "{name} joined from {peer}": "join",
    "refused name from {peer}: {why}": "name-refused",
    "refused name from {peer}: taken": "name-refused",
    "refused name from {peer}: banned": "name-refused",
    "{old} is now {new}": "rename",
    "{name} left ({how})": "leave",
    # Message text: logged only with --log-messages.
    "{name}: {text}": "message",
    "{sender} -> {recipient}: {text}": "private-message",
    # The server ends a connection or refuses a line.
    "line too long from {peer}": "line-refused",
    "message too large from {peer}": "line-refused",
    "request from {peer} failed": "error",
    "{peer} chose no username in time": "drop",
    "{peer} hung up while flood control held its lines": "drop",
    "dropping {peer}: {held} bytes of output waiting, over the limit of {limit}": "drop",
    "connections still open after {grace}s; dropping them": "drop",
    # Starting and stopping.
    "left {count} start-up objects out of garbage collection": "startup",
    "raised the open-file limit from {soft} to {raised}": "open-files",
    "could not raise the open-file limit from {soft}: {error}": "open-files",
    "the open-file limit ({soft}) cannot fit --max-clients {wanted}: serving at most {fit} "
    "connections; raise the hard limit (ulimit -Hn, or LimitNOFILE= under systemd)": "open-files",
    "chatd: cannot listen on {source}: {reason} (see {hint})": "error",
    "shutting down, closing {count} connections": "shutdown",
    # The rooms' database.
    "keeping history in memory only (--db :memory:)": "startup",
    "keeping history in the database {where}": "startup",
    "migrated the database {where} from schema version {old} to {new}": "database",
    "cannot write to the database {where} ({error}); {count} lines wait to be written, and "
    "their receipts with them; trying again (attempt {attempts}, failing for {seconds:.0f} s)":
        "database",
    "writing to the database {where} again after {attempts} failed attempts over "
    "{seconds:.0f} s": "database",
    "stopping without writing {count} lines to the database {where}: it could not be written "
    "for {seconds:.0f} s": "error",
    "cannot read history of {room} from the database {where}: {error}": "database",
    "cannot {what} in the database {where}: {error}": "error",
    "a durable callback failed for line {seq}": "error",
    "retention: deleted {count} lines older than {days} days from {where}": "database",
    "retention: cannot delete old lines from {where} ({error}); trying again later": "database",
    # Accounts: never the password, only whose it is and where from.
    "{name} registered from {peer}": "account",
    "password of {name} changed": "account",
    "{name} is no longer registered": "account",
    "failed login to {name} from {peer}": "login-failed",
    "login to {name} from {peer} refused: too many failed logins": "login-failed",
    "cannot check a password for {key}: {error}": "error",
    "cannot hash a password: {error}": "error",
    # Operators at work.
    "{op} banned {target}{address} {until}{reason}": "moderation",
    "{op} lifted the ban of {target}": "moderation",
    "the ban of {target} expired": "moderation",
    "{op} kicked {name}": "moderation",
    "{op} muted {name}": "moderation",
    "{op} unmuted {name}": "moderation",
    "{op} announced: {text}": "moderation",
    # Reloading on SIGHUP.
    "reloaded: nothing changed": "reload",
    "{option} changed from {old} to {new}{note}": "reload",
    "message of the day changed ({count} lines)": "reload",
    "log-messages changed to {state}": "reload",
    "operators changed to {names}": "reload",
    "reload failed, keeping the running settings: {why}": "reload",
    "{option} changed in {where}; restart chatd to apply it": "reload",
    # Several nodes (--redis): the connections to Redis, and what a node does to stay in step.
    "node {node} joins the cluster at {redis}": "cluster",
    "redis ({name}) connected": "cluster",
    "redis ({name}) connection lost": "cluster",
    "redis ping failed: {why}": "cluster",
    "cannot load a script into redis: {why}": "cluster",
    "cannot write to redis: {why}": "cluster",
    "cannot read the history of {room}: {why}": "cluster",
    "node {node}: lost Redis, refusing names and lines": "cluster",
    "node {node}: caught up with the cluster": "cluster",
    "node {node}: cannot act on a message": "error",
    "node {node}: lines {first} to {last} of {room} cannot be recovered": "cluster",
    "node {node} was buried: announcing again": "cluster",
    "node {node}: lease had run out, announcing again": "cluster",
    "{name} was taken elsewhere meanwhile": "cluster",
    "node {node}: cannot {what}: {why}": "cluster",
    "node {node}: no lease for {seconds:.0f} s, disconnecting {count} users": "cluster",
}  # fmt: skip

_SERIOUS = {LogLevel.error, LogLevel.critical}


def event_name(event: Mapping[str, Any]) -> str | None:
    """The stable name of what ``event`` records, or None for an event chatd does not name.

    An ``event`` field the caller passed wins; then the catalogue, for chatd's own events; then
    any failure or error-level event (Twisted's "Unhandled Error" included) is an ``error``.
    """
    if isinstance(event.get("event"), str):
        return event["event"]
    if str(event.get("log_namespace", "")).startswith("chatd"):
        name = EVENTS.get(event.get("log_format"))  # type: ignore[arg-type]
        if name is not None:
            return name
    if "log_failure" in event or event.get("log_level") in _SERIOUS:
        return "error"
    return None


def _as_json_line(event: dict[str, Any]) -> str:
    record = dict(event)  # other observers see the event as it was logged
    name = event_name(event)
    if name is not None:
        record["event"] = name
    text = formatEvent(event)
    if text:
        record["log_text"] = text
    return eventAsJSON(record) + "\n"


def json_lines(out: IO[Any]) -> ILogObserver:
    """An observer writing each event to ``out`` as one line of JSON (flushed at once)."""
    return FileLogObserver(out, _as_json_line)


def json_stdout() -> ILogObserver:
    """twistd's ``--logger`` factory: JSON lines on standard output (journald, under systemd).

    Called before twistd starts logging, so ``sys.stdout`` is still the real one here.
    """
    return json_lines(sys.stdout)
