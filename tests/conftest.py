"""Fixtures shared by every test layer: log capture and a throwaway TLS certificate."""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

import pytest
from twisted.logger import LogLevel, globalLogPublisher

# The installed daemon and nc-style peers as fixtures, for tests/e2e and tests/client alike
# (tests/ is on sys.path through pyproject's ``pythonpath``).
pytest_plugins = ["installed_daemon"]


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


@dataclass(frozen=True)
class TLSFiles:
    key: Path
    cert: Path


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory) -> TLSFiles:
    """A fresh self-signed certificate for 127.0.0.1 and localhost, with its private key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    files = TLSFiles(key=folder / "key.pem", cert=folder / "cert.pem")
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return files
