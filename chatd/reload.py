"""Reloading on SIGHUP: read the config and MOTD files again and apply what can change live.

Nobody is disconnected by a reload.  Every limit, the message of the day, ``log-messages`` and
the operator list apply at once (the per-connection byte limits to connections made from then
on); listeners and the history size need a restart, and a reload only says so.  A file that no
longer parses changes nothing: the running settings stay as they were, and one log line says why.
"""

from __future__ import annotations

from dataclasses import replace

from twisted.logger import Logger
from twisted.python import usage

from chatd.core.hub import Hub
from chatd.core.names import name_key
from chatd.descriptors import fit_open_files
from chatd.tap import LIMIT_OPTIONS, Options

#: Limits that each connection reads when it is made (see chatd.doors.line).
NEW_CONNECTIONS_ONLY = frozenset({"max-line-length", "max-send-buffer", "rate", "burst"})
#: Settings that live in what was built at start-up: the listeners (the metrics one too), the
#: history buffer and the database.
NEED_RESTART = (
    "port",
    "interface",
    "listen",
    "history",
    "db",
    "history-days",
    "metrics",
    "web",
    "web-origin",
    "web-trusted-proxy",
    "redis",
    "redis-password-file",
    "node-name",
)


class Reloader:
    """Holds the settings in force and brings the hub up to date with the files on request."""

    log = Logger()

    def __init__(self, options: Options, hub: Hub) -> None:
        #: The settings in force: those a reload applied, and those from the start otherwise.
        self.running = options
        self.hub = hub
        #: The max-clients asked for, before it was fitted to the open-file limit.
        self._asked_clients = options["max-clients"]

    def reload(self) -> None:
        """Re-read the files; apply, and log, each setting that changed and can change live."""
        running = self.running
        try:
            fresh = running.reread()
        except usage.UsageError as error:
            self.log.error("reload failed, keeping the running settings: {why}", why=str(error))
            return
        changed = self._apply_live(fresh)
        changed += self._report_restart(fresh)
        if not changed:
            self.log.info("reloaded: nothing changed")

    def _apply_live(self, fresh: Options) -> int:
        running = self.running
        changes = 0
        for option, *_ in LIMIT_OPTIONS:
            old, new = running[option], fresh[option]
            if old == new:
                continue
            changes += 1
            note = " (applies to new connections)" if option in NEW_CONNECTIONS_ONLY else ""
            self.log.info(
                "{option} changed from {old} to {new}{note}",
                option=option,
                old=old,
                new=new,
                note=note,
            )
            running[option] = new
        limits = self.hub.limits
        if changes:
            wanted = running.limits()
            fitted = limits.max_clients
            if wanted.max_clients != self._asked_clients:
                fitted = fit_open_files(wanted.max_clients)
                self._asked_clients = wanted.max_clients
            limits = replace(wanted, max_clients=fitted)
        if fresh["motd-lines"] != running["motd-lines"]:
            changes += 1
            self.log.info(
                "message of the day changed ({count} lines)", count=len(fresh["motd-lines"])
            )
        running["motd"], running["motd-lines"] = fresh["motd"], fresh["motd-lines"]
        if bool(fresh["log-messages"]) != bool(running["log-messages"]):
            changes += 1
            running["log-messages"] = fresh["log-messages"]
            self.log.info(
                "log-messages changed to {state}",
                state="on" if running["log-messages"] else "off",
            )
        self.hub.reconfigure(
            limits=limits,
            motd=running["motd-lines"],
            log_messages=bool(running["log-messages"]),
        )
        if {name_key(name) for name in fresh.operators()} != self.hub.operators:
            changes += 1
            running["operators"] = fresh["operators"]
            self.hub.set_operators(running.operators())
            self.log.info(
                "operators changed to {names}", names=", ".join(running.operators()) or "none"
            )
        return changes

    def _report_restart(self, fresh: Options) -> int:
        """Log each changed setting that needs a restart; the running one stays as it is."""
        where = fresh["config"] or "the command line"
        changes = 0
        for option in NEED_RESTART:
            if fresh[option] != self.running[option]:
                changes += 1
                self.log.warn(
                    "{option} changed in {where}; restart chatd to apply it",
                    option=option,
                    where=where,
                )
        return changes
