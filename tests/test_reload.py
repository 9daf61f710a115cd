"""Reloading: SIGHUP re-reads the files and applies, or reports, each change without a restart."""

from __future__ import annotations

import os
import signal

import pytest
from twisted.internet import task
from twisted.logger import formatEvent

from chatd.core.hub import Hub
from chatd.reload import Reloader
from chatd.service import ChatService
from chatd.tap import Options


class Setup:
    """Options parsed from a config file in a scratch directory, a hub built from them, and the
    reloader between them."""

    def __init__(self, folder, text: str, *args: str) -> None:
        self.path = folder / "chatd.toml"
        self.path.write_text(text)
        self.options = Options()
        self.options.parseOptions(["--config", str(self.path), *args])
        self.hub = Hub(
            clock=task.Clock(),
            limits=self.options.limits(),
            motd=self.options["motd-lines"],
            operators=self.options.operators(),
        )
        self.reloader = Reloader(self.options, self.hub)

    def reload(self, text: str) -> None:
        self.path.write_text(text)
        self.reloader.reload()


@pytest.fixture
def setup(tmp_path):
    return lambda text, *args: Setup(tmp_path, text, *args)


def said(log_capture) -> list[str]:
    return [formatEvent(event) for event in log_capture.events]


def test_live_limits_are_applied_and_each_change_logged(setup, log_capture):
    """max-clients and idle-timeout reach the hub; each change is one line with old and new."""
    chat = setup("max-clients = 500\n")
    chat.reload("max-clients = 400\nidle-timeout = 30\n")
    assert chat.hub.limits.max_clients == 400 and chat.hub.limits.idle_timeout == 30
    lines = said(log_capture)
    assert "max-clients changed from 500 to 400" in lines
    assert "idle-timeout changed from 0.0 to 30.0" in lines


def test_per_connection_limits_say_they_apply_to_new_connections(setup, log_capture):
    """A change the doors read at connect time is logged as applying to new connections."""
    chat = setup("")
    chat.reload("rate = 1\n")
    assert chat.hub.limits.rate == 1
    assert "rate changed from 5.0 to 1.0 (applies to new connections)" in said(log_capture)


def test_a_new_motd_file_text_is_reloaded(setup, tmp_path, log_capture):
    """The MOTD file is read again even when the config file did not change."""
    motd = tmp_path / "motd.txt"
    motd.write_text("old\n")
    chat = setup('motd = "motd.txt"\n')
    motd.write_text("new\nlines\n")
    chat.reload('motd = "motd.txt"\n')
    assert [event.text for event in chat.hub._motd] == ["new", "lines"]
    assert "message of the day changed (2 lines)" in said(log_capture)


def test_log_messages_is_switched_live(setup, log_capture):
    """log-messages = true in the reloaded file turns message logging on."""
    chat = setup("")
    chat.reload("log-messages = true\n")
    assert chat.hub._log_messages is True
    assert "log-messages changed to on" in said(log_capture)


def test_listener_and_history_changes_are_reported_not_applied(setup, log_capture):
    """port, listen and history need a restart: each gets one line, and none is applied."""
    chat = setup("port = 4000\nhistory = 5\n")
    chat.reload('port = 4001\nhistory = 6\nlisten = ["tcp:9"]\n')
    lines = said(log_capture)
    for option in ("port", "history", "listen"):
        assert f"{option} changed in {chat.path}; restart chatd to apply it" in lines
    assert chat.reloader.running.endpoints() == ["tcp:4000:backlog=1024"]
    log_capture.events.clear()
    chat.reload('port = 4001\nhistory = 6\nlisten = ["tcp:9"]\n')
    assert f"port changed in {chat.path}; restart chatd to apply it" in said(log_capture)


def test_a_broken_file_changes_nothing_and_says_why_once(setup, log_capture):
    """A file that no longer parses leaves every setting as it was, with one error line."""
    chat = setup("max-clients = 500\n")
    before = chat.hub.limits
    chat.reload("max-clients = 400\nrate = oops\n")
    assert chat.hub.limits == before
    errors = log_capture.errors()
    assert len(errors) == 1
    assert formatEvent(errors[0]).startswith(
        f"reload failed, keeping the running settings: {chat.path}: not valid TOML"
    )
    log_capture.events.remove(errors[0])
    chat.reload("max-clients = 0\n")
    (error,) = log_capture.errors()
    assert formatEvent(error).endswith("max-clients must be at least 1, not 0")
    log_capture.events.remove(error)
    assert chat.hub.limits == before


def test_the_command_line_still_beats_the_file_on_reload(setup, log_capture):
    """A limit given on the command line is not changed by the reloaded file."""
    chat = setup("", "--max-clients", "7")
    chat.reload("max-clients = 400\n")
    assert chat.hub.limits.max_clients == 7
    assert "reloaded: nothing changed" in said(log_capture)


def test_max_clients_is_fitted_to_the_open_file_limit(setup, monkeypatch):
    """A raised max-clients goes through the open-file fit, as at start-up."""
    monkeypatch.setattr("chatd.reload.fit_open_files", lambda wanted: min(wanted, 900))
    chat = setup("max-clients = 500\n")
    chat.reload("max-clients = 5000\n")
    assert chat.hub.limits.max_clients == 900


# SIGHUP


class ThreadlessReactor(task.Clock):
    """A clock whose callFromThread queues calls for the test to run, as the reactor would."""

    def __init__(self) -> None:
        super().__init__()
        self.queued: list = []

    def callFromThread(self, function, *args) -> None:
        self.queued.append((function, args))

    def run_queued(self) -> None:
        for function, args in self.queued:
            function(*args)
        self.queued.clear()


def test_sighup_reloads_in_the_reactor_and_stopping_restores_the_handler():
    """While running, SIGHUP queues a reload for the reactor; after stopping, the old handler
    is back."""
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    reloads: list[None] = []
    reactor = ThreadlessReactor()
    chat = ChatService(Hub(clock=reactor), [], reactor=reactor, reload=lambda: reloads.append(None))
    try:
        chat.startService()
        os.kill(os.getpid(), signal.SIGHUP)
        assert reloads == []  # not in the signal handler itself
        reactor.run_queued()
        assert reloads == [None]
        chat.stopService()
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_without_a_reload_the_service_leaves_sighup_alone():
    """A ChatService built without reload installs no SIGHUP handler."""
    before = signal.getsignal(signal.SIGHUP)
    reactor = ThreadlessReactor()
    chat = ChatService(Hub(clock=reactor), [], reactor=reactor)
    chat.startService()
    assert signal.getsignal(signal.SIGHUP) == before
    chat.stopService()


def test_the_handler_is_in_place_before_the_listeners_open():
    """privilegedStartService (where twistd opens ports) installs the SIGHUP handler first."""
    previous = signal.getsignal(signal.SIGHUP)
    reactor = ThreadlessReactor()
    chat = ChatService(Hub(clock=reactor), [], reactor=reactor, reload=lambda: None)
    try:
        chat.privilegedStartService()
        assert signal.getsignal(signal.SIGHUP) == chat._hangup
        chat.startService()
        chat.stopService()
        assert signal.getsignal(signal.SIGHUP) == previous
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_the_operator_list_reloads(setup, log_capture):
    """A changed operator list (a TOML list or a string) reaches the hub at once, in one line;
    a list that stays the same changes nothing."""
    chat = setup('operators = ["alice"]\n')
    assert chat.hub.operators == frozenset({"alice"})
    chat.reload('operators = "Alice, bob"\n')
    assert chat.hub.operators == frozenset({"alice", "bob"})
    assert said(log_capture)[-1] == "operators changed to Alice, bob"
    chat.reload('operators = ["alice", "BOB"]\n')
    assert said(log_capture)[-1] == "reloaded: nothing changed"
    chat.reload("")
    assert chat.hub.operators == frozenset()
    assert said(log_capture)[-1] == "operators changed to none"


def test_a_bad_operator_name_is_refused(setup, log_capture):
    """An operator name that breaks the username rules fails the reload, naming the file."""
    chat = setup('operators = ["alice"]\n')
    chat.reload('operators = ["bad:name"]\n')
    assert chat.hub.operators == frozenset({"alice"})
    (error,) = log_capture.errors()
    assert formatEvent(error).startswith("reload failed, keeping the running settings: operators")
    assert "a username may contain only" in formatEvent(error)
    log_capture.events.remove(error)
