"""Doors: adapters that translate between one wire format and the hub.

A door implements :class:`chatd.core.session.Client` for each connection and only ever calls the
hub's public methods.  The line door (:mod:`chatd.doors.line`) serves telnet, nc and TLS clients.
"""
