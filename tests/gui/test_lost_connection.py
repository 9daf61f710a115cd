"""Losing the server: a banner with Reconnect, no traceback, and reconnecting as before."""

from __future__ import annotations

import socket

import pytest_twisted
from gui_harness import shown, until, view_lines, welcomed

LOCAL = "interface=127.0.0.1"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest_twisted.ensureDeferred
async def test_a_lost_server_shows_a_banner_and_reconnect_joins_again(
    daemon, open_gui, live_peers, log_capture
):
    """Stopping the daemon shows the banner; Reconnect to a new one rejoins with the same name."""
    first = daemon("chatd", "--listen", f"tcp:0:{LOCAL}", "--history", "0")
    port = first.ports()[0]
    gui = open_gui(port, "lou")
    await welcomed(gui, "lou")
    assert not gui.window.banner_shown

    first.terminate()
    await until(lambda: gui.window.banner_shown, "no banner after the server went away")
    assert gui.window.banner_text() == "Connection to the server lost."
    gui.window.root.update_idletasks()
    assert gui.window.reconnect_button.winfo_ismapped()
    assert gui.window.users() == []
    assert view_lines(gui)[-1] == "Connection to the server lost."
    assert "* server is shutting down" in view_lines(gui)
    # Typing while disconnected sends nothing and keeps the text for later.
    gui.window.entry.insert(0, "kept")
    gui.window.entry.event_generate("<Return>")
    assert gui.window.entry.get() == "kept"

    daemon("chatd", "--listen", f"tcp:{port}:{LOCAL}", "--history", "0").ports()
    nora = live_peers(port)
    nora.peer.join("nora")
    gui.window.reconnect_button.invoke()
    await nora.expect("* lou has joined the chat")
    await until(lambda: not gui.window.banner_shown, "the banner stayed after reconnecting")
    # The window may read its welcome and the online list after nora has read the join notice.
    await until(
        lambda: gui.window.users() == ["lou", "nora"],
        lambda: f"users after reconnecting: {gui.window.users()}",
    )
    gui.window.send_button.invoke()  # the kept text goes now
    await nora.expect("lou: kept")
    assert log_capture.errors() == []


@pytest_twisted.ensureDeferred
async def test_reconnecting_to_a_taken_name_lets_the_person_type_another(
    daemon, open_gui, live_peers
):
    """If our name was taken meanwhile, the server's error shows and the next line is a name."""
    first = daemon("chatd", "--listen", f"tcp:0:{LOCAL}", "--history", "0")
    port = first.ports()[0]
    gui = open_gui(port, "max")
    await welcomed(gui, "max")
    first.terminate()
    await until(lambda: gui.window.banner_shown, "no banner after the server went away")

    daemon("chatd", "--listen", f"tcp:{port}:{LOCAL}", "--history", "0").ports()
    thief = live_peers(port)
    thief.peer.join("max")
    gui.window.reconnect_button.invoke()
    await shown(gui, "Type another name and press Enter.")
    assert any(line.startswith("! ") for line in view_lines(gui))
    gui.window.entry.insert(0, "max2")
    gui.window.send_button.invoke()
    await thief.expect("* max2 has joined the chat")
    assert gui.window.root.title().startswith("max2 on 127.0.0.1:")


@pytest_twisted.ensureDeferred
async def test_a_refused_connection_shows_why_with_reconnect(open_gui):
    """A server that is not there is a banner naming the address and the reason."""
    port = closed_port()
    gui = open_gui(port, "ida")
    await until(lambda: gui.window.banner_shown, "no banner for a refused connection")
    assert gui.window.banner_text() == f"Cannot connect to 127.0.0.1:{port}: connection refused."
    gui.window.root.update_idletasks()
    assert gui.window.reconnect_button.winfo_ismapped()


@pytest_twisted.ensureDeferred
async def test_quit_while_disconnected_closes_at_once(open_gui):
    """With no connection there is no goodbye to wait for: Quit closes straight away."""
    gui = open_gui(closed_port(), "ned")
    await until(lambda: gui.window.banner_shown, "no banner for a refused connection")
    gui.window.quit_button.invoke()
    assert gui.closed.called
