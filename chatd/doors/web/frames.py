"""WebSocket frames made by chatd itself, so that one broadcast is framed once for every reader.

A server's frames are not masked (RFC 6455, section 5.1), so the bytes of a text frame depend
only on its payload: the fan-out can encode a broadcast's JSON, frame it, and write the very same
bytes to every WebSocket reader, as the line door does with its lines.  wsproto keeps no state
for whole messages it did not send, so these frames may be written between its own (pongs, the
closing handshake) on the same connection.
"""

from __future__ import annotations

import struct

_TEXT_FINAL = 0x81  # FIN, opcode 1 (text)
_CLOSE = 0x88  # FIN, opcode 8 (close)


def text_frame(payload: bytes) -> bytes:
    """A final, unmasked text frame carrying ``payload`` (UTF-8 text)."""
    size = len(payload)
    if size < 126:
        return bytes((_TEXT_FINAL, size)) + payload
    if size < 1 << 16:
        return struct.pack("!BBH", _TEXT_FINAL, 126, size) + payload
    return struct.pack("!BBQ", _TEXT_FINAL, 127, size) + payload


def close_frame(code: int) -> bytes:
    """A close frame with status ``code`` and no reason."""
    return struct.pack("!BBH", _CLOSE, 2, code)
