"""``twistd chatd --config FILE`` as installed: settings from TOML, the command line on top.

Each daemon runs in its own scratch directory, where the test writes ``chatd.toml`` (and the MOTD
file beside it), so relative paths are exercised as a person would use them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from installed_daemon import TWISTD

ROOT = Path(__file__).resolve().parents[2]
TAC = ROOT / "chatd.tac"
EXAMPLE = ROOT / "chatd.example.toml"
HELP_HINT = f"(see {'twistd' if shutil.which('twistd') == TWISTD else TWISTD} chatd --help)"

CONFIG = """\
port = 0
motd = "motd.txt"
history = 1
max-clients = 2
"""


def write_config(folder: Path, text: str = CONFIG) -> None:
    (folder / "chatd.toml").write_text(text)
    (folder / "motd.txt").write_text("Hello from the file\n")


def test_the_daemon_takes_its_settings_from_the_file(daemon, peers, tmp_path):
    """motd, history and max-clients come from chatd.toml; --history on the command line wins."""
    write_config(tmp_path)
    server = daemon("chatd", "--config", "chatd.toml", "--history", "2")
    (port,) = server.ports()
    rosa = peers(port)
    assert rosa.expect_prompt() == ["* Hello from the file"]
    rosa.send("rosa", "one", "two", "three", "/who")
    rosa.expect("* Online (1): rosa")
    sam = peers(port)
    assert sam.join("sam") == "* Online (2): rosa, sam"
    assert [line[8:] for line in sam.lines(2)] == ["rosa: two", "rosa: three"]
    third = peers(port)
    assert third.expect_eof() == b"! server is full, try again later\r\n"  # max-clients = 2


def test_a_bad_file_stops_the_start_in_one_line(run_twistd, tmp_path):
    """A value out of range is one line naming the file and the key, and status 1."""
    write_config(tmp_path, "port = 0\nmax-clients = 0\n")
    result = run_twistd("-n", "--pidfile=", "chatd", "--config", "chatd.toml")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"chatd: chatd.toml: max-clients must be at least 1, not 0 {HELP_HINT}\n"
    )


def test_an_unknown_key_is_named_with_a_suggestion(run_twistd, tmp_path):
    """A misspelt key is refused at start-up, with the key it probably meant."""
    write_config(tmp_path, "port = 0\nmax_clients = 5\n")
    result = run_twistd("-n", "--pidfile=", "chatd", "--config", "chatd.toml")
    assert result.returncode == 1
    assert result.stderr == (
        f"chatd: chatd.toml: unknown key 'max_clients'; did you mean 'max-clients'? {HELP_HINT}\n"
    )


def test_the_example_file_runs_as_is(daemon, peers):
    """chatd.example.toml is a working config: with --port 0 the daemon starts and serves."""
    server = daemon("chatd", "--config", str(EXAMPLE), "--port", "0")
    (port,) = server.ports()
    assert peers(port).join("ada") == "* Online (1): ada"


def test_the_tac_takes_the_file_from_chatd_config(daemon, peers, tmp_path):
    """``CHATD_CONFIG=chatd.toml twistd -ny chatd.tac`` reads the file as --config would."""
    write_config(tmp_path)
    server = daemon("-y", str(TAC), env={"CHATD_CONFIG": "chatd.toml"})
    (port,) = server.ports()
    assert peers(port).expect_prompt() == ["* Hello from the file"]


def test_the_tac_takes_config_inside_chatd_options(daemon, peers, tmp_path):
    """``--config`` inside CHATD_OPTIONS works too, with the other options beating the file."""
    write_config(tmp_path)
    server = daemon("-y", str(TAC), env={"CHATD_OPTIONS": "--config chatd.toml --max-clients 1"})
    (port,) = server.ports()
    assert peers(port).expect_prompt() == ["* Hello from the file"]
    assert peers(port).expect_eof() == b"! server is full, try again later\r\n"
