"""Reading the server's options from its help text.  Run: ``python -m pytest bench/soak``."""

from __future__ import annotations

from bench.soak.server import limit_settings, parse_help

HELP = """Usage: twistd [options] chatd [options]
Options:
      --help              Display this help and exit.
      --max-clients=      Most connections served at once; further ones are told
                          the server is full. [default: 10000]
      --max-send-buffer=  Disconnect a client whose unsent output passes this
                          many bytes. [default:
                          1048576]
      --idle-timeout=     Disconnect a user silent for this many seconds.
  -p, --port=             TCP port to listen on (0 picks a free one). [default:
                          33000]
      --log-messages      Also log the text of chat and private messages.
"""


def test_parse_help_reads_wrapped_defaults() -> None:
    options = parse_help(HELP)
    assert options["max-clients"] == "10000"
    assert options["max-send-buffer"] == "1048576"
    assert options["port"] == "33000"
    assert options["idle-timeout"] is None
    assert "log-messages" in options


def test_limit_settings_say_where_each_value_comes_from() -> None:
    settings = limit_settings(
        parse_help(HELP), ["--max-send-buffer=65536", "--idle-timeout", "30", "--history=0"]
    )
    assert settings["max-send-buffer"] == "65536 (set)"
    assert settings["idle-timeout"] == "30 (set)"
    assert settings["max-clients"] == "10000 (default)"
    assert settings["rate"] == "not supported"
