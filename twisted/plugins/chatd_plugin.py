"""The twistd plugin: ``twistd chatd``.  Kept import-light so choosing a reactor still works."""

from twisted.application.service import ServiceMaker

chatd = ServiceMaker(
    "chatd",
    "chatd.tap",
    "A small, sturdy chat server for telnet, nc and TLS clients.",
    "chatd",
)
