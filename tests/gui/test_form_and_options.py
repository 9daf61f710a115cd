"""The connect form and the chatd-gui command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from twisted.python import usage

from chatd.client.connection import ServerAddress
from chatd.gui.options import FormFields, Options, read_form

GUI = str(Path(sys.executable).parent / "chatd-gui")
BASE = ServerAddress()


def test_the_form_reads_into_an_address_and_a_name():
    """Host, port, name and TLS become the server address and the name to join as."""
    address, name = read_form(FormFields(" example.org ", "4000", " kim ", True), BASE)
    assert (address.host, address.port, address.tls, name) == ("example.org", 4000, True, "kim")


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        (FormFields("", "33000", "kim", False), "Enter the server's host name or address."),
        (FormFields("h", "0", "kim", False), "The port is a number from 1 to 65535."),
        (FormFields("h", "x", "kim", False), "The port is a number from 1 to 65535."),
        (FormFields("h", "33000", " ", False), "Enter a name to chat as."),
        (FormFields("h", "33000", "k m", False), "The name cannot contain spaces or control"),
    ],
)
def test_the_form_says_what_is_wrong(fields, problem):
    """A field that cannot work is a sentence for the person, not an exception."""
    with pytest.raises(ValueError, match=problem):
        read_form(fields, BASE)


def test_ca_and_insecure_from_the_command_line_apply_only_with_tls():
    """What the form does not show (--ca, --insecure) is kept when TLS stays on."""
    base = ServerAddress(tls=True, insecure=True)
    assert read_form(FormFields("h", "1", "kim", True), base)[0].insecure
    assert not read_form(FormFields("h", "1", "kim", False), base)[0].insecure


def test_options_are_chatd_clients_with_a_shorter_goodbye_wait():
    """chatd-gui takes chatd-client's options; closing a window waits 10 s at most."""
    options = Options()
    options.parseOptions(["example.org", "-p", "4000", "-n", "kim", "--tls"])
    assert (options["host"], options["port"], options["name"]) == ("example.org", 4000, "kim")
    assert options.address().tls
    assert options["quit-timeout"] == 10.0
    with pytest.raises(usage.UsageError):
        Options().parseOptions(["-n", "two words"])


def test_a_usage_error_exits_2_with_one_line():
    """A bad option is the usage line and one line saying what is wrong, status 2."""
    done = subprocess.run([GUI, "--port", "nope"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert lines[0].startswith("Usage: chatd-gui")
    assert lines[1].startswith("chatd-gui: ")
    assert len(lines) == 2


def test_no_display_exits_1_with_one_line():
    """Without a display there is no window: one line on standard error, status 1."""
    env = {key: value for key, value in os.environ.items() if key != "DISPLAY"}
    done = subprocess.run([GUI, "-n", "kim"], capture_output=True, text=True, timeout=30, env=env)
    assert done.returncode == 1
    assert done.stderr.startswith("chatd-gui: cannot open a window: ")
    assert len(done.stderr.splitlines()) == 1


def test_form_connect_and_cancel(tk_root):
    """Connect hands over what was typed; a bad field shows its problem; closing gives None."""
    from chatd.gui.form import ConnectForm

    form = ConnectForm(tk_root, FormFields("127.0.0.1", "33000", "", False), BASE)
    tk_root.update()
    assert tk_root.focus_get() in (None, form.entries["name"])  # the first empty field
    form.connect_button.invoke()
    assert form.problem.cget("text") == "Enter a name to chat as."
    assert not form.chosen.called
    form.entries["name"].insert(0, "kim")
    form.tls_check.invoke()
    form.entries["name"].focus_force()
    form.entries["name"].event_generate("<Return>")
    address, name = form.chosen.result
    assert (address, name) == (ServerAddress("127.0.0.1", 33000, tls=True), "kim")

    again = ConnectForm(tk_root, FormFields("h", "1", "kim", False), BASE)
    tk_root.tk.call(tk_root.protocol("WM_DELETE_WINDOW"))
    assert again.chosen.result is None


def test_python_m_chatd_gui_is_the_same_program():
    """``python -m chatd.gui`` runs the same command line."""
    done = subprocess.run(
        [sys.executable, "-m", "chatd.gui", "--version"], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0
    assert done.stdout.startswith("chatd-gui ")


def test_the_installed_program_chats_and_stops_quietly(display, server_port, peers):
    """``chatd-gui -n NAME`` joins at once; stopped by SIGTERM it exits with no traceback."""
    nora = peers(server_port)
    nora.join("nora")
    gui = subprocess.Popen(
        [GUI, "127.0.0.1", "-p", str(server_port), "-n", "prog"],
        env={**os.environ, "DISPLAY": display},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        nora.expect("* prog has joined the chat")
        nora.send("hello prog")
        gui.terminate()
        _, stderr = gui.communicate(timeout=10)
    finally:
        if gui.poll() is None:
            gui.kill()
            gui.wait()
    nora.expect("* prog has left the chat")
    assert b"Traceback" not in stderr, stderr
