"""The web door: chatd's own page, and JSON over a WebSocket for it and for bots.

:mod:`~chatd.doors.web.wire` is the JSON protocol (events out, operations in),
:mod:`~chatd.doors.web.frames` frames a message once for every reader,
:mod:`~chatd.doors.web.door` is one WebSocket connection to the hub, and
:mod:`~chatd.doors.web.site` serves the page and guards the upgrade.  The protocol is documented
in ``docs/web-protocol.md``.
"""
