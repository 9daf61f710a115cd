"""Wire protocol v1 as the soak reads it: the kind of each server line, and the soak's messages.

A line is well-formed when it is one of the kinds the README's protocol section lists and holds no
control character (the server strips those from everything users send) and no byte that was not
UTF-8 (lines are decoded with ``surrogateescape``, so such bytes show up as lone surrogates).

The soak's own chat messages carry who sent them, their number and when they were sent, so that a
receiver can tell a lost, repeated or reordered message from a good one:
``m SENDER SEQ SENT_AT xxxx...`` (the x's pad the line to the size the soak asks for).
"""

from __future__ import annotations

import re
from typing import NamedTuple

CHAT = "chat"
NOTICE = "notice"
ERROR = "error"
PRIVATE = "private"
HISTORY = "history"

# Usernames are letters, digits, marks and "_-.", so never ":", "*", "!", "[", "]" or spaces.
_NAME = r"[^\s:*!\[\]]+"
_CHAT = re.compile(rf"({_NAME}): (.+)", re.DOTALL)
_KINDS = (
    (NOTICE, re.compile(r"\* .+", re.DOTALL)),
    (ERROR, re.compile(r"! .+", re.DOTALL)),
    (PRIVATE, re.compile(rf"\[private\] {_NAME}: .+|\[private to {_NAME}\] .+", re.DOTALL)),
    (HISTORY, re.compile(rf"\[\d\d:\d\d\] (?:{_NAME}: |\* {_NAME} ).+", re.DOTALL)),
)
# C0 and C1 controls (CR and LF included: a line has none once split) and undecodable bytes.
_UNCLEAN = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")

PROMPT = "* Please enter a username:"

# A telnet command: IAC (255) and a verb with its option (WILL, WONT, DO, DONT), or IAC and a
# one-byte command.  UTF-8 text never holds byte 255, so in the server's output every 255 starts
# one.  chatd answers telnet commands a client sends, and only by refusing (WONT, DONT).
_TELNET_COMMAND = re.compile(rb"\xff[\xfb-\xfe].|\xff[\xf0-\xfa]", re.DOTALL)
TELNET_REFUSALS = (b"\xff\xfc", b"\xff\xfe")  # IAC WONT, IAC DONT


def split_telnet(raw: bytes) -> tuple[bytes, list[bytes]]:
    """``raw`` without its telnet commands, and the commands."""
    return _TELNET_COMMAND.sub(b"", raw), _TELNET_COMMAND.findall(raw)


def welcome(name: str) -> str:
    return f"* Welcome {name}! If you ever want to quit, type <quit> to exit."


def goodbye(name: str) -> str:
    return f"* Goodbye {name}!"


def decode(raw: bytes) -> str:
    """A server line as text; bytes that are not UTF-8 survive as lone surrogates."""
    return raw.decode("utf-8", "surrogateescape")


def split_chat(line: str) -> tuple[str, str] | None:
    """``(name, text)`` if ``line`` is a clean chat line, else None."""
    match = _CHAT.fullmatch(line)
    if match is None or _UNCLEAN.search(line):
        return None
    return match.group(1), match.group(2)


def kind(line: str) -> str | None:
    """The protocol kind of a server line, or None if it is malformed."""
    if not line or _UNCLEAN.search(line):
        return None
    if _CHAT.fullmatch(line):
        return CHAT
    for name, pattern in _KINDS:
        if pattern.fullmatch(line):
            return name
    return None


class Message(NamedTuple):
    sender: str
    seq: int
    sent_at: float


def message_text(sender: str, seq: int, sent_at: float, size: int) -> str:
    """The text of message ``seq`` of ``sender``, padded with x's to about ``size`` characters."""
    text = f"m {sender} {seq} {sent_at:.3f} "
    return text + "x" * max(1, size - len(text))


def parse_message(text: str) -> Message | None:
    """The soak message in ``text``, or None if ``text`` is not exactly one."""
    fields = text.split(" ")
    if len(fields) != 5 or fields[0] != "m" or not fields[4] or fields[4].strip("x"):
        return None
    try:
        return Message(fields[1], int(fields[2]), float(fields[3]))
    except ValueError:
        return None
