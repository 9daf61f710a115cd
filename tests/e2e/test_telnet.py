"""A real ``telnet`` client, driven in tmux: Ctrl-C must not leave its user typing blind.

After Ctrl-C, telnet sends ``IAC IP IAC DO TIMING-MARK`` and throws away everything the server
sends until the timing mark is answered.  These tests type into the real client and read its
screen; the raw-socket test shows the same exchange byte by byte.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time

import pytest

TOOLS = ("telnet", "tmux")
IAC, WONT, DO, IP, TIMING_MARK = 255, 252, 253, 244, 6


def require_tools() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        message = f"needs {' and '.join(missing)} (apt-get install telnet tmux)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs them: missing there is a broken setup
        pytest.skip(message)


class TmuxTelnet:
    """``telnet 127.0.0.1 PORT`` in a detached tmux session: keys in, screen out."""

    def __init__(self, port: int) -> None:
        self.session = f"chatd-telnet-{port}"
        # A tmux server of our own (-S, a socket in a scratch directory), so nobody else's tmux
        # can disturb it, nor we theirs, and nothing is left behind in tmux's shared directory.
        self.folder = tempfile.mkdtemp(prefix="chatd-tmux-")
        self.tmux = ["tmux", "-S", os.path.join(self.folder, "socket")]
        subprocess.run(
            [*self.tmux, "new-session", "-d", "-s", self.session, "-x", "100", "-y", "30",
             f"telnet 127.0.0.1 {port}"],
            check=True,
            env={**os.environ, "TERM": "xterm"},
        )  # fmt: skip
        # Keep the screen readable after telnet exits ("Connection closed by foreign host.").
        subprocess.run(
            [*self.tmux, "set-option", "-t", self.session, "remain-on-exit", "on"], check=True
        )

    def keys(self, *keys: str) -> None:
        subprocess.run([*self.tmux, "send-keys", "-t", self.session, *keys], check=True)

    def screen(self) -> str:
        result = subprocess.run(
            [*self.tmux, "capture-pane", "-p", "-t", self.session],
            capture_output=True,
            text=True,
            check=False,
        )
        return result.stdout + result.stderr

    def wait_for(self, text: str, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.05)
        raise AssertionError(f"telnet never showed {text!r}; its screen:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], check=False)
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def telnet():
    """``telnet(port)`` starts the real client in tmux; every session is killed afterwards."""
    require_tools()
    opened: list[TmuxTelnet] = []

    def start(port: int) -> TmuxTelnet:
        opened.append(TmuxTelnet(port))
        return opened[-1]

    yield start
    for client in opened:
        client.close()


def test_telnet_user_keeps_seeing_the_chat_after_ctrl_c(daemon, peers, telnet):
    """Ctrl-C in telnet: nothing garbled reaches others, and the telnet user still sees the chat."""
    server = daemon("chatd", "--port", "0")
    (port,) = server.ports()
    alice = telnet(port)
    alice.wait_for("* Please enter a username:")
    alice.keys("alice", "Enter")
    alice.wait_for("* Online (1): alice")
    bob = peers(port)
    bob.join("bob")
    bob.send("hello telnet")
    alice.wait_for("bob: hello telnet")

    alice.keys("never mind", "C-c")  # half a line, then Ctrl-C
    time.sleep(0.3)  # telnet sends IAC IP IAC DO TIMING-MARK and discards output until answered
    bob.send("can you still see me?")
    alice.wait_for("bob: can you still see me?")

    alice.keys("yes I can", "Enter")
    assert bob.next_line() == "alice: yes I can"  # the abandoned half line was not relayed
    alice.keys("<quit>", "Enter")
    alice.wait_for("Connection closed by foreign host.")
    assert "* Goodbye alice!" in alice.screen()
    assert bob.next_line() == "* alice has left the chat"


def test_ctrl_c_bytes_get_wont_timing_mark_and_relay_nothing(daemon, peers):
    """The bytes telnet sends on Ctrl-C are answered with IAC WONT TIMING-MARK, nothing else."""
    server = daemon("chatd", "--port", "0")
    (port,) = server.ports()
    alice, bob = peers(port), peers(port)
    alice.join("alice")
    bob.join("bob")
    assert alice.next_line() == "* bob has joined the chat"
    alice.send_raw(b"half" + bytes([IAC, IP, IAC, DO, TIMING_MARK]))
    alice.sock.settimeout(10)
    assert alice.sock.recv(3) == bytes([IAC, WONT, TIMING_MARK])
    alice.send_raw(b"whole\r\n")
    assert bob.next_line() == "alice: whole"


def test_a_password_typed_in_telnet_never_shows(daemon, peers, telnet):
    """After Ctrl-C has shown that the client speaks telnet, the password of a registered name
    is typed without echo (IAC WILL ECHO before the request), and typing shows again after."""
    password = "Sw0rdfish-Telnet"
    server = daemon("chatd", "--port", "0", "--db", ":memory:")
    (port,) = server.ports()
    owner = peers(port)
    owner.join("alice")
    owner.send(f"/register {password}", "<quit>")
    owner.expect("* alice is now registered")
    owner.expect_eof()

    client = telnet(port)
    client.wait_for("* Please enter a username:")
    client.keys("C-c")  # telnet now says IAC IP IAC DO TIMING-MARK: it speaks telnet
    time.sleep(0.3)
    client.keys("alice", "Enter")
    client.wait_for("* alice is registered: please enter its password")
    client.keys(password)
    time.sleep(0.5)  # a character typed with echo on would be on screen by now
    assert password not in client.screen()
    assert "Sw0rd" not in client.screen()
    client.keys("Enter")
    screen = client.wait_for("* Welcome alice!")
    assert password not in screen
    client.keys("shown again")
    client.wait_for("shown again")  # echo is back: what is typed shows before Enter
    client.keys("Enter")
    watcher = peers(port)
    watcher.join("bob")
    client.keys("hello bob", "Enter")
    watcher.expect("alice: hello bob")
    assert password not in server.log()
