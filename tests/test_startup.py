"""Start-up failures: one line that names the option and its value, and twistd's exit status."""

from __future__ import annotations

import socket

import pytest
from twisted.internet import defer
from twisted.internet.error import CannotListenError
from twisted.internet.protocol import Factory
from twisted.logger import LogLevel, formatEvent, globalLogPublisher
from twisted.python import usage

from chatd import startup
from chatd.startup import CannotStart, Listener, help_command, usage_failure


class RefusingEndpoint:
    """A server endpoint whose listen() fails the way a busy port or a bad address does."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def listen(self, factory):
        return defer.fail(self.error)


class ListeningEndpoint:
    """A server endpoint whose listen() succeeds."""

    def listen(self, factory):
        return defer.succeed(object())


@pytest.fixture
def logged():
    """The events logged while the test runs."""
    events: list[dict] = []
    globalLogPublisher.addObserver(events.append)
    yield events
    globalLogPublisher.removeObserver(events.append)


def busy(port: int) -> CannotListenError:
    error = OSError(98, "Address already in use")
    return CannotListenError("", port, error)


def test_a_busy_port_is_one_critical_line_naming_the_option(logged, monkeypatch):
    """A port in use is logged once, naming the option, the reason and where help is."""
    monkeypatch.setattr("sys.argv", ["twistd", "-n", "chatd"])
    listener = Listener(RefusingEndpoint(busy(4000)), Factory(), "--port 4000")
    with pytest.raises(CannotStart) as raised:
        listener.privilegedStartService()
    assert raised.value.code == 1
    assert str(raised.value) == "chatd: cannot listen on --port 4000: address already in use"
    critical = [event for event in logged if event["log_level"] == LogLevel.critical]
    assert [formatEvent(event) for event in critical] == [
        "chatd: cannot listen on --port 4000: address already in use (see twistd chatd --help)"
    ]


def test_an_unknown_address_reads_as_words():
    """A resolver failure is reported by its text, not as an exception's repr."""
    error = CannotListenError("999.1.1.1", 0, socket.gaierror(-2, "Name or service not known"))
    listener = Listener(RefusingEndpoint(error), Factory(), "--interface 999.1.1.1 --port 0")
    with pytest.raises(CannotStart, match=r"999\.1\.1\.1 --port 0: name or service not known$"):
        listener.startService()  # startService listens too when nothing privileged did


def test_cannot_start_is_an_exit_that_twistd_still_cleans_up_after():
    """It ends Python without a traceback, and twistd's ``except Exception`` still cleans up."""
    assert issubclass(CannotStart, SystemExit)
    assert issubclass(CannotStart, Exception)


def test_other_failures_keep_their_traceback():
    """Only failures to listen are translated; a bug stays visible as itself."""
    listener = Listener(RefusingEndpoint(ZeroDivisionError()), Factory(), "--port 1")
    with pytest.raises(ZeroDivisionError):
        listener.privilegedStartService()


def test_a_listener_that_can_listen_just_listens():
    """Nothing is logged or raised when the endpoint listens."""
    listener = Listener(ListeningEndpoint(), Factory(), "--port 1")
    listener.privilegedStartService()
    assert listener._waitingForPort.called


def test_usage_failure_is_one_line_without_twisteds_prefix(monkeypatch):
    """A refused value loses usage's "Parameter type enforcement failed" and gains the hint."""
    monkeypatch.setattr("sys.argv", ["twistd"])
    error = usage.UsageError("Parameter type enforcement failed: --port wants a whole number")
    assert usage_failure(error).code == (
        "chatd: --port wants a whole number (see twistd chatd --help)"
    )


@pytest.mark.parametrize(
    "argv0, on_path, hint",
    [
        (".venv/bin/twistd", None, ".venv/bin/twistd chatd --help"),
        ("/srv/chat env/bin/twistd", None, "'/srv/chat env/bin/twistd' chatd --help"),
        ("/usr/bin/twistd", "/usr/bin/twistd", "twistd chatd --help"),
        ("/usr/lib/python3/twisted/__main__.py", None, "twistd chatd --help"),
        (".venv/bin/chatd", None, ".venv/bin/chatd --help"),
        ("/home/ann/.local/bin/chatd", "/home/ann/.local/bin/chatd", "chatd --help"),
    ],
    ids=["relative", "quoted", "on-path", "python-m", "chatd-relative", "chatd-on-path"],
)
def test_the_hint_is_the_command_as_it_was_typed(monkeypatch, argv0, on_path, hint):
    """The help hint repeats the twistd (or the chatd command) that was run, so it can be
    pasted back as is."""
    monkeypatch.setattr("sys.argv", [argv0, "chatd"])
    monkeypatch.setattr(startup.shutil, "which", lambda name: on_path)
    assert help_command() == hint
