"""The message view keeps following new lines when it gets shorter, under a real Tk on Xvfb.

A shorter view (a smaller window, narrower lines wrapping onto more rows, or the
connection-lost banner taking room above the messages) must not count as the person scrolling
up: the newest line stays in sight and the lines after it scroll in.  The window resizes run
in a process of their own (see ``resizing.py`` for the Tk crash that makes it necessary).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import pytest_twisted
from gui_harness import WAIT, until

RESIZING = str(Path(__file__).with_name("resizing.py"))


def open_window(root):
    """A chat window on its own, with callbacks that do nothing."""
    from chatd.gui.window import ChatWindow

    root.geometry("800x600")
    window = ChatWindow(root, lambda typed: True, lambda: None, lambda: None)
    root.update()
    return window


def last_line_visible(window) -> bool:
    """Whether the last line of the view is on screen."""
    window.root.update()
    return window.text.bbox("end-1c linestart") is not None and window.at_bottom()


@pytest_twisted.ensureDeferred
async def test_the_banner_appearing_keeps_following(tk_root):
    """When the connection-lost banner takes room above the messages, following goes on."""
    window = open_window(tk_root)
    for number in range(80):
        window.show([(f"filler {number}", ())])
    assert last_line_visible(window)

    window.show_banner("Connection to the server lost. " * 8)
    await until(lambda: window.banner.winfo_ismapped(), "the banner did not show")
    await until(lambda: last_line_visible(window), "the newest line went under the banner")

    window.show([("Connection to the server lost.", ())])
    await until(lambda: last_line_visible(window), "a new line did not scroll into view")


@pytest.mark.parametrize(
    "check",
    [
        pytest.param("shorter", id="a shorter window keeps following"),
        pytest.param("narrower", id="a narrower window keeps following"),
        pytest.param("reading-stays", id="a resize does not move a view scrolled up"),
    ],
)
def test_resizing_the_window(display, check):
    """After a resize the newest line stays in view and new ones scroll in, unless reading."""
    done = subprocess.run(
        [sys.executable, RESIZING, check],
        capture_output=True,
        text=True,
        timeout=WAIT * 3,
        check=False,
    )
    assert done.returncode == 0, done.stderr
