"""chatd-gui with rooms, against the installed daemon (and a scripted server where timing matters).

Rooms in the sidebar, a view per room, unread counts, the topic bar, receipts on our lines,
paging back through history, rejoining after reconnecting, and a server without rooms.
"""

from __future__ import annotations

import pytest
import pytest_twisted
from gui_harness import WELCOME, until
from twisted.protocols.basic import LineReceiver

from chatd.gui.styling import PENDING, RECEIPT, UNCONFIRMED

LOCAL = "interface=127.0.0.1"
#: A daemon that lets the test's peers talk fast and replays 5 lines to a room's newcomers.
FAST = ["--rate", "0", "--history", "5", "--max-per-ip", "0", "--arrival-rate", "0"]


@pytest.fixture(scope="module")
def rooms_port(module_daemon) -> int:
    return module_daemon("chatd", "--listen", f"tcp:0:{LOCAL}", *FAST).ports()[0]


def lines_of(face, room: str | None = None) -> list[str]:
    """The lines of ``room``'s view (the current view by default), without receipt marks."""
    window = face.window
    view = window.current if room is None else window.views[room.casefold()]
    return view.texts()


def rows(face) -> list[tuple[str, int, bool]]:
    return face.window.rooms()


def type_and_enter(face, text: str) -> None:
    entry = face.window.entry
    entry.delete(0, "end")
    entry.insert(0, text)
    entry.event_generate("<Return>")


def click_room(face, room: str) -> None:
    """Click ``room``'s row in the room list, as a person does."""
    listbox = face.window.sidebar.room_list
    index = [name for name, _unread, _current in rows(face)].index(room)
    listbox.see(index)
    face.window.root.update_idletasks()
    x, y, _width, height = listbox.bbox(index)
    listbox.event_generate("<ButtonRelease-1>", x=x + 2, y=y + height // 2)


async def in_rooms(face, name: str) -> None:
    """Wait until ``face`` is welcomed and the server's rooms are set up (the lobby's list)."""
    await until(lambda: WELCOME.format(name) in lines_of(face), f"{name} never welcomed")
    await until(lambda: rows(face) == [("#lobby", 0, True)], lambda: f"rooms: {rows(face)}")
    await until(lambda: name in face.window.users(), lambda: f"users: {face.window.users()}")


@pytest_twisted.ensureDeferred
async def test_rooms_switch_count_unread_and_leave(rooms_port, open_gui, live_peers):
    """Join by name, lines of another room land in its view and count, a click switches back."""
    gui = open_gui(rooms_port, "rita")
    await in_rooms(gui, "rita")
    nora = live_peers(rooms_port)
    nora.peer.join("nora")

    gui.window.sidebar.join_entry.delete(0, "end")
    gui.window.sidebar.join_entry.insert(0, "#dev-rita")
    gui.window.sidebar.join_button.invoke()
    await until(
        lambda: rows(gui) == [("#dev-rita", 0, True), ("#lobby", 0, False)],
        lambda: f"rooms after joining: {rows(gui)}",
    )
    assert "* Now talking in #dev-rita (1 here: rita)" in lines_of(gui)
    assert gui.window.topic() == "#dev-rita"
    assert gui.window.sidebar.leave_button.instate(["!disabled"])
    assert gui.window.users() == ["rita"]
    assert gui.window.users_label.cget("text") == "In #dev-rita (1)"

    nora.send("first in the lobby", "/me waves", "second in the lobby")
    await until(
        lambda: rows(gui)[1] == ("#lobby", 3, False), lambda: f"no unread count: {rows(gui)}"
    )
    lobby = lines_of(gui, "#lobby")
    assert lobby[-3:] == ["nora: first in the lobby", "* nora waves", "nora: second in the lobby"]
    assert not any(line.startswith("#lobby") for line in lobby)  # shown without the mark
    assert "nora: first in the lobby" not in lines_of(gui)  # not in #dev-rita's view

    click_room(gui, "#lobby")
    await until(
        lambda: rows(gui) == [("#dev-rita", 0, False), ("#lobby", 0, True)],
        lambda: f"rooms after the click: {rows(gui)}",
    )
    assert lines_of(gui)[-1] == "nora: second in the lobby"  # a click adds no notice
    assert "nora" in gui.window.users()
    type_and_enter(gui, "back in the lobby")
    await nora.expect("rita: back in the lobby")

    # Each room can be left from the list's menu.
    sidebar = gui.window.sidebar
    assert sidebar.build_menu([row[0] for row in rows(gui)].index("#dev-rita"))
    assert sidebar.room_menu.entrycget(0, "label") == "Leave #dev-rita"
    sidebar.room_menu.invoke(0)
    await until(lambda: rows(gui) == [("#lobby", 0, True)], lambda: f"rooms: {rows(gui)}")
    assert "#dev-rita" not in gui.window.views
    assert gui.window.sidebar.leave_button.instate(["disabled"])  # one cannot leave one's last
    assert lines_of(gui)[-1] == "* You left #dev-rita"


@pytest_twisted.ensureDeferred
async def test_the_topic_bar_and_members_follow_the_current_room(rooms_port, open_gui, live_peers):
    """The topic bar shows the current room's topic; leaving the current room switches back."""
    gui = open_gui(rooms_port, "tess")
    await in_rooms(gui, "tess")
    omar = live_peers(rooms_port)
    omar.peer.join("omar")
    omar.send("/join #plans-t", "/topic ship on friday")
    await omar.expect("* omar set the topic of #plans-t: ship on friday")
    type_and_enter(gui, "/join #plans-t")
    await until(lambda: gui.window.topic() == "#plans-t — ship on friday", "no topic shown")
    assert gui.window.users() == ["omar", "tess"]
    omar.send("/topic ship on monday")
    await until(lambda: gui.window.topic() == "#plans-t — ship on monday", "topic not updated")

    gui.window.sidebar.leave_button.invoke()  # leaves the current room
    await until(lambda: rows(gui) == [("#lobby", 0, True)], lambda: f"rooms: {rows(gui)}")
    assert "* You left #plans-t" in lines_of(gui)
    assert gui.window.topic() is not None and gui.window.topic().startswith("#lobby")
    assert "omar" in gui.window.users()


@pytest_twisted.ensureDeferred
async def test_our_lines_are_pending_until_their_receipt(rooms_port, open_gui, live_peers):
    """Our line shows as pending when sent and as delivered once its receipt arrives."""
    gui = open_gui(rooms_port, "pia")
    await in_rooms(gui, "pia")
    text = gui.window.text
    type_and_enter(gui, "is this stored?")
    # Sent, and no receipt can have arrived: the reactor has not run since.
    assert lines_of(gui)[-1] == "pia: is this stored?"
    assert text.get("end-1c linestart", "end-1c").endswith("  …")
    assert PENDING in text.tag_names("end-1c linestart")
    await until(lambda: text.get("end-1c linestart", "end-1c").endswith("  ✓"), "no delivered mark")
    assert PENDING not in text.tag_names("end-1c linestart")
    assert RECEIPT in text.tag_names("end-2c")
    assert not any(line.startswith("+ ") for line in lines_of(gui))  # receipts are not shown


@pytest_twisted.ensureDeferred
async def test_history_pages_back_without_jumping(rooms_port, open_gui, live_peers):
    """Scrolling to the top asks for older lines, puts them above and keeps the view in place."""
    hana = live_peers(rooms_port)
    hana.peer.join("hana")
    hana.send(
        "/join #archive-h", *(f"old line {number}" for number in range(80)), "/who #archive-h"
    )
    await hana.expect("* In #archive-h (1): hana")  # answered after all 80 lines are said
    gui = open_gui(rooms_port, "hugo")
    await in_rooms(gui, "hugo")
    type_and_enter(gui, "/join #archive-h")
    # The join replays the newest 5 lines.
    await until(
        lambda: any(line.endswith("hana: old line 79") for line in lines_of(gui)),
        lambda: f"no replay: {lines_of(gui)}",
    )
    view = gui.window.current
    assert len(view.said()) == 5

    gui.window.entry.event_generate("<Prior>")  # Page Up at the top of a short view
    await until(lambda: len(view.said()) == 55, lambda: f"first page: {len(view.said())} lines")
    assert view.said()[0] == "hana: old line 25" and view.said()[-1] == "hana: old line 79"

    view.text.yview_moveto(0.0)
    gui.window.root.update_idletasks()
    top_line = view.text.get("@0,0 linestart", "@0,0 lineend")
    view.on_top()  # what scrolling to the top calls
    await until(lambda: len(view.said()) == 80, lambda: f"second page: {len(view.said())} lines")
    gui.window.root.update_idletasks()
    assert view.text.get("@0,0 linestart", "@0,0 lineend") == top_line  # no jump
    assert view.texts()[0] == "No older lines."
    assert view.said() == [f"hana: old line {number}" for number in range(80)]
    view.on_top()  # nothing older: nothing more is asked
    assert not gui.backlog._asked


class ScriptedServer(LineReceiver):
    """A chat server that answers from a script: v1 without rooms, or v2 that never confirms."""

    delimiter = b"\n"

    def connectionMade(self) -> None:
        self.name: str | None = None
        self.factory.connections.append(self)
        self.say("* Please enter a username:")

    def say(self, *lines: str) -> None:
        self.transport.write(b"".join(line.encode() + b"\r\n" for line in lines))

    def lineReceived(self, data: bytes) -> None:
        line = data.decode().rstrip("\r")
        self.factory.heard.append(line)
        if self.name is None:
            self.name = line
            self.say(WELCOME.format(line), f"* Online (1): {line}")
            return
        answer = self.factory.script.get(line.split(" ", 1)[0], [])
        self.say(*(text.format(name=self.name) for text in answer))


V1 = {"/receipts": ["! unknown command: /receipts (try /help)"]}
V2_SLOW_DISK = {
    "/receipts": ["* Receipts are on"],
    "/join": ["* Now talking in #lobby (1 here: {name})"],
    "/topic": ["* #lobby has no topic"],
}


@pytest.fixture
def scripted():
    """``scripted(script)``: the port of a ScriptedServer; stopped after the test."""
    from twisted.internet import protocol, reactor

    listening = []

    def start(script: dict[str, list[str]]):
        factory = protocol.Factory.forProtocol(ScriptedServer)
        factory.script, factory.heard, factory.connections = script, [], []
        listening.append(reactor.listenTCP(0, factory, interface="127.0.0.1"))
        return listening[-1].getHost().port, factory

    yield start
    for port in listening:
        port.stopListening()


@pytest_twisted.ensureDeferred
async def test_a_server_without_rooms_gets_no_room_list_and_no_errors(open_gui, scripted):
    """Against a v1 server: the probe's error is hidden, no room list, no topic bar."""
    port, server = scripted(V1)
    gui = open_gui(port, "vic")
    await until(lambda: "/receipts on" in server.heard, "no probe sent")
    await until(lambda: gui.client.has_rooms is False, "the probe's answer not taken")
    assert not any(line.startswith("! ") for line in lines_of(gui))
    assert gui.window.rooms() == []
    assert not gui.window.sidebar.rooms_part.winfo_manager()
    assert gui.window.topic() is None
    assert gui.window.users_label.cget("text") == "Online (1)"
    type_and_enter(gui, "plain as ever")
    await until(lambda: "plain as ever" in server.heard, "the line was not sent")
    assert lines_of(gui)[-1] == "vic: plain as ever"
    assert "…" not in gui.window.text.get("1.0", "end")  # no receipts on v1
    assert server.heard == ["vic", "/receipts on", "plain as ever"]


@pytest_twisted.ensureDeferred
async def test_a_line_pending_when_the_connection_drops_is_not_confirmed(open_gui, scripted):
    """A line still waiting for its receipt when the connection ends is marked so."""
    port, server = scripted(V2_SLOW_DISK)
    gui = open_gui(port, "una")
    await until(lambda: rows(gui) == [("#lobby", 0, True)], lambda: f"rooms: {rows(gui)}")
    type_and_enter(gui, "did this arrive?")
    await until(lambda: "did this arrive?" in server.heard, "the line was not sent")
    server.connections[0].transport.loseConnection()
    await until(lambda: gui.window.banner_shown, "no banner after the connection dropped")
    text = gui.window.text
    number = lines_of(gui).index("una: did this arrive?") + 1
    assert text.get(f"{number}.0", f"{number}.end").endswith("  ✗ not confirmed")
    assert UNCONFIRMED in text.tag_names(f"{number}.end-1c")


@pytest_twisted.ensureDeferred
async def test_reconnecting_rejoins_the_rooms(daemon, open_gui, live_peers):
    """After the server comes back, Reconnect joins our rooms again and ends in the current one."""
    first = daemon("chatd", "--listen", f"tcp:0:{LOCAL}", *FAST)
    port = first.ports()[0]
    gui = open_gui(port, "remy")
    await in_rooms(gui, "remy")
    for room in ("#ops-r", "#dev-r"):
        type_and_enter(gui, f"/join {room}")
    type_and_enter(gui, "/part #lobby")
    type_and_enter(gui, "/join #ops-r")
    wanted = [("#dev-r", 0, False), ("#ops-r", 0, True)]
    await until(lambda: rows(gui) == wanted, lambda: f"rooms before: {rows(gui)}")
    type_and_enter(gui, "said before the restart")
    await until(lambda: gui.window.text.get("end-1c linestart", "end-1c").endswith("✓"), "no ✓")

    first.terminate()
    await until(lambda: gui.window.banner_shown, "no banner after the server went away")
    daemon("chatd", "--listen", f"tcp:{port}:{LOCAL}", *FAST).ports()
    watcher = live_peers(port)
    watcher.peer.join("wes")
    watcher.send("/join #dev-r")
    gui.window.reconnect_button.invoke()
    await watcher.expect("* remy has joined #dev-r")
    await until(lambda: rows(gui) == wanted, lambda: f"rooms after: {rows(gui)}")
    assert gui.window.current_key == "#ops-r"
    # The rejoin replays #ops-r's recent lines; the view shows each of them once.
    await until(lambda: "#lobby" not in gui.window.views, "the lobby's view stayed")
    assert lines_of(gui).count("remy: said before the restart") == 1
    assert "* You left #lobby" not in lines_of(gui)  # the window's own part is not news


@pytest_twisted.ensureDeferred
async def test_a_line_said_in_another_room_shows_in_its_view(rooms_port, open_gui, live_peers):
    """``/to #room TEXT`` shows our line in that room's view, confirmed by its own receipt."""
    gui = open_gui(rooms_port, "tobi")
    await in_rooms(gui, "tobi")
    kim = live_peers(rooms_port)
    kim.peer.join("kim")
    type_and_enter(gui, "/join #side-t")
    await until(lambda: gui.window.current_key == "#side-t", "no switch to #side-t")
    type_and_enter(gui, "/to #lobby over here")
    await kim.expect("tobi: over here")
    lobby = gui.window.views["#lobby"]
    assert lobby.texts()[-1] == "tobi: over here"
    assert "tobi: over here" not in lines_of(gui)
    await until(lambda: lobby.text.get("end-1c linestart", "end-1c").endswith("✓"), "no ✓")


@pytest_twisted.ensureDeferred
async def test_a_line_refused_as_too_long_is_marked_not_sent(daemon, open_gui, live_peers):
    """The server's refusal of a line too long marks that line, and the next line is confirmed."""
    port = daemon("chatd", "--listen", f"tcp:0:{LOCAL}", "--max-line-length", "60").ports()[0]
    gui = open_gui(port, "lena")
    await in_rooms(gui, "lena")
    text = gui.window.text
    type_and_enter(gui, "x" * 80)
    type_and_enter(gui, "short enough")
    await shown_line(gui, "! line too long (limit 60 bytes)")
    long_line = lines_of(gui).index("lena: " + "x" * 80) + 1
    await until(
        lambda: text.get(f"{long_line}.0", f"{long_line}.end").endswith("✗ not sent"),
        "the refused line is not marked",
    )
    short = lines_of(gui).index("lena: short enough") + 1
    await until(lambda: text.get(f"{short}.0", f"{short}.end").endswith("✓"), "no ✓")


async def shown_line(face, line: str) -> None:
    await until(lambda: line in lines_of(face), lambda: f"{line!r} not in {lines_of(face)}")
