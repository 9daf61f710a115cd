"""The --config file: TOML keyed by long option name, checked as strictly as the command line."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from twisted.python import usage

from chatd.config import settings_of
from chatd.tap import Options

EXAMPLE = Path(__file__).parent.parent / "chatd.example.toml"


def parse(*args: str) -> Options:
    options = Options()
    options.parseOptions(list(args))
    return options


@pytest.fixture
def config(tmp_path):
    """``config(TEXT)`` writes chatd.toml in a scratch directory and returns its path."""

    def write(text: str, name: str = "chatd.toml") -> str:
        path = tmp_path / name
        path.write_text(text)
        return str(path)

    return write


def test_file_values_become_options(config):
    """Each key sets the option of the same long name, with the option's type."""
    options = parse(
        "--config",
        config(
            'port = 4000\ninterface = "127.0.0.1"\nmax-clients = 500\nrate = 2\n'
            "handshake-timeout = 7.5\nlog-messages = true\n"
        ),
    )
    assert options.endpoints() == ["tcp:4000:interface=127.0.0.1:backlog=1024"]
    assert options["max-clients"] == 500
    assert options.limits().rate == 2.0 and options.limits().handshake_timeout == 7.5
    assert options["log-messages"] is True


def test_listen_from_the_file_is_a_list_of_endpoints(config):
    """listen = [...] gives the endpoints, and names the key and file as their source."""
    path = config('listen = ["tcp:0", "tcp6:0"]\n')
    assert parse("--config", path).listeners() == [
        ("tcp:0", f"listen = 'tcp:0' in {path}"),
        ("tcp6:0", f"listen = 'tcp6:0' in {path}"),
    ]


def test_the_command_line_beats_the_file(config):
    """An option on the command line wins over the same key in the file, either side of it."""
    path = config("max-clients = 500\nhistory = 5\nlog-messages = true\n")
    options = parse("--max-clients", "7", "--config", path)
    assert options["max-clients"] == 7
    assert options["history"] == 5
    assert parse("--config", path, "--history", "9")["history"] == 9


def test_a_command_line_value_equal_to_the_default_still_wins(config):
    """--port 33000 given explicitly beats port = 4000 in the file, though 33000 is the default."""
    path = config("port = 4000\nmax-clients = 500\n")
    assert parse("--config", path, "--port", "33000").endpoints() == ["tcp:33000:backlog=1024"]
    assert parse("--config", path, "--max-clients=10000")["max-clients"] == 10000
    assert parse("--config", path, "-p", "33000")["port"] == 33000


def test_a_command_line_listener_replaces_the_files_listen_list(config):
    """--port, --interface or --listen on the command line choose the listeners as a whole."""
    path = config('listen = ["tcp:1"]\n')
    assert parse("--config", path, "--port", "5").endpoints() == ["tcp:5:backlog=1024"]
    assert parse("--config", path, "--listen", "tcp:6").endpoints() == ["tcp:6"]


def test_a_relative_motd_is_relative_to_the_config_file(tmp_path, config, monkeypatch):
    """motd = "motd.txt" reads the file beside chatd.toml, wherever chatd was started."""
    (tmp_path / "motd.txt").write_text("hello from the file\n")
    path = config('motd = "motd.txt"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert parse("--config", path)["motd-lines"] == ("hello from the file",)


@pytest.mark.parametrize(
    "text, complaint",
    [
        ("max-clients = 0", "chatd.toml: max-clients must be at least 1, not 0"),
        ("port = 70000", "chatd.toml: port must be at most 65535, not 70000"),
        ("rate = -1.5", "chatd.toml: rate must be at least 0, not -1.5"),
        ("rate = nan", "chatd.toml: rate must be at least 0, not nan"),
        ("max-client = 3", "chatd.toml: unknown key 'max-client'; did you mean 'max-clients'?"),
        ("zzz = 1", "chatd.toml: unknown key 'zzz'$"),
        ("config = 'other.toml'", "chatd.toml: unknown key 'config'"),
        ("[limits]\nrate = 1", "chatd.toml: unknown key 'limits'"),
        ('port = "4000"', "chatd.toml: port wants a whole number, not a string \\('4000'\\)"),
        ("max-clients = 1.5", "chatd.toml: max-clients wants a whole number, not a number"),
        ("max-clients = true", "chatd.toml: max-clients wants a whole number, not a boolean"),
        ("rate = true", "chatd.toml: rate wants a number, not a boolean \\(true\\)"),
        ("rate = [1]", "chatd.toml: rate wants a number, not a list"),
        ("interface = 1", "chatd.toml: interface wants a string, not a whole number \\(1\\)"),
        ("log-messages = 1", "chatd.toml: log-messages wants true or false, not a whole number"),
        ("log-messages = 'yes'", "chatd.toml: log-messages wants true or false, not a string"),
        ('listen = "tcp:1"', "chatd.toml: listen wants a list of strings"),
        ("listen = [1]", "chatd.toml: listen wants a list of strings"),
        ('listen = ["tcp:1", "tcp:1"]', "chatd.toml: listen names the same endpoint twice"),
        ('listen = ["bogus:1"]', "cannot listen on listen = 'bogus:1' in .*chatd.toml"),
        ('motd = "no-such-motd"', "chatd.toml: cannot read motd file: .*No such file"),
        ("port = ", "chatd.toml: not valid TOML: "),
        ("port = 1\nport = 2", "chatd.toml: not valid TOML: "),
    ],
)
def test_each_bad_file_is_one_usage_error_naming_the_key_and_file(config, text, complaint):
    """A wrong key, type or value is one line naming the file and the key (not the --option)."""
    with pytest.raises(usage.UsageError, match=complaint) as raised:
        parse("--config", config(text + "\n"))
    assert "\n" not in str(raised.value)


def test_a_missing_config_file_is_a_usage_error():
    """--config naming no file says so, like --motd does."""
    with pytest.raises(usage.UsageError, match=r"cannot read --config file: .*No such file"):
        parse("--config", "/no/such/chatd.toml")


def test_under_twistd_a_bad_file_is_the_one_line_start_up_error(config, monkeypatch):
    """As twistd's subcommand, the refusal reads chatd: FILE: KEY ... (see twistd chatd --help)."""
    monkeypatch.setattr("sys.argv", ["twistd", "chatd"])
    monkeypatch.chdir(Path(config("max-clients = 0\n")).parent)
    options = Options()
    options.parent = usage.Options()
    with pytest.raises(SystemExit) as raised:
        options.parseOptions(["--config", "chatd.toml"])
    assert raised.value.code == (
        "chatd: chatd.toml: max-clients must be at least 1, not 0 (see twistd chatd --help)"
    )


def test_reread_reads_the_files_again_and_keeps_the_command_line(config, tmp_path):
    """reread() sees the file's new values, and the command line still beats them."""
    motd = tmp_path / "motd.txt"
    motd.write_text("one\n")
    path = config("max-clients = 500\nhistory = 5\n")
    options = parse("--config", path, "--history", "9", "--motd", str(motd))
    config('max-clients = 600\nhistory = 6\nmotd = "ignored.txt"\n')
    motd.write_text("two\n")
    fresh = options.reread()
    assert (fresh["max-clients"], fresh["history"]) == (600, 9)
    assert fresh["motd-lines"] == ("two",)
    assert options["max-clients"] == 500  # the original is untouched


def test_reread_after_a_change_of_directory_reads_the_same_files(config, tmp_path, monkeypatch):
    """Relative --config and --motd paths are remembered as absolute (twistd may chdir)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "motd.txt").write_text("hi\n")
    config("max-clients = 500\n")
    options = parse("--config", "chatd.toml", "--motd", "motd.txt")
    monkeypatch.chdir("/")
    fresh = options.reread()
    assert fresh["max-clients"] == 500 and fresh["motd-lines"] == ("hi",)


def test_a_key_removed_from_the_file_goes_back_to_its_default(config):
    """reread() starts from the defaults: a deleted key is not stuck at its old value."""
    path = config("max-clients = 500\n")
    options = parse("--config", path)
    config("")
    assert options.reread()["max-clients"] == 10000


# The example file


def documented_options() -> dict[str, object]:
    """Every setting a config file may hold, with its default, from Options itself."""
    options = parse()
    return {name: options[name] for name in settings_of(options)}


def test_the_example_file_sets_every_option_to_its_default():
    """chatd.example.toml has a key for each option (motd commented out, as it has no default)
    and each value is the option's default, so adding an option without documenting it fails."""
    example = tomllib.loads(EXAMPLE.read_text())
    defaults = documented_options()
    for unset in ("motd", "metrics", "web", "redis", "redis-password-file", "node-name"):
        # no default: shown commented out
        assert defaults.pop(unset) is None
        assert f"\n# {unset} = " in EXAMPLE.read_text()
    assert set(example) == set(defaults)
    for name, default in defaults.items():
        assert example[name] == default, name
        assert type(example[name]) is type(default) or name == "log-messages", name


def test_the_example_file_explains_each_key():
    """Each key in chatd.example.toml comes right after a comment that explains it."""
    lines = EXAMPLE.read_text().splitlines()
    for number, line in enumerate(lines):
        if line and not line.startswith("#") and "=" in line:
            assert lines[number - 1].startswith("# "), f"{line!r} has no comment above it"


def test_the_example_file_is_a_valid_config():
    """chatd --config chatd.example.toml parses and changes nothing."""
    options = parse("--config", str(EXAMPLE))
    assert options.limits() == parse().limits()
    assert options.endpoints() == parse().endpoints()
