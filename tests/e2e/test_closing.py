"""Closes the installed daemon starts always finish: slots and descriptors come back.

A TLS peer that never sends its hello, and a peer whose receive window is shut, used to hold
their connections for ever after chatd had decided to close them.
"""

from __future__ import annotations

import os
import socket
import ssl
import time

LOCAL = "interface=127.0.0.1"


# The daemons below keep history in memory: the database's writer thread opens its files when it
# first writes, which would count as descriptors that did not come back.


def open_descriptors(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def closed_by_server(sock: socket.socket, timeout: float) -> bool:
    """Whether the server closed ``sock`` (FIN or RST) within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            if not sock.recv(65536):
                return True
        except TimeoutError:
            return False
        except ConnectionResetError:
            return True
    return False


def warm_up(port: int) -> None:
    """One connection that comes and goes, so descriptors the reactor opens once are counted."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.close()
    time.sleep(0.2)


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_silent_tls_connections_free_their_slots_after_the_handshake_timeout(
    daemon, peers, tls_files
):
    """A full server of TLS sockets that never say hello is serving again after the timeout."""
    server = daemon(
        "chatd", "--db", ":memory:", "--max-clients", "4", "--handshake-timeout", "1",
        "--listen", f"ssl:0:{LOCAL}:privateKey={tls_files.key}:certKey={tls_files.cert}",
    )  # fmt: skip
    (port,) = server.ports()
    pid = server.process.pid
    warm_up(port)
    before = open_descriptors(pid)
    silent = [socket.create_connection(("127.0.0.1", port)) for _ in range(4)]
    server.wait_for_log("chose no username in time", count=4)
    assert all(closed_by_server(sock, timeout=3) for sock in silent)
    for sock in silent:
        sock.close()
    assert wait_for(lambda: open_descriptors(pid) <= before, timeout=3)

    context = ssl.create_default_context(cafile=str(tls_files.cert))
    user = peers(port, wrap=lambda sock: context.wrap_socket(sock, server_hostname="localhost"))
    assert user.join("tess") == "* Online (1): tess"


def test_refused_tls_connections_are_closed_at_once(daemon, peers, tls_files):
    """Connections refused for their address, still before the TLS handshake, do not linger."""
    server = daemon(
        "chatd", "--db", ":memory:", "--max-per-ip", "2",
        "--listen", f"ssl:0:{LOCAL}:privateKey={tls_files.key}:certKey={tls_files.cert}",
        "--listen", f"tcp:0:{LOCAL}",
    )  # fmt: skip
    tls_port, tcp_port = server.ports(2)
    pid = server.process.pid
    warm_up(tls_port)
    before = open_descriptors(pid)
    held = [socket.create_connection(("127.0.0.1", tls_port)) for _ in range(2)]
    refused = [socket.create_connection(("127.0.0.1", tls_port)) for _ in range(40)]
    assert all(closed_by_server(sock, timeout=3) for sock in refused)
    for sock in refused:
        sock.close()
    assert wait_for(lambda: open_descriptors(pid) <= before + len(held), timeout=3)
    other = socket.create_connection(("127.0.0.1", tcp_port), source_address=("127.0.0.2", 0))
    other.settimeout(5)
    assert other.recv(100).startswith(b"* Please enter a username:")
    for sock in [*held, other]:
        sock.close()


def test_a_user_who_stopped_reading_and_quit_is_closed_within_the_linger(daemon, peers):
    """With output pending to a shut window, a <quit> still ends the connection in bounded time."""
    server = daemon(
        "chatd", "--db", ":memory:", "--listen", f"tcp:0:{LOCAL}", "--rate", "0",
        "--max-send-buffer", "100000000",
    )  # fmt: skip
    (port,) = server.ports()
    pid = server.process.pid
    stuck = socket.socket()
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stuck.connect(("127.0.0.1", port))
    stuck.sendall(b"stuck\n")
    talker = peers(port)
    talker.join("talker")
    before = open_descriptors(pid)
    line = "x" * 4000
    for _ in range(20):
        talker.send(*[line] * 50)  # 4 MB: more than the kernel buffers between them hold
    talker.send("/who")
    talker.expect("* Online (2): stuck, talker")  # the server has read the flood
    stuck.sendall(b"<quit>\n")
    talker.expect("* stuck has left the chat")
    server.wait_for_log(r"connection from 127\.0\.[01]\.\d+:\d+ closed", count=1)
    assert wait_for(lambda: open_descriptors(pid) < before, timeout=3)
    stuck.close()
