"""The twistd command line: option parsing, validation, and the service it builds."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from twisted.application.internet import StreamServerEndpointService
from twisted.copyright import version as twisted_version
from twisted.python import usage

import chatd
from chatd.service import ChatService
from chatd.tap import Options, makeService, version_line


@pytest.fixture(autouse=True)
def _in_a_scratch_directory(tmp_path, monkeypatch):
    """makeService opens the default database, chatd.db, where it runs: not in the checkout."""
    monkeypatch.chdir(tmp_path)


def parse(*args: str) -> Options:
    options = Options()
    options.parseOptions(list(args))
    return options


def test_defaults():
    """Without options chatd listens on TCP 33000 on every IPv4 address with the spec's limits."""
    options = parse()
    assert options.endpoints() == ["tcp:33000:backlog=1024"]
    assert options["history"] == 20
    assert options["max-line-length"] == 4096
    assert options["max-clients"] == 10000
    assert not options["log-messages"]


def test_port_and_ipv4_interface():
    """--port and --interface make one TCP endpoint description."""
    assert parse("--port", "4000", "--interface", "127.0.0.1").endpoints() == [
        "tcp:4000:interface=127.0.0.1:backlog=1024"
    ]


def test_ipv6_interface_is_escaped():
    """An IPv6 interface selects tcp6 and has its colons escaped for the endpoint parser."""
    assert parse("-p", "0", "-i", "::1").endpoints() == ["tcp6:0:interface=\\:\\:1:backlog=1024"]


def test_listen_replaces_port_and_is_repeatable():
    """--listen may be given several times and then port and interface are not used."""
    options = parse("--port", "1", "--listen", "tcp:0", "--listen", "tcp6:0")
    assert options.endpoints() == ["tcp:0", "tcp6:0"]


@pytest.mark.parametrize(
    "args, complaint",
    [
        (["--port", "70000"], "at most 65535"),
        (["--port", "-1"], "--port must be at least 0, not -1"),
        (["--port", "nope"], "--port wants a whole number, not 'nope'"),
        (["--history", "-5"], "--history must be at least 0"),
        (["--max-clients", "0"], "--max-clients must be at least 1"),
        (["--max-line-length", "0"], "--max-line-length must be at least 1"),
        (["--rate", "fast"], "--rate wants a number, not 'fast'"),
        (["--rate", "nan"], "--rate must be at least 0, not nan"),
        (["--burst", "0"], "--burst must be at least 1"),
        (["--handshake-timeout", "-1"], "--handshake-timeout must be at least 0"),
        (["--listen", "bogus:1"], "cannot listen on --listen 'bogus:1'"),
        (["--listen", "tcp"], "cannot listen on --listen 'tcp'"),
        (["--listen", "tcp:99999"], "--listen 'tcp:99999': the port must be 0 to 65535, not 99999"),
        (["--listen", "tcp6:-1"], "--listen 'tcp6:-1': the port must be 0 to 65535, not -1"),
        (["--listen", "tcp:0", "--listen", "tcp:0"], "--listen 'tcp:0' is given twice"),
        (["stray"], "unexpected argument 'stray'"),
        (["--listen", "haproxy:ssl:0"], "a PROXY header comes before TLS"),
        (["--listen", "haproxy:tcp:99999"], "the port must be 0 to 65535, not 99999"),
        (["--listen", "ssl:0:privateKey=/no/such/key.pem"], "No such file"),
        (["--motd", "/no/such/motd"], "cannot read --motd file"),
        (["--redis", "bogus:1"], "cannot connect to --redis bogus:1"),
        (["--node-name", "a"], "--node-name a needs --redis"),
        (["--redis-password-file", "pw"], "--redis-password-file pw needs --redis"),
        (["--web-trusted-proxy", "127.0.0.1,::1"], "--web-trusted-proxy 127.0.0.1,::1 needs --web"),
        (
            ["--web", "tcp:0", "--web-trusted-proxy", "127.0.0.1,proxy.lan"],
            "--web-trusted-proxy: 'proxy.lan' is not an address or network",
        ),
        (["--redis", "tcp:localhost:6379", "--node-name", "a b"], "--node-name a b: a node name"),
    ],
)
def test_bad_values_are_usage_errors(args, complaint):
    """Each bad option value is a usage error naming the problem, raised while parsing."""
    with pytest.raises(usage.UsageError, match=complaint):
        parse(*args)


def test_a_systemd_listener_without_systemd_says_what_is_missing(monkeypatch):
    """--listen systemd:... outside socket activation names the missing socket, not an index."""
    monkeypatch.delenv("LISTEN_FDS", raising=False)
    with pytest.raises(usage.UsageError, match="systemd passed no such socket"):
        parse("--listen", "systemd:domain=INET6:index=0")


def test_listeners_say_which_options_asked_for_them():
    """Each endpoint comes with the options as typed, to name the culprit if listening fails."""
    assert parse("-p", "4000").listeners() == [("tcp:4000:backlog=1024", "--port 4000")]
    assert parse("-i", "::1").listeners() == [
        ("tcp6:33000:interface=\\:\\:1:backlog=1024", "--interface ::1 --port 33000")
    ]
    assert parse("--listen", "tcp:1", "--listen", "unix:/tmp/s").listeners() == [
        ("tcp:1", "--listen 'tcp:1'"),
        ("unix:/tmp/s", "--listen 'unix:/tmp/s'"),
    ]


def test_as_twistds_subcommand_a_refusal_exits_with_one_line(monkeypatch):
    """Under twistd (a parent) a usage error is a SystemExit whose message is one line."""
    monkeypatch.setattr("sys.argv", ["twistd", "chatd"])
    options = Options()
    options.parent = usage.Options()
    with pytest.raises(SystemExit) as raised:
        options.parseOptions(["--port", "nope"])
    assert raised.value.code == (
        "chatd: --port wants a whole number, not 'nope' (see twistd chatd --help)"
    )


def test_version_shows_chatds_version_and_exits(capsys):
    """--version prints chatd's version with Twisted's and Python's and exits 0."""
    with pytest.raises(SystemExit) as raised:
        parse("--version")
    assert raised.value.code == 0
    printed = capsys.readouterr().out
    assert printed == version_line() + "\n"
    assert printed.startswith(f"chatd {chatd.__version__} (Twisted {twisted_version}, ")


def test_motd_lines_are_cleaned(tmp_path):
    """MOTD lines are decoded leniently and stripped of escapes like any relayed text."""
    motd = tmp_path / "motd.txt"
    motd.write_bytes(b"Welcome to \x1b[1mour\x1b[0m server\r\nbe nice\t!\n\xff\n")
    assert parse("--motd", str(motd))["motd-lines"] == (
        "Welcome to our server",
        "be nice !",
        "\ufffd",
    )


def test_make_service_has_one_listener_per_endpoint():
    """makeService builds a ChatService whose children listen on each endpoint."""
    chat = makeService(parse("--listen", "tcp:0", "--listen", "tcp6:0:interface=\\:\\:1"))
    assert isinstance(chat, ChatService)
    listeners = list(chat)
    assert len(listeners) == 2
    assert all(isinstance(listener, StreamServerEndpointService) for listener in listeners)
    assert [listener.source for listener in listeners] == [
        "--listen 'tcp:0'",
        "--listen 'tcp6:0:interface=\\\\:\\\\:1'",
    ]
    assert all(listener.factory is chat.doors[0] for listener in listeners)


def test_the_daemon_keeps_start_up_objects_out_of_full_collections():
    """Short full collections matter with thousands online (see ChatService)."""
    assert makeService(parse("--listen", "tcp:0")).freeze_startup_objects


def test_plugin_declares_the_chatd_service_maker():
    """The twistd plugin file names the chatd tap module and nothing heavier."""
    plugin_path = Path(__file__).resolve().parents[1] / "twisted" / "plugins" / "chatd_plugin.py"
    spec = importlib.util.spec_from_file_location("chatd_plugin_under_test", plugin_path)
    plugin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plugin)
    assert plugin.chatd.tapname == "chatd"
    assert plugin.chatd.module == "chatd.tap"


def test_make_service_reloads_its_own_options_on_sighup(tmp_path):
    """The service makeService builds reloads the options it was made from, into its hub."""
    path = tmp_path / "chatd.toml"
    path.write_text("max-clients = 500\n")
    chat = makeService(parse("--port", "0", "--config", str(path)))
    path.write_text("max-clients = 400\n")
    chat.reload()
    assert chat.hub.limits.max_clients == 400


def test_command_line_values_are_recorded_as_given():
    """command_line holds what was typed (by long name, through short and prefix forms)."""
    options = parse("-p", "33000", "--max-cl", "10000", "--log-messages")
    assert options.command_line == {"port": 33000, "max-clients": 10000, "log-messages": 1}
