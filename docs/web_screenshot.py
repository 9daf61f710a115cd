"""Refresh docs/chatd-web.png: chatd's page in a headless Chromium, in a scripted chat.

Run from a checkout with chatd and its test extra installed (needs Debian's chromium and
chromium-driver):

    .venv/bin/python docs/web_screenshot.py

It starts the installed ``twistd chatd`` with ``--web`` on free loopback ports and a scratch
database, two ``nc``-style raw sockets (nora and ben), and the page as alice in Chromium, through
the helpers the browser tests use (``tests/browser.py``).  They chat in ``#lobby`` and ``#dev``,
nora sets #dev's topic, and ben's line in the lobby leaves an unread count; then the window is
saved as a PNG.  Every process it starts is stopped by its PID.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the browser tests' helpers

from browser import chromium, shown_lines, type_into, wait_for  # noqa: E402

OUT = HERE / "chatd-web.png"
BIN = Path(sys.executable).parent
WAIT = 10.0


def start_chatd(folder: str) -> tuple[subprocess.Popen, int, int]:
    server = subprocess.Popen(
        [str(BIN / "twistd"), "-n", "--pidfile=", "chatd", "--listen",
         "tcp:0:interface=127.0.0.1", "--web", "tcp:0:interface=127.0.0.1",
         "--db", os.path.join(folder, "chat.db")],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "TZ": "UTC"},
    )  # fmt: skip
    ports: list[int] = []
    deadline = time.monotonic() + WAIT
    while len(ports) < 2 and time.monotonic() < deadline:
        line = server.stdout.readline().decode()
        found = re.search(r"starting on (\d+)", line)
        if found:
            ports.append(int(found.group(1)))
    if len(ports) < 2:
        server.kill()
        raise SystemExit("twistd chatd did not start")
    return server, ports[0], ports[1]


class Nc:
    """A raw socket user, as ``nc`` would be."""

    def __init__(self, port: int, name: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        self.send(name)
        self.wait_for(f"* Welcome {name}!")

    def send(self, *lines: str) -> None:
        self.sock.sendall(b"".join(line.encode() + b"\n" for line in lines))

    def wait_for(self, start: str) -> None:
        seen = b""
        while start.encode() not in seen:
            seen += self.sock.recv(65536)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="chatd-screenshot-") as folder:
        server, line_port, web_port = start_chatd(folder)
        try:
            nora = Nc(line_port, "nora")
            nora.send("/join #dev", "/topic Release 0.2: the web door, then scale-out")
            nora.send("morning all", "/to #lobby coffee is on")
            ben = Nc(line_port, "ben")
            with chromium(width=1000, height=600) as browser:
                browser.get(f"http://127.0.0.1:{web_port}/")
                wait_for(browser, lambda b: b.find_element("id", "name").is_displayed())
                type_into(browser, "Name", "alice")
                wait_for(browser, lambda b: b.execute_script("return window.chatd.me"))
                type_into(browser, "Join a room", "#dev")
                ben.send("/join #dev")
                nora.send("the page needs a screenshot for the README")
                wait_for(browser, lambda b: any("screenshot" in line for line in shown_lines(b)))
                type_into(browser, "Message", "on it: two rooms, a topic and an unread count")
                nora.send("/me nods")
                ben.send("/to #lobby lunch at noon?", "looks good from here")
                wait_for(browser, lambda b: any("from here" in line for line in shown_lines(b)))
                time.sleep(0.3)  # the receipt's tick and the unread badge
                browser.save_screenshot(str(OUT))
        finally:
            server.terminate()
            server.wait(WAIT)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
