"""Resizing a chat window, run by ``test_following.py`` in a Python process of its own.

Tk 8.6 on a window-manager-less Xvfb crashes (a segfault in ``focus -force``) in a later test
once any mapped window of the process has been resized, so each resize check gets a fresh
process: ``python resizing.py CHECK``, exit status 0 when the check held, 1 with the reason.
"""

from __future__ import annotations

import sys
import tkinter

from chatd.gui.window import ChatWindow


def settle(root: tkinter.Tk, rounds: int = 20) -> None:
    """Let Tk handle the resize and redraw; a resize takes a few turns of the event loop."""
    for _ in range(rounds):
        root.update()
        root.after(10)


def last_line_visible(window: ChatWindow) -> bool:
    return window.text.bbox("end-1c linestart") is not None and window.at_bottom()


def open_full(long_lines: bool = False) -> tuple[tkinter.Tk, ChatWindow]:
    """A chat window of 800x600 with more lines than fit, following them."""
    root = tkinter.Tk(className="chatd-gui-test")
    root.geometry("800x600")
    window = ChatWindow(root, lambda typed: True, lambda: None, lambda: None)
    settle(root)
    words = "long enough to wrap when the window is made narrow, line number" if long_lines else ""
    for number in range(80):
        window.show([(f"filler {words} {number}", ())])
    settle(root)
    if not last_line_visible(window):
        sys.exit("the newest line is not in view before the resize")
    return root, window


def check_shorter() -> None:
    root, window = open_full()
    root.geometry("800x320")
    settle(root)
    if window.text.winfo_height() > 300:
        sys.exit("the window did not get shorter")
    if not last_line_visible(window):
        sys.exit("the newest line left the view when the window got shorter")
    window.show([("after the resize", ())])
    settle(root)
    if not last_line_visible(window):
        sys.exit("a new line did not scroll into view after the resize")


def check_narrower() -> None:
    root, window = open_full(long_lines=True)
    root.geometry("430x600")
    settle(root)
    if window.text.winfo_width() > 400:
        sys.exit("the window did not get narrower")
    if not last_line_visible(window):
        sys.exit("the newest line left the view when the lines wrapped onto more rows")
    window.show([("after the resize", ())])
    settle(root)
    if not last_line_visible(window):
        sys.exit("a new line did not scroll into view after the resize")


def check_reading_stays() -> None:
    root, window = open_full()
    window.text.yview_moveto(0.0)
    settle(root)
    root.geometry("800x320")
    settle(root)
    window.show([("while you read", ())])
    settle(root)
    if window.text.yview()[0] != 0.0 or window.at_bottom():
        sys.exit(f"the view moved while the person was reading: {window.text.yview()}")


CHECKS = {
    "shorter": check_shorter,
    "narrower": check_narrower,
    "reading-stays": check_reading_stays,
}

if __name__ == "__main__":
    CHECKS[sys.argv[1]]()
