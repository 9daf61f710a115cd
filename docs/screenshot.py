"""Refresh docs/chatd-gui.png: a scripted chat in chatd-gui, photographed on a virtual display.

Run from a checkout with chatd installed in the environment (needs Xvfb, no window manager):

    .venv/bin/python docs/screenshot.py

It starts ``Xvfb`` with its framebuffer in a scratch directory (``-fbdir``), the installed
``twistd chatd`` on a free loopback port, an ``nc``-style raw socket (nora and carol) and a piped
``chatd-client`` (ben), opens the GUI as alice in this process, plays a short conversation in
two rooms (``#lobby`` and ``#design``, which has a topic), and crops the window out of the
framebuffer (an XWD file) into a PNG.  Standard library only: the
XWD is read and the PNG written here, so neither ImageMagick nor xwd is needed.  Every process
it starts is stopped by its PID.
"""

from __future__ import annotations

import os
import re
import select
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent / "chatd-gui.png"
BIN = Path(sys.executable).parent
WIDTH, HEIGHT = 900, 560
WAIT = 10.0


def start_xvfb(folder: str) -> tuple[subprocess.Popen, str]:
    reader, writer = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(writer), "-screen", "0", "1024x700x24", "-fbdir", folder,
         "-nolisten", "tcp"],
        pass_fds=[writer],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(writer)
    number = b""
    while not number.endswith(b"\n"):
        if not select.select([reader], [], [], WAIT)[0]:
            raise SystemExit("Xvfb did not start")
        number += os.read(reader, 16)
    os.close(reader)
    return server, f":{int(number)}"


def start_daemon(folder: str) -> tuple[subprocess.Popen, int]:
    daemon = subprocess.Popen(
        [str(BIN / "twistd"), "-n", "--pidfile=", "chatd", "--listen",
         "tcp:0:interface=127.0.0.1", "--motd", os.path.join(folder, "motd")],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": ""},
    )  # fmt: skip
    log = b""
    deadline = time.monotonic() + WAIT
    while (found := re.search(rb"starting on (\d+)\n", log)) is None:
        if time.monotonic() > deadline or not select.select([daemon.stdout], [], [], WAIT)[0]:
            raise SystemExit(f"twistd did not start:\n{log.decode()}")
        log += os.read(daemon.stdout.fileno(), 65536)
    return daemon, int(found[1])


class Peer:
    """nc, as a person would use it: a socket that sends lines (what it receives is ignored)."""

    def __init__(self, port: int, name: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        self.say(name)

    def say(self, *lines: str) -> None:
        self.sock.sendall(b"".join(line.encode() + b"\n" for line in lines))


def xwd_crop_to_png(xwd: bytes, left: int, top: int, width: int, height: int) -> bytes:
    """The ``width`` x ``height`` rectangle at (``left``, ``top``) of a 32-bit XWD, as a PNG."""
    fields = struct.unpack(">25I", xwd[:100])
    header_size, bits_per_pixel, bytes_per_line = fields[0], fields[11], fields[12]
    byte_order, colours = fields[7], fields[19]
    if bits_per_pixel != 32:
        raise SystemExit(f"expected a 32-bit framebuffer, got {bits_per_pixel} bits per pixel")
    pixels = header_size + colours * 12
    red, green, blue = (2, 1, 0) if byte_order == 0 else (1, 2, 3)  # LSB first: B G R x
    rows = []
    for y in range(top, top + height):
        start = pixels + y * bytes_per_line + left * 4
        row = xwd[start : start + width * 4]
        rgb = bytearray(width * 3)
        rgb[0::3], rgb[1::3], rgb[2::3] = row[red::4], row[green::4], row[blue::4]
        rows.append(b"\0" + bytes(rgb))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


async def converse(reactor, port: int, folder: str) -> None:
    import tkinter

    from twisted.internet import task

    from chatd.client.connection import ServerAddress
    from chatd.gui.face import GuiFace
    from chatd.gui.tkpump import TkPump

    async def pause(seconds: float = 0.25) -> None:
        await task.deferLater(reactor, seconds)

    def view() -> list[str]:
        return face.window.current.texts()

    async def shown(text: str) -> None:
        deadline = time.monotonic() + WAIT
        while text not in view():
            if time.monotonic() > deadline:
                raise SystemExit(f"never shown: {text!r}")
            await pause(0.02)

    nora = Peer(port, "nora")
    ben = subprocess.Popen(
        [str(BIN / "chatd-client"), "-p", str(port), "-n", "ben"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    try:
        await pause(0.5)
        nora.say("morning all")
        await pause()
        ben.stdin.write(b"morning nora, the coffee machine is fixed\n")
        ben.stdin.flush()
        await pause()
        nora.say("/join #design", "/topic Mockups for the new window, due Friday")
        await pause()

        root = tkinter.Tk(className="chatd-gui")
        root.geometry(f"{WIDTH}x{HEIGHT}+0+0")
        pump = TkPump(root, reactor)
        pump.start()
        face = GuiFace(root, reactor, ServerAddress(port=port), "alice", 5.0)
        face.connect()
        await shown("* Welcome alice! If you ever want to quit, type <quit> to exit.")

        def type_line(text: str) -> None:
            face.window.entry.insert(0, text)
            face.window.send()

        await pause(0.5)
        face.window.sidebar.join_entry.delete(0, "end")
        face.window.sidebar.join_entry.insert(0, "#design")
        face.window.sidebar.join_button.invoke()
        await shown("* Now talking in #design (2 here: alice, nora)")
        nora.say("alice, every room has its own view now")
        await shown("nora: alice, every room has its own view now")
        type_line("nice, and the list on the right counts what I missed")
        await pause()
        nora.say("/me waves at alice")
        await shown("* nora waves at alice")
        carol = Peer(port, "carol")
        await pause()
        carol.say("/join #design")
        await shown("* carol has joined #design")
        carol.say(
            "long lines wrap at word boundaries, so a pasted paragraph stays readable "
            "however narrow the window is made"
        )
        await pause()
        ben.stdin.write(b"lunch at noon, anyone?\n")
        ben.stdin.flush()
        carol.say("/to #lobby count me in")
        nora.say("/msg alice want to review the mockups after lunch?")
        await shown("[private] nora: want to review the mockups after lunch?")
        type_line("/msg nora sure, see you there")
        await shown("[private to nora] sure, see you there")
        await pause(0.5)
        face.window.entry.insert(0, "see you all at")
        face.window.entry.focus_force()
        root.event_generate("<Motion>", warp=True, x=WIDTH + 100, y=HEIGHT + 100)  # pointer away
        await pause(0.5)
        root.update()
        left, top = root.winfo_rootx(), root.winfo_rooty()
        width, height = root.winfo_width(), root.winfo_height()
        xwd = Path(folder, "Xvfb_screen0").read_bytes()
        OUT.write_bytes(xwd_crop_to_png(xwd, left, top, width, height))
        print(f"wrote {OUT.name} ({width}x{height})")
        face.leave()
        await face.closed
        pump.stop()
        root.destroy()
    finally:
        if ben.poll() is None:
            ben.stdin.close()
            try:
                ben.wait(WAIT)
            except subprocess.TimeoutExpired:
                ben.kill()
                ben.wait()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="chatd-screenshot-") as folder:
        Path(folder, "motd").write_text("Welcome to the team chat. Be kind; type /help.\n")
        xvfb, display = start_xvfb(folder)
        daemon = None
        try:
            os.environ["DISPLAY"] = display
            daemon, port = start_daemon(folder)
            from twisted.internet import task

            task.react(lambda reactor: converse(reactor, port, folder))
        except SystemExit as stop:
            if stop.code not in (0, None):
                raise
        finally:
            for process in (daemon, xvfb):
                if process is not None and process.poll() is None:
                    process.terminate()
                    try:
                        process.wait(WAIT)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait()


if __name__ == "__main__":
    main()
