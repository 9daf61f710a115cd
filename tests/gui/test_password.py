"""The password request in the chat window: the entry shows dots, the password is sent but never
shown in the view nor recalled with Up, and the entry shows typing again after it."""

from __future__ import annotations

import pytest_twisted
from gui_harness import shown, view_lines, welcomed

from tests.gui.test_chat_window import type_and_enter

PASSWORD = "Gui-Sw0rdfish"


@pytest_twisted.ensureDeferred
async def test_nick_to_a_registered_name_hides_the_password(server_port, open_gui, live_peers):
    """After /nick to a registered name, the entry masks the password, the view never shows it,
    and Up does not bring it back."""
    owner = live_peers(server_port)
    owner.peer.join("rita")
    owner.send(f"/register {PASSWORD}")
    await owner.expect("* rita is now registered")
    owner.send("<quit>")
    await owner.expect("* Goodbye rita!")
    gui = open_gui(server_port, "gwyn")
    await welcomed(gui, "gwyn")
    type_and_enter(gui, "/nick rita")
    await shown(gui, "* rita is registered: please enter its password")
    assert gui.window.entry.cget("show") == "\u2022"
    type_and_enter(gui, PASSWORD)
    await shown(gui, "* You are now known as rita")
    assert gui.window.entry.cget("show") == ""
    assert not any(PASSWORD in line for line in view_lines(gui))
    gui.window.entry.event_generate("<Up>")
    assert gui.window.entry.get() == "/nick rita"
