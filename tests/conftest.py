"""Fixtures shared by every test layer: log capture and a throwaway TLS certificate."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from tls_files import TLSFiles, make_tls_files
from twisted.logger import LogLevel, globalLogPublisher

# The installed daemon and nc-style peers as fixtures, for tests/e2e and tests/client alike, and
# a redis-server of each test's own for the cluster's tests
# (tests/ is on sys.path through pyproject's ``pythonpath``).
pytest_plugins = ["installed_daemon", "redis_server"]


@dataclass
class LogCapture:
    """Every log event emitted while a test runs."""

    events: list[dict]

    def errors(self) -> list[dict]:
        """Events that report an unhandled error or a failure."""
        serious = (LogLevel.error, LogLevel.critical)
        return [
            event
            for event in self.events
            if event.get("isError") or "log_failure" in event or event.get("log_level") in serious
        ]

    def formatted(self) -> list[str]:
        from twisted.logger import formatEvent

        return [formatEvent(event) for event in self.events]


@pytest.fixture
def log_capture():
    """Collect log events; fail the test if any of them is an unhandled error."""
    captured = LogCapture([])
    globalLogPublisher.addObserver(captured.events.append)
    try:
        yield captured
    finally:
        globalLogPublisher.removeObserver(captured.events.append)
    assert captured.errors() == [], "unexpected errors were logged"


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory) -> TLSFiles:
    """A fresh self-signed certificate for 127.0.0.1 and localhost, with its private key."""
    return make_tls_files(tmp_path_factory.mktemp("tls"))
