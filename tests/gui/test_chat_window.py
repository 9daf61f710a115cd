"""The chat window's real widgets against the installed daemon, with nc-style peers.

Text goes into the real entry, Enter is a generated key event, buttons are invoked; what the
peers receive is read from their sockets and what the window shows is read from its widgets.
"""

from __future__ import annotations

import socket

import pytest_twisted
from gui_harness import WELCOME, shown, until, view_lines, welcomed

from chatd.gui.styling import ACTION, ERROR, ME, NOTICE, OWN, PRIVATE, SPEAKER, STATUS


def tags_at(face, text: str, offset: int = 0) -> set[str]:
    """The tags at ``offset`` in the last view line that is exactly ``text``."""
    lines = view_lines(face)
    number = len(lines) - lines[::-1].index(text)
    return set(face.window.text.tag_names(f"{number}.{offset}"))


def type_and_enter(face, text: str) -> None:
    entry = face.window.entry
    entry.focus_force()
    entry.delete(0, "end")
    entry.insert(0, text)
    entry.event_generate("<Return>")


@pytest_twisted.ensureDeferred
async def test_chat_both_ways(server_port, open_gui, live_peers):
    """What the GUI types reaches nc and what nc types appears in the GUI, privately too."""
    nora = live_peers(server_port)
    nora.peer.join("nora")
    gui = open_gui(server_port, "gwen")
    await welcomed(gui, "gwen")
    await nora.expect("* gwen has joined the chat")

    type_and_enter(gui, "hello nora ✓")
    await nora.expect("gwen: hello nora ✓")
    assert view_lines(gui)[-1] == "gwen: hello nora ✓"  # the server does not echo: we do
    assert gui.window.entry.get() == ""

    nora.send("hi gwen", "/msg gwen psst", "/me waves")
    await shown(gui, "nora: hi gwen")
    await shown(gui, "[private] nora: psst")
    await shown(gui, "* nora waves")

    type_and_enter(gui, "/msg nora secret")
    type_and_enter(gui, "/me nods")
    await nora.expect("[private] gwen: secret")
    await nora.expect("* gwen nods")
    await shown(gui, "[private to nora] secret")
    assert "* gwen nods" in view_lines(gui)


@pytest_twisted.ensureDeferred
async def test_each_line_kind_is_styled(server_port, open_gui, live_peers):
    """Notices, errors, private messages, actions and our own name each carry their tag."""
    nora = live_peers(server_port)
    nora.peer.join("nora2")
    gui = open_gui(server_port, "gil")
    await welcomed(gui, "gil")
    type_and_enter(gui, "/msg nobody hi")
    await shown(gui, "! no such user: nobody")
    nora.send("/msg gil psst", "/me juggles", "hey gil, look")
    await shown(gui, "nora2: hey gil, look")
    type_and_enter(gui, "mine")
    await shown(gui, "gil: mine")

    assert NOTICE in tags_at(gui, WELCOME.format("gil"))
    assert ERROR in tags_at(gui, "! no such user: nobody")
    assert PRIVATE in tags_at(gui, "[private] nora2: psst")
    assert ACTION in tags_at(gui, "* nora2 juggles")
    assert SPEAKER in tags_at(gui, "nora2: hey gil, look")
    assert ME in tags_at(gui, "nora2: hey gil, look", offset=len("nora2: hey "))
    assert ME not in tags_at(gui, "nora2: hey gil, look", offset=len("nora2: h"))
    assert {OWN, SPEAKER, ME} <= tags_at(gui, "gil: mine")
    assert STATUS in tags_at(gui, view_lines(gui)[0])  # "Connecting to ..."


@pytest_twisted.ensureDeferred
async def test_the_user_list_follows_joins_leaves_renames_and_who(
    server_port, open_gui, live_peers
):
    """The list is the current room's, kept current by notices; /who #room sets it right again."""
    gui = open_gui(server_port, "una")
    await welcomed(gui, "una")
    await until(
        lambda: gui.window.users_label.cget("text") == "In #lobby (1)", "no list of the lobby"
    )
    assert gui.window.users() == ["una"]

    ben = live_peers(server_port)
    ben.peer.join("ben")
    await until(lambda: gui.window.users() == ["ben", "una"], "ben's join not listed")
    ben.send("/nick Benny")
    await until(lambda: gui.window.users() == ["Benny", "una"], "the rename not listed")
    cy = live_peers(server_port)
    cy.peer.join("cy")
    await until(lambda: gui.window.users() == ["Benny", "cy", "una"], "cy's join not listed")
    cy.send("<quit>")
    await until(lambda: gui.window.users() == ["Benny", "una"], "cy's leave not listed")
    assert gui.window.users_label.cget("text") == "In #lobby (2)"

    # An action that reads like a leave fools the list (the protocol cannot tell them apart) ...
    ben.send("/me has left the chat")
    await until(lambda: gui.window.users() == ["una"], "the fake leave not applied")
    # ... until /who #lobby
    type_and_enter(gui, "/who #lobby")
    await until(lambda: gui.window.users() == ["Benny", "una"], "/who did not set the list")
    type_and_enter(gui, "/nick Una2")
    await until(lambda: gui.window.users() == ["Benny", "Una2"], "our rename not listed")


@pytest_twisted.ensureDeferred
async def test_the_view_follows_new_lines_unless_scrolled_up(server_port, open_gui, live_peers):
    """At the bottom, new lines scroll into view; scrolled up to read, the view stays put."""
    nora = live_peers(server_port)
    nora.peer.join("nora3")
    gui = open_gui(server_port, "fay")
    await welcomed(gui, "fay")
    window = gui.window
    for number in range(60):
        window.show([(f"filler {number}", ())])
    window.root.update_idletasks()
    assert window.at_bottom()

    window.text.yview_moveto(0.0)
    nora.send("while you read")
    await shown(gui, "nora3: while you read")
    window.root.update_idletasks()
    assert window.text.yview()[0] == 0.0
    assert not window.at_bottom()

    window.text.yview_moveto(1.0)
    nora.send("now you follow")
    await shown(gui, "nora3: now you follow")
    window.root.update_idletasks()
    assert window.at_bottom()


@pytest_twisted.ensureDeferred
async def test_long_messages_wrap(server_port, open_gui, live_peers):
    """A line wider than the view wraps at words instead of running off to the side."""
    nora = live_peers(server_port)
    nora.peer.join("nora4")
    gui = open_gui(server_port, "wyn")
    await welcomed(gui, "wyn")
    long = " ".join(["wrapping"] * 60)
    nora.send(long)
    await shown(gui, f"nora4: {long}")
    gui.window.root.update_idletasks()
    lines = view_lines(gui)
    number = len(lines)
    rows = gui.window.text.count(f"{number}.0", f"{number}.end", "displaylines")
    assert rows and rows[0] >= 2
    assert gui.window.text.cget("wrap") == "word"


@pytest_twisted.ensureDeferred
async def test_up_and_down_recall_what_was_sent(server_port, open_gui, live_peers):
    """Up brings back earlier lines, Down goes forward again to the half-typed one."""
    nora = live_peers(server_port)
    nora.peer.join("nora5")
    gui = open_gui(server_port, "rue")
    await welcomed(gui, "rue")
    for line in ("first", "second"):
        type_and_enter(gui, line)
    await nora.expect("rue: second")
    entry = gui.window.entry
    entry.insert(0, "half")
    entry.event_generate("<Up>")
    assert entry.get() == "second"
    entry.event_generate("<Up>")
    assert entry.get() == "first"
    entry.event_generate("<Down>")
    entry.event_generate("<Down>")
    assert entry.get() == "half"


@pytest_twisted.ensureDeferred
async def test_send_button_sends_and_the_entry_keeps_focus(server_port, open_gui, live_peers):
    """Send works like Enter, and the focus goes back to the entry field."""
    nora = live_peers(server_port)
    nora.peer.join("nora6")
    gui = open_gui(server_port, "sid")
    await welcomed(gui, "sid")
    gui.window.entry.insert(0, "by button")
    gui.window.send_button.invoke()
    await nora.expect("sid: by button")
    await until(lambda: gui.window.root.focus_get() == gui.window.entry, "focus not on entry")
    assert gui.window.entry.get() == ""


@pytest_twisted.ensureDeferred
async def test_quit_button_says_quit_and_closes(server_port, open_gui, live_peers):
    """Quit sends <quit>: the others see us leave, the goodbye arrives, the face is closed."""
    nora = live_peers(server_port)
    nora.peer.join("nora7")
    gui = open_gui(server_port, "quin")
    await welcomed(gui, "quin")
    gui.window.quit_button.invoke()
    await nora.expect("* quin has left the chat")
    await until(lambda: gui.closed.called, "the face did not close")
    assert "* Goodbye quin!" in view_lines(gui)


@pytest_twisted.ensureDeferred
async def test_closing_the_window_says_quit(server_port, open_gui, live_peers):
    """Closing the window (WM_DELETE_WINDOW) leaves as Quit does."""
    nora = live_peers(server_port)
    nora.peer.join("nora8")
    gui = open_gui(server_port, "cleo")
    await welcomed(gui, "cleo")
    root = gui.window.root
    root.tk.call(root.protocol("WM_DELETE_WINDOW"))
    await nora.expect("* cleo has left the chat")
    await until(lambda: gui.closed.called, "the face did not close")


@pytest_twisted.ensureDeferred
async def test_typing_quit_leaves_with_the_reason(server_port, open_gui, live_peers):
    """A typed /quit REASON goes as typed, so the others see the reason; then the face closes."""
    nora = live_peers(server_port)
    nora.peer.join("nora9")
    gui = open_gui(server_port, "tad")
    await welcomed(gui, "tad")
    type_and_enter(gui, "/quit off to lunch")
    await nora.expect("* tad has left the chat (off to lunch)")
    await until(lambda: gui.closed.called, "the face did not close")


@pytest_twisted.ensureDeferred
async def test_the_prompt_our_name_answers_is_not_shown(server_port, open_gui, live_peers):
    """The window answers the username prompt itself, so the prompt is not in the view."""
    gui = open_gui(server_port, "pia")
    await welcomed(gui, "pia")
    assert "* Please enter a username:" not in view_lines(gui)


@pytest_twisted.ensureDeferred
async def test_a_silent_server_gets_a_tls_hint(open_gui, monkeypatch):
    """A server that says nothing (a TLS port, say) is pointed out; the connection stays open."""
    from chatd.gui.face import GuiFace

    monkeypatch.setattr(GuiFace, "silence_seconds", 0.3)
    with socket.socket() as mute:  # accepts connections (the kernel does), says nothing
        mute.bind(("127.0.0.1", 0))
        mute.listen()
        port = mute.getsockname()[1]
        gui = open_gui(port, "tia")
        hint = (
            f"No answer from 127.0.0.1:{port} after 0.3 s. If it is a TLS port, "
            "quit and connect with TLS (chatd-gui --tls)."
        )
        await shown(gui, hint)
        assert STATUS in tags_at(gui, hint)
        assert gui.client.is_connected
        assert not gui.window.banner_shown
