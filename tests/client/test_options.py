"""The chatd-client command line: defaults, flags, and what counts as a usage error."""

from __future__ import annotations

from pathlib import Path

import pytest
from twisted.python import usage

from chatd.client.connection import ServerAddress
from chatd.client.options import Options, name_problem, port_number


def parse(*args: str) -> Options:
    options = Options()
    options.parseOptions(list(args))
    return options


def test_defaults():
    """With no arguments the client goes to 127.0.0.1:33000 over plain TCP, asking for a name."""
    options = parse()
    assert options.address() == ServerAddress("127.0.0.1", 33000)
    assert options["name"] is None
    assert options["quit-timeout"] == 30.0


def test_host_port_and_name():
    """HOST, -p and -n are taken as given."""
    options = parse("chat.example.org", "-p", "4000", "-n", "alice")
    assert options.address() == ServerAddress("chat.example.org", 4000)
    assert options["name"] == "alice"


def test_host_from_a_question_only_fills_a_missing_host():
    """A host typed at the question is used only when none was given: flags always win."""
    assert parse().address("typed.example").host == "typed.example"
    assert parse("given.example").address("typed.example").host == "given.example"


def test_tls_options(tls_files):
    """--ca and --insecure imply --tls; --ca reads the certificate now."""
    assert parse("--tls").address().tls
    with_ca = parse("--ca", str(tls_files.cert)).address()
    assert with_ca.tls and with_ca.ca_pem == tls_files.cert.read_bytes()
    insecure = parse("--insecure").address()
    assert insecure.tls and insecure.insecure


@pytest.mark.parametrize(
    "args",
    [
        ["-p", "0"],
        ["-p", "70000"],
        ["-p", "http"],
        ["--quit-timeout", "0"],
        ["-n", ""],
        ["-n", "two words"],
        ["-n", "bot\nhello"],
        [""],
        ["a", "b"],
        ["--ca", "/nonexistent/ca.pem"],
        ["--ca", "x", "--insecure"],
    ],
)
def test_usage_errors(args):
    """Bad ports, names that are empty or would not be one line, empty hosts, extra arguments,
    and unreadable --ca files are refused."""
    with pytest.raises(usage.UsageError):
        parse(*args)


def test_a_file_that_is_not_a_certificate(tmp_path):
    """--ca with a file that is not PEM is a usage error saying so."""
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    with pytest.raises(usage.UsageError, match="not a PEM certificate"):
        parse("--ca", str(junk))


def test_flags_may_come_before_or_after_the_host():
    """``HOST -p PORT`` and ``-p PORT HOST`` mean the same, as do long options with =."""
    for args in (
        ["example.org", "-p", "4000", "-n", "al"],
        ["-p", "4000", "example.org", "--name=al"],
        ["--port", "4000", "-nal", "example.org"],
    ):
        options = parse(*args)
        assert (options["host"], options["port"], options["name"]) == ("example.org", 4000, "al")


def test_an_empty_name_value_is_kept_and_refused():
    """``-n ''`` is an empty name (refused), not a missing value swallowing the next word."""
    with pytest.raises(usage.UsageError, match="--name is empty"):
        parse("-n", "", "example.org")


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("alice", None),
        ("ａｌｉｃｅ", None),
        ("root", None),  # reserved, but that is the server's rule to apply
        ("", "is empty"),
        ("  ", "is empty"),
        ("al ice", "cannot contain spaces or control characters"),
        ("al\x1bice", "cannot contain spaces or control characters"),
    ],
)
def test_name_problem(name, problem):
    """Only names that could never be sent as one word are refused before the server sees them."""
    assert name_problem(name) == problem


def test_port_number():
    """A port is a number from 1 to 65535; anything else is a ValueError saying so."""
    assert port_number("33000") == 33000
    for bad in ("0", "65536", "http"):
        with pytest.raises(ValueError):
            port_number(bad)


def test_a_bracketed_ipv6_host():
    """``chatd-client '[::1]'`` connects to ::1 and names it ``[::1]:PORT`` in messages."""
    options = Options()
    options.parseOptions(["[::1]", "-p", "4000"])
    assert options.address().host == "::1"
    assert str(options.address()) == "[::1]:4000"


@pytest.mark.parametrize("options_class", ["chatd.client.options", "chatd.gui.options"])
def test_the_readme_usage_line_is_the_help_synopsis(options_class):
    """The usage line in the README's section for each program is what ``--help`` prints."""
    import importlib

    options = importlib.import_module(options_class).Options()
    program = options.synopsis.split()[1]
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split(f"\n## {program}\n", 1)[1].split("\n## ", 1)[0]
    usage_lines = [line for line in section.splitlines() if line.startswith(f"{program} [")]
    assert usage_lines == [options.synopsis.removeprefix("Usage: ")]
