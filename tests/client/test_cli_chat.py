"""The installed chatd-client with pipes, chatting on a real daemon over loopback."""

from __future__ import annotations

import signal
import subprocess
import sys

WELCOME = "* Welcome {}! If you ever want to quit, type <quit> to exit."


def test_two_clients_chat_both_ways(server_port, client):
    """Two chatd-clients see each other join and chat both ways; <quit> leaves with status 0."""
    ann = client("-p", str(server_port), "-n", "ann")
    ann.wait_for_line(WELCOME.format("ann"))
    bea = client("-p", str(server_port), "-n", "bea")
    bea.wait_for_line(WELCOME.format("bea"))
    ann.wait_for_line("* bea has joined the chat")

    ann.type("hello bea")
    bea.wait_for_line("ann: hello bea")
    bea.type("hi ann \u2713", "/msg ann psst")
    ann.wait_for_line("bea: hi ann \u2713")
    ann.wait_for_line("[private] bea: psst")
    bea.wait_for_line("[private to ann] psst")

    ann.type("<quit>")
    assert ann.wait_exit() == 0
    assert ann.stdout.text().splitlines()[-1] == "* Goodbye ann!"
    assert ann.stderr.text() == ""
    bea.wait_for_line("* ann has left the chat")
    bea.type("/quit")
    assert bea.wait_exit() == 0


def test_piped_hello_reaches_the_others(server_port, peers, run_client):
    """``printf 'hello\\n' | chatd-client -n bot`` says hello, quits, and exits 0."""
    nora = peers(server_port)
    nora.join("nora")
    done = run_client("-p", str(server_port), "-n", "bot", input=b"hello\n")
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""
    assert done.stdout.decode().splitlines() == [
        "* Please enter a username:",
        WELCOME.format("bot"),
        "* Online (2): bot, nora",
        "* Goodbye bot!",
    ]
    assert nora.expect("* bot has left the chat") == ["* bot has joined the chat", "bot: hello"]


def test_a_long_pipe_is_all_sent_before_quitting(server_port, peers, run_client):
    """Every piped line reaches the others, in order, before the client quits."""
    nora = peers(server_port)
    nora.join("nora2")
    # More than a flood-controlled server lets through at once (a burst of 20), few enough that
    # the rest take it about two seconds at 5 lines a second.
    lines = [f"line {number}" for number in range(30)]
    done = run_client(
        "-p", str(server_port), "-n", "longbot", input="".join(f"{x}\n" for x in lines).encode()
    )
    assert done.returncode == 0, done.stderr
    said = nora.expect("* longbot has left the chat")
    assert said == ["* longbot has joined the chat", *(f"longbot: {x}" for x in lines)]


def test_without_a_name_the_first_line_is_the_name(server_port, peers, run_client):
    """Without -n the client is a plain pipe: the first line answers the prompt, as with nc."""
    nora = peers(server_port)
    nora.join("nora3")
    done = run_client("-p", str(server_port), input=b"pipa\nfrom a pipe\n")
    assert done.returncode == 0, done.stderr
    assert nora.expect("* pipa has left the chat") == [
        "* pipa has joined the chat",
        "pipa: from a pipe",
    ]


def test_end_of_input_quits_with_status_0(server_port, client):
    """Closing stdin (Ctrl-D, or the end of a pipe) quits cleanly with status 0."""
    eve = client("-p", str(server_port), "-n", "eve")
    eve.wait_for_line(WELCOME.format("eve"))
    eve.end_input()
    assert eve.wait_exit() == 0
    assert eve.stdout.text().splitlines()[-1] == "* Goodbye eve!"


def test_a_refused_name_in_a_pipe_exits_1_with_the_reason(server_port, run_client):
    """With nobody to type another name, a refused --name ends the run with the server's reason."""
    done = run_client("-p", str(server_port), "-n", "root", input=b"hello\n")
    assert done.returncode == 1
    assert done.stdout.decode().splitlines()[-1].startswith("! the username root is reserved")
    assert done.stderr.decode() == (
        "chatd-client: the server refused the name root: "
        "the username root is reserved, please choose another\n"
    )


def test_server_shutdown_exits_1_with_connection_lost(daemon, client):
    """When the server goes away the client says ``Connection to server lost.`` and exits 1."""
    server = daemon("chatd", "--listen", "tcp:0:interface=127.0.0.1")
    (port,) = server.ports()
    fay = client("-p", str(port), "-n", "fay")
    fay.wait_for_line(WELCOME.format("fay"))
    server.process.send_signal(signal.SIGTERM)
    assert fay.wait_exit() == 1
    assert fay.stdout.text().splitlines()[-1] == "* server is shutting down"
    assert fay.stderr.text() == "Connection to server lost.\n"
    assert server.wait_exit() == -signal.SIGTERM


def test_a_signal_exits_1_quietly(server_port, client):
    """SIGTERM to the client ends it with status 1 and no message about a lost server."""
    gus = client("-p", str(server_port), "-n", "gus")
    gus.wait_for_line(WELCOME.format("gus"))
    gus.process.send_signal(signal.SIGTERM)
    assert gus.wait_exit() == 1
    assert gus.stderr.text() == ""


def test_python_dash_m_help():
    """``python -m chatd.client --help`` prints the usage and exits 0."""
    done = subprocess.run(
        [sys.executable, "-m", "chatd.client", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0
    assert done.stdout.startswith("Usage: chatd-client [HOST] [-p PORT] [-n NAME]")


def test_in_a_script_room_lines_are_written_as_received(server_port, peers, client):
    """Piped, the client sends nothing of its own and writes room lines exactly, marks and all."""
    nora = peers(server_port)
    nora.join("nora9")
    bot = client("-p", str(server_port), "-n", "roombot")
    bot.wait_for_line(WELCOME.format("roombot"))
    bot.type("/join #scripts")
    bot.wait_for_line("* Now talking in #scripts (1 here: roombot)")
    nora.send("in the lobby")
    bot.wait_for_line("#lobby nora9: in the lobby")
    bot.end_input()
    assert bot.wait_exit() == 0
    lines = bot.stdout.text().splitlines()
    assert "\x1b" not in bot.stdout.text()
    assert not any(line.startswith("* Receipts") for line in lines)  # no probe in scripts
    assert lines[-1] == "* Goodbye roombot!"
