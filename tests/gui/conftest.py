"""A virtual X server for the GUI tests, Tk windows pumped by the test reactor, and helpers.

``display`` starts ``Xvfb`` on a free display number (``-displayfd``) once per session, sets
``DISPLAY`` and stops it by its PID.  Without Xvfb or tkinter the Tk tests are skipped, except
under ``CI=true``, where CI installs them and missing is a broken setup.  The pure tests
(roster, styling, options) need neither.

The GUI runs in this process, in pytest-twisted's reactor, against the installed daemon
(``daemon``/``module_daemon`` from ``tests/installed_daemon.py``); its nc-style peers are read
without blocking (``gui_harness.LivePeer``), since a blocking read would stop the reactor the
GUI needs.  Every wait is bounded.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import time

import pytest
from gui_harness import WAIT, LivePeer

LOCAL = "interface=127.0.0.1"


def _missing(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(message)  # CI installs Xvfb and tkinter: missing there is a broken setup
    pytest.skip(message)


@pytest.fixture(scope="session")
def display():
    """A private virtual X server for the session; DISPLAY points at it while it runs."""
    try:
        import tkinter  # noqa: F401
    except ImportError:
        _missing("needs tkinter (Debian: apt-get install python3-tk)")
    if shutil.which("Xvfb") is None:
        _missing("needs Xvfb (apt-get install xvfb)")
    reader, writer = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(writer), "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
        pass_fds=[writer],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(writer)
    number = b""
    deadline = time.monotonic() + WAIT
    while not number.endswith(b"\n") and time.monotonic() < deadline:
        ready, _, _ = select.select([reader], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(reader, 16) if ready else b""
        if ready and not chunk:
            break
        number += chunk
    os.close(reader)
    if not number.strip().isdigit():
        server.kill()
        server.wait()
        pytest.fail(f"Xvfb did not report a display number (got {number!r})")
    saved = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = f":{int(number)}"
    yield os.environ["DISPLAY"]
    if saved is None:
        os.environ.pop("DISPLAY", None)
    else:
        os.environ["DISPLAY"] = saved
    server.terminate()
    try:
        server.wait(WAIT)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@pytest.fixture
def tk_root(display):
    """A Tk root window pumped by the reactor; a Tk callback that raises fails the test."""
    import tkinter

    from twisted.internet import reactor

    from chatd.gui.tkpump import TkPump

    root = tkinter.Tk(className="chatd-gui-test")
    problems: list[BaseException] = []
    root.report_callback_exception = lambda kind, value, trace: problems.append(value)
    pump = TkPump(root, reactor)
    pump.start()
    yield root
    pump.stop()
    try:
        root.destroy()
    except tkinter.TclError:
        pass
    assert problems == [], "a Tk callback raised"


@pytest.fixture
def live_peers(peers):
    """``live_peers(port)``: a raw client that quits after the test, read without blocking."""
    return lambda port: LivePeer(peers(port))


@pytest.fixture(scope="module")
def server_port(module_daemon) -> int:
    """A daemon on 127.0.0.1 shared by a module's tests, history off."""
    # Every window (or client) of the module connects from 127.0.0.1, one after another:
    # the per-address limits would count them as one person cycling through connections.
    return module_daemon(
        "chatd", "--listen", f"tcp:0:{LOCAL}", "--history", "0",
        "--max-per-ip", "0", "--arrival-rate", "0",
    ).ports()[0]  # fmt: skip


@pytest.fixture
def open_gui(tk_root):
    """``open_gui(port, name)``: a chat window connecting to the daemon on ``port``."""
    from twisted.internet import reactor

    from chatd.client.connection import ServerAddress
    from chatd.gui.face import GuiFace

    opened: list[GuiFace] = []

    def start(port: int, name: str, quit_timeout: float = 5.0) -> GuiFace:
        address = ServerAddress(host="127.0.0.1", port=port)
        opened.append(GuiFace(tk_root, reactor, address, name, quit_timeout))
        opened[-1].connect()
        return opened[-1]

    yield start
    for face in opened:
        if face.client is not None and face.client.is_connected:
            face.client.give_up()
