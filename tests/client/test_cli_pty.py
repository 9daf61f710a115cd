"""The installed chatd-client on a pseudo-terminal: a message arriving mid-typing spoils nothing."""

from __future__ import annotations

import termios


def test_half_typed_line_survives_an_incoming_message(server_port, peers, terminal_client):
    """The other user's message appears above the input row; the half line is redrawn after it."""
    alice = terminal_client("-p", str(server_port), "-n", "alice")
    alice.wait_screen(lambda s: s.rows()[-1:] == ["alice #lobby>"], "no prompt after the welcome")
    alice.keys(b"half a li")
    alice.wait_screen(lambda s: s.rows()[-1] == "alice #lobby> half a li", "typing not echoed")

    bob = peers(server_port)
    bob.join("bob")
    bob.send("hello alice")
    screen = alice.wait_screen(
        lambda s: s.rows()[-2:] == ["bob: hello alice", "alice #lobby> half a li"],
        "the message did not appear above the redrawn half line",
    )
    assert screen.cursor == (len("alice #lobby> half a li"), len(screen.rows()) - 1)
    assert screen.rows()[-3] == "* bob has joined the chat"

    alice.keys(b"ne\r")
    assert bob.expect("alice: half a line") == []
    alice.keys(b"\x04")  # Ctrl-D on the empty line leaves
    assert alice.wait_exit() == 0
    assert "* Goodbye alice!" in alice.screen().rows()
    lflags = alice.settings_now()[3]
    assert lflags & termios.ECHO and lflags & termios.ICANON  # the terminal is back as it was
    assert alice.settings_now() == alice.settings_before


def test_with_a_name_the_prompt_is_not_shown_and_a_refusal_says_what_to_do(
    server_port, terminal_client
):
    """-n answers the prompt unseen; if the server refuses the name, a hint says to type another."""
    rooted = terminal_client("-p", str(server_port), "-n", "root")
    hint = "chatd-client: type another username and press Enter"
    screen = rooted.wait_screen(lambda s: hint in s.rows(), "no hint after the refused name")
    assert "* Please enter a username:" not in screen.rows()
    assert screen.rows()[-3:] == [
        "! the username root is reserved, please choose another",
        hint,
        ">",
    ]
    rooted.keys(b"rooty\r")
    rooted.wait_screen(lambda s: s.rows()[-1:] == ["rooty #lobby>"], "the typed name was not taken")
    rooted.keys(b"\x04")
    assert rooted.wait_exit() == 0


def test_rooms_on_a_terminal_prompt_colours_and_completion(server_port, peers, terminal_client):
    """The prompt names the room, another room's lines keep a coloured mark, Tab completes."""
    from chatd.client.render import RESET, room_colour

    alice = terminal_client("-p", str(server_port), "-n", "alice2")
    alice.wait_screen(lambda s: s.rows()[-1:] == ["alice2 #lobby>"], "no room in the prompt")
    alice.keys(b"/jo\t#dev-pty\r")
    alice.wait_screen(lambda s: s.rows()[-1:] == ["alice2 #dev-pty>"], "the prompt did not follow")
    assert "* Now talking in #dev-pty (1 here: alice2)" in alice.screen().rows()

    bob = peers(server_port)
    bob.join("bobby")
    bob.send("hi from the lobby")
    alice.wait_screen(
        lambda s: "#lobby bobby: hi from the lobby" in s.rows(), "no marked lobby line"
    )
    assert f"{room_colour('#lobby')}#lobby{RESET} bobby: hi from the lobby" in alice.output.text()
    alice.keys(b"/msg bob\tpsst\r")
    bob.expect("[private] alice2: psst")
    alice.keys(b"\x04")
    assert alice.wait_exit() == 0


def test_no_colour_for_room_marks_with_no_color(server_port, peers, terminal_client):
    """With NO_COLOR set, another room's line is written exactly as the server sent it."""
    carol = terminal_client("-p", str(server_port), "-n", "carol", NO_COLOR="1")
    carol.wait_screen(lambda s: s.rows()[-1:] == ["carol #lobby>"], "no room in the prompt")
    carol.keys(b"/join #quiet\r")
    carol.wait_screen(lambda s: s.rows()[-1:] == ["carol #quiet>"], "no switch to #quiet")
    dan = peers(server_port)
    dan.join("dan")
    dan.send("plain please")
    carol.wait_screen(lambda s: "#lobby dan: plain please" in s.rows(), "no marked lobby line")
    assert "\r\x1b[K#lobby dan: plain please\r" in carol.output.text()  # no colour codes
    carol.keys(b"\x04")
    assert carol.wait_exit() == 0
