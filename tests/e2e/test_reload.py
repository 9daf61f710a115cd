"""SIGHUP to the installed daemon: the files are read again and nobody is disconnected.

Each test starts ``twistd -n chatd --config chatd.toml`` in a scratch directory, edits the files
there, sends SIGHUP, and checks both the log and what people at the other end see.
"""

from __future__ import annotations

import signal
from pathlib import Path

TAC = Path(__file__).resolve().parents[2] / "chatd.tac"


def write(folder: Path, config: str, motd: str = "Old news\n") -> None:
    (folder / "chatd.toml").write_text(config)
    (folder / "motd.txt").write_text(motd)


def test_limits_and_motd_change_live_and_everyone_stays(daemon, peers, tmp_path):
    """After SIGHUP a newcomer sees the new MOTD and the new max-clients, and the users already
    connected keep chatting."""
    write(tmp_path, 'port = 0\nmotd = "motd.txt"\nmax-clients = 5\n')
    server = daemon("chatd", "--config", "chatd.toml")
    (port,) = server.ports()
    alice = peers(port)
    assert alice.expect_prompt() == ["* Old news"]
    alice.send("alice")
    alice.expect("* Online (1): alice")

    write(tmp_path, 'port = 0\nmotd = "motd.txt"\nmax-clients = 2\n', motd="Fresh news\n")
    server.signal(signal.SIGHUP)
    server.wait_for_log(r"max-clients changed from 5 to 2")
    server.wait_for_log(r"message of the day changed \(1 lines\)")

    bob = peers(port)
    assert bob.expect_prompt() == ["* Fresh news"]
    bob.send("bob")
    bob.expect("* Online (2): alice, bob")
    assert peers(port).expect_eof() == b"! server is full, try again later\r\n"
    alice.send("still here")
    assert bob.next_line() == "alice: still here"
    assert " left (" not in server.log()  # the hub logs "NAME left (HOW)" for each leave


def test_a_broken_file_keeps_the_running_settings(daemon, peers, tmp_path):
    """A file that no longer parses: one log line says why; the old MOTD and limits stay."""
    write(tmp_path, 'port = 0\nmotd = "motd.txt"\n')
    server = daemon("chatd", "--config", "chatd.toml")
    (port,) = server.ports()
    alice = peers(port)
    alice.join("alice")

    write(tmp_path, 'port = 0\nmotd = "motd.txt"\nmax-clients = "many"\n', motd="Fresh news\n")
    server.signal(signal.SIGHUP)
    (line,) = server.wait_for_log(r".*reload failed.*")
    assert line.endswith(
        "reload failed, keeping the running settings: "
        f"{tmp_path / 'chatd.toml'}: max-clients wants a whole number, not a string ('many')"
    )
    assert peers(port).expect_prompt() == ["* Old news"]
    alice.send("/who")
    assert alice.next_line() == "* Online (1): alice"
    assert server.log().count("reload failed") == 1
    assert "changed" not in server.log()


def test_a_listener_change_is_reported_as_needing_a_restart(daemon, peers, tmp_path):
    """A new port in the file is logged as needing a restart; chatd keeps its old port."""
    write(tmp_path, "port = 0\n")
    server = daemon("chatd", "--config", "chatd.toml")
    (port,) = server.ports()
    write(tmp_path, "port = 1\nhistory = 3\n")
    server.signal(signal.SIGHUP)
    server.wait_for_log(r"port changed in \S+chatd.toml; restart chatd to apply it")
    server.wait_for_log(r"history changed in \S+chatd.toml; restart chatd to apply it")
    assert peers(port).join("ada") == "* Online (1): ada"


def test_sighup_rereads_the_motd_file_without_a_config_file(daemon, peers, tmp_path):
    """With only --motd, SIGHUP still reads the MOTD file again."""
    write(tmp_path, "")
    server = daemon("chatd", "--port", "0", "--motd", "motd.txt")
    (port,) = server.ports()
    (tmp_path / "motd.txt").write_text("Line one\nLine two\n")
    server.signal(signal.SIGHUP)
    server.wait_for_log(r"message of the day changed \(2 lines\)")
    assert peers(port).expect_prompt() == ["* Line one", "* Line two"]


def test_the_tac_reloads_on_sighup_too(daemon, peers, tmp_path):
    """A daemon started from chatd.tac with CHATD_CONFIG reloads the same way."""
    write(tmp_path, 'port = 0\nmotd = "motd.txt"\n')
    server = daemon("-y", str(TAC), env={"CHATD_CONFIG": "chatd.toml"})
    (port,) = server.ports()
    write(tmp_path, 'port = 0\nmotd = "motd.txt"\nrate = 2\n', motd="Fresh news\n")
    server.signal(signal.SIGHUP)
    server.wait_for_log(r"rate changed from 5.0 to 2.0 \(applies to new connections\)")
    assert peers(port).expect_prompt() == ["* Fresh news"]
