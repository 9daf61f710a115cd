"""The installed ``twistd`` command line: the plugin is found, documented, checks its options."""

from __future__ import annotations

import re

import pytest

OPTIONS = (
    "--port",
    "--interface",
    "--listen",
    "--history",
    "--motd",
    "--max-line-length",
    "--max-clients",
    "--log-messages",
)


def test_plugin_is_found_after_install(run_twistd):
    """``twistd --help``, run outside the repository without PYTHONPATH, lists the chatd plugin."""
    result = run_twistd("--help")
    assert result.returncode == 0, result.stdout + result.stderr
    commands = [line.split(None, 1) for line in result.stdout.splitlines()]
    assert any(words[:1] == ["chatd"] and len(words) == 2 for words in commands), result.stdout


def test_chatd_help_documents_every_option(run_twistd):
    """``twistd chatd --help`` lists every option, each with a description."""
    result = run_twistd("chatd", "--help")
    assert result.returncode == 0, result.stdout + result.stderr
    for option in OPTIONS:
        # "  -p, --port=   TCP port ..." or "      --log-messages   Also log ..."
        described = rf"^ +(?:-\w, )?{option}=? +\w"
        assert re.search(described, result.stdout, re.MULTILINE), (option, result.stdout)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--port", "nope"], "--port wants a whole number, not 'nope'"),
        (["--port", "70000"], "--port must be at most 65535, not 70000"),
        (["--history", "-1"], "--history must be at least 0, not -1"),
        (["--max-clients", "0"], "--max-clients must be at least 1, not 0"),
        (["--max-line-length", "0"], "--max-line-length must be at least 1, not 0"),
        (["--motd", "/missing/file"], "cannot read --motd file: [Errno 2]"),
        (
            ["--listen", "bogus:1"],
            "cannot listen on --listen 'bogus:1': Unknown endpoint type: 'bogus'",
        ),
    ],
    ids=["port-nope", "port-range", "history", "max-clients", "max-line-length", "motd", "listen"],
)
def test_bad_option_value_is_one_clear_message(run_twistd, args, message):
    """A bad option value exits 1 with one line on stderr: the reason and a --help hint."""
    result = run_twistd("-n", "--pidfile=", "chatd", *args)
    assert result.returncode == 1
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"chatd: {message}") and line.endswith(" chatd --help)"), line


def test_bad_option_starts_nothing(run_twistd, tmp_path):
    """A refused command line writes no pid file and leaves nothing behind in its directory."""
    result = run_twistd("-n", "chatd", "--port", "nope")
    assert result.returncode != 0
    assert list(tmp_path.iterdir()) == []
