"""TLS through an ``ssl:`` endpoint description, next to plain TCP in the same service."""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet.ssl import Certificate, optionsForClientTLS


@pytest.fixture
def tls_client_options(tls_files):
    """Client TLS options that trust only the test's self-signed certificate."""
    trust = Certificate.loadPEM(tls_files.cert.read_bytes())
    return optionsForClientTLS("localhost", trustRoot=trust)


@pytest_twisted.ensureDeferred
async def test_tls_client_chats_with_plain_client(
    start_chat, connect, joiner, tls_files, tls_client_options, log_capture
):
    """A verified TLS client on an ssl: listener and a TCP client on a second listener chat."""
    chat = await start_chat(
        "--listen",
        f"ssl:0:interface=127.0.0.1:privateKey={tls_files.key}:certKey={tls_files.cert}",
        "--listen",
        "tcp:0:interface=127.0.0.1",
    )
    tls_port, tcp_port = chat.ports
    assert tls_port != tcp_port

    secure = await connect(tls_port, "secure", b"\r\n", tls=tls_client_options)
    await secure.expect("* Please enter a username:")
    # The prompt arrived through TLS, so the handshake completed; check it was our certificate.
    served = Certificate.peerFromTransport(secure.transport)
    assert served.digest() == Certificate.loadPEM(tls_files.cert.read_bytes()).digest()
    secure.send("alice")
    await secure.expect("* Welcome alice! If you ever want to quit, type <quit> to exit.")
    await secure.expect("* Online (1): alice")

    plain = await joiner(tcp_port, "bob")
    await secure.expect("* bob has joined the chat")
    secure.send("hello over tls")
    await plain.expect("alice: hello over tls")
    plain.send("hello in the clear")
    await secure.expect("bob: hello in the clear")
    secure.send("<quit>")
    await secure.expect("* Goodbye alice!")
    await secure.wait_closed()
    await plain.expect("* alice has left the chat")
    assert plain.lines == [
        "* Please enter a username:",
        "* Welcome bob! If you ever want to quit, type <quit> to exit.",
        "* Online (2): alice, bob",
        "alice: hello over tls",
        "* alice has left the chat",
    ]


@pytest_twisted.ensureDeferred
async def test_plain_bytes_on_the_tls_port_get_no_chat(
    start_chat, connect, joiner, tls_files, log_capture
):
    """A plain-text client on the TLS port never reaches the hub, and the service keeps serving."""
    chat = await start_chat(
        "--listen",
        f"ssl:0:interface=127.0.0.1:privateKey={tls_files.key}:certKey={tls_files.cert}",
        "--listen",
        "tcp:0:interface=127.0.0.1",
    )
    tls_port, tcp_port = chat.ports
    bob = await joiner(tcp_port, "bob")
    confused = await connect(tls_port, "confused")
    confused.send("alice", "hello?")
    await confused.wait_closed()
    assert not any(line.startswith("* ") for line in confused.lines)
    bob.send("/who")
    await bob.expect("* Online (1): bob")
    assert "* alice has joined the chat" not in bob.lines
