"""The installed chatd-client over TLS, against a daemon presenting the test certificate."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import pytest_twisted
from twisted.internet import defer

WELCOME = "* Welcome {}! If you ever want to quit, type <quit> to exit."


def certificate_for(name: str, folder: Path, alt_name: bool = True) -> tuple[Path, Path]:
    """A self-signed certificate for ``name``, and its key, written into ``folder``.

    Without ``alt_name`` the name is only the subject's common name, as
    ``openssl req -x509 -subj /CN=NAME`` makes it, and no subjectAltName says which host it is for.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
    )
    if alt_name:
        san = x509.SubjectAlternativeName([x509.DNSName(name)])
        builder = builder.add_extension(san, critical=False)
    cert = builder.sign(key, hashes.SHA256())
    key_file, cert_file = folder / "key.pem", folder / "cert.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


def tls_listen(key, cert) -> str:
    """The endpoint description of a TLS listener on 127.0.0.1 with this key and certificate."""
    return f"ssl:0:interface=127.0.0.1:privateKey={key}:certKey={cert}"


@pytest.fixture(scope="module")
def tls_port(module_daemon, tls_files):
    """The port of a daemon with one TLS listener on 127.0.0.1."""
    listen = tls_listen(tls_files.key, tls_files.cert)
    return module_daemon("chatd", "--listen", listen, "--history", "0").ports()[0]


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_tls_with_the_test_certificate_as_ca(tls_port, tls_files, run_client, host):
    """With --ca the client verifies the server (by name or by IP address) and chats."""
    done = run_client(
        host, "-p", str(tls_port), "--ca", str(tls_files.cert), "-n", "tess", input=b"hi\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().splitlines()[1] == WELCOME.format("tess")
    assert done.stderr == b""


def test_tls_without_the_ca_fails_clearly(tls_port, run_client):
    """Against an untrusted certificate the client prints one TLS line and exits 1."""
    done = run_client("localhost", "-p", str(tls_port), "--tls", "-n", "tess")
    assert done.returncode == 1
    assert done.stderr.decode() == (
        f"chatd-client: cannot connect to localhost:{tls_port}: "
        "TLS handshake failed: certificate verify failed\n"
    )
    assert done.stdout == b""


def test_tls_certificate_for_another_name(daemon, tmp_path, run_client):
    """A trusted certificate that does not name the host is refused, saying so."""
    key, cert = certificate_for("elsewhere.example", tmp_path)
    server = daemon("chatd", "--listen", tls_listen(key, cert))
    (port,) = server.ports()
    done = run_client("127.0.0.1", "-p", str(port), "--ca", str(cert), "-n", "tess")
    assert done.returncode == 1
    assert done.stderr.decode() == (
        f"chatd-client: cannot connect to 127.0.0.1:{port}: "
        "TLS handshake failed: the server's certificate is not valid for 127.0.0.1\n"
    )


def test_tls_certificate_without_alt_names_is_refused(daemon, tmp_path, run_client):
    """A certificate naming its host only in its common name is refused, in one clean line."""
    # Twisted's own check would log a traceback and let this connection through unchecked.
    key, cert = certificate_for("localhost", tmp_path, alt_name=False)
    server = daemon("chatd", "--listen", tls_listen(key, cert))
    (port,) = server.ports()
    done = run_client("localhost", "-p", str(port), "--ca", str(cert), "-n", "tess")
    assert done.returncode == 1
    assert done.stderr.decode() == (
        f"chatd-client: cannot connect to localhost:{port}: TLS handshake failed: "
        "the server's certificate names no host (no subjectAltName)\n"
    )
    assert done.stdout == b""


def test_insecure_skips_verification_and_says_so(tls_port, run_client):
    """--insecure connects to the untrusted server and warns on stderr that nothing is checked."""
    done = run_client("localhost", "-p", str(tls_port), "--insecure", "-n", "ivy", input=b"x\n")
    assert done.returncode == 0, done.stderr
    assert done.stderr.decode() == (
        "chatd-client: --insecure: the server's certificate is not checked\n"
    )
    assert WELCOME.format("ivy") in done.stdout.decode().splitlines()


def test_tls_client_on_a_plain_port(server_port, tls_files, run_client):
    """Speaking TLS to a plain TCP port fails as a TLS handshake, in one line."""
    done = run_client("localhost", "-p", str(server_port), "--ca", str(tls_files.cert))
    assert done.returncode == 1
    assert "TLS handshake failed" in done.stderr.decode()
    assert "Traceback" not in done.stderr.decode()


class RecordingFace:
    """A face for ``_chat`` with nobody at it: remembers lines and notes, and when they came."""

    interactive = False

    def __init__(self) -> None:
        self.client = None
        self.lines: list[str] = []
        self.notes: list[tuple[str, bool]] = []

    def attach(self, client) -> None:
        self.client = client

    def show_line(self, line) -> None:
        self.lines.append(line.text)

    def show_note(self, text: str) -> None:
        self.notes.append((text, self.client.is_connected))
        self.client.give_up()  # seen what we came for; the real client goes on waiting


@pytest_twisted.ensureDeferred
async def test_a_plain_client_on_a_tls_port_suggests_tls(tls_port):
    """Against a TLS port a plain client hears nothing; after the delay it suggests --tls."""
    from twisted.internet import reactor

    from chatd.client.main import _chat
    from chatd.client.options import Options

    options = Options()
    options.parseOptions(["127.0.0.1", "-p", str(tls_port), "-n", "tess"])
    face = RecordingFace()
    status = await defer.ensureDeferred(_chat(reactor, options, face, False, 0.3)).addTimeout(
        10, reactor
    )
    assert face.notes == [
        (
            f"chatd-client: no answer from 127.0.0.1:{tls_port} after 0.3 s; "
            "if it is a TLS port, try --tls",
            True,  # still connected: the hint does not give up on the server
        )
    ]
    assert face.lines == []
    assert status == (1, None)


@pytest_twisted.ensureDeferred
async def test_no_tls_hint_from_a_server_that_answers(server_port):
    """A chatd server prompts at once, so a plain client on a plain port never gets the hint."""
    from twisted.internet import reactor, task

    from chatd.client.main import _chat
    from chatd.client.options import Options

    options = Options()
    options.parseOptions(["127.0.0.1", "-p", str(server_port), "-n", "quiet"])
    face = RecordingFace()
    chatting = defer.ensureDeferred(_chat(reactor, options, face, False, 0.3))
    await task.deferLater(reactor, 1.0)
    assert face.notes == []
    assert "* Please enter a username:" in face.lines
    face.client.quit()
    assert await chatting.addTimeout(10, reactor) == (0, None)
