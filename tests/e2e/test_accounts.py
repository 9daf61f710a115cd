"""Accounts and moderation through the installed daemon, as the README tells a newcomer to use
them: register, log in again, a wrong password, operators from the config file, a kick seen by
the others, /whois with and without operator powers, and a ban that survives a restart."""

from __future__ import annotations

import signal

from installed_daemon import PROMPT

LOCAL = "interface=127.0.0.1"
PASSWORD = "s3cret-Horse-91"
WRONG = "wr0ng-Horse-17"
ASK = "* alice is registered: please enter its password"


def line_starting(peer, prefix: str) -> str:
    """The next line that starts with ``prefix`` (those before it are skipped)."""
    for _ in range(50):
        line = peer.next_line()
        if line.startswith(prefix):
            return line
    raise AssertionError(f"no line starting {prefix!r}")


def start(daemon, *extra):
    server = daemon("chatd", "--listen", f"tcp:0:{LOCAL}", *extra)
    (port,) = server.ports()
    return server, port


def register(peer, name: str = "alice") -> None:
    peer.join(name)
    peer.send(f"/register {PASSWORD}")
    peer.expect(f"* {name} is now registered")


def log_in(peer, name: str = "alice") -> None:
    peer.expect_prompt()
    peer.send(name)
    assert peer.next_line() == f"* {name} is registered: please enter its password"
    peer.send(PASSWORD)
    assert peer.next_line() == peer.welcome(name)


def test_register_leave_and_log_in_again(daemon, peers, tmp_path):
    """A registered name asks for its password when chosen again; a wrong one is refused and the
    prompt comes back; the right one logs in.  No password ever reaches the log."""
    server, port = start(daemon, "--db", str(tmp_path / "chat.db"))
    alice = peers(port)
    register(alice)
    alice.send("<quit>")
    alice.expect_eof()
    again = peers(port)
    again.expect_prompt()
    again.send("alice")
    assert again.next_line() == ASK
    again.send(WRONG)
    assert again.lines(2) == ["! wrong password for alice", PROMPT]
    again.send("alice")
    assert again.next_line() == ASK
    again.send(PASSWORD)
    assert again.next_line() == again.welcome("alice")
    again.send(f"/password {PASSWORD} {WRONG}x")
    again.expect("* The password of alice is changed")
    server.wait_for_log("failed login to alice from 127.0.1.")
    server.wait_for_log("password of alice changed")
    log = server.log()
    assert PASSWORD not in log and WRONG not in log


def test_operators_kick_and_whois(daemon, peers, tmp_path):
    """An operator named in the config file kicks a user, whom the others see kicked; /whois
    shows the address to the operator only."""
    config = tmp_path / "chatd.toml"
    config.write_text('operators = ["alice"]\n')
    _, port = start(daemon, "--db", ":memory:", "--config", str(config))
    alice, bob, carol = peers(port), peers(port, source="127.0.2.2"), peers(port)
    register(alice)
    bob.join("bob")
    carol.join("carol")
    bob.send("/whois alice")
    whois = line_starting(bob, "* alice: ")
    assert "door nc" in whois and "registered, operator" in whois and "address" not in whois
    alice.send("/whois bob")
    assert line_starting(alice, "* bob: ").endswith(", door nc, address 127.0.2.2")
    carol.send("/kick bob")
    assert carol.next_line() == "! permission denied: /kick is for operators"
    alice.send("/kick bob spamming")
    assert bob.expect_eof().decode().endswith("! you were kicked by alice (spamming)\r\n")
    carol.expect("* bob was kicked by alice (spamming)")
    alice.expect("* bob was kicked by alice (spamming)")


def test_a_ban_survives_a_restart(daemon, peers, tmp_path):
    """An address banned and a name banned stay banned after a restart, and so does the
    operator's account; /unban lifts the ban."""
    db = str(tmp_path / "chat.db")
    server, port = start(daemon, "--db", db, "--operators", "alice")
    alice = peers(port)
    register(alice)
    mallory = peers(port, source="127.0.3.3")
    mallory.join("mallory")
    alice.send("/ban mallory 1d spam")
    line_starting(alice, "* Banned mallory and the address 127.0.3.3 until ")
    assert mallory.expect_eof().decode().endswith("! you are banned from this server (spam)\r\n")
    alice.send("/ban 127.0.4.0/24")
    alice.expect("* Banned 127.0.4.0/24 for good")
    server.signal(signal.SIGTERM)
    assert server.wait_exit() == -signal.SIGTERM
    server, port = start(daemon, "--db", db, "--operators", "alice")
    again = peers(port, source="127.0.3.3")
    assert again.expect_eof() == b"! you are banned from this server (spam)\r\n"
    other = peers(port, source="127.0.4.200")
    assert other.expect_eof() == b"! you are banned from this server\r\n"
    elsewhere = peers(port)
    elsewhere.expect_prompt()
    elsewhere.send("mallory")
    assert elsewhere.next_line() == "! mallory is banned"
    alice = peers(port)
    log_in(alice)
    alice.send("/bans")
    listing = line_starting(alice, "* Bans (2):")
    assert listing == "* Bans (2):"
    assert alice.next_line().startswith("* mallory (address 127.0.3.3): banned by alice on ")
    assert alice.next_line().startswith("* 127.0.4.0/24: banned by alice on ")
    alice.send("/unban 127.0.4.0/24")
    alice.expect("* Lifted the ban of 127.0.4.0/24")
    peers(port, source="127.0.4.200").expect_prompt()
