"""An attacker in a process of its own: one connection writing the same bytes as fast as it can.

``python -m bench.attack.streamer PORT HEX`` connects to 127.0.0.1:PORT and sends the payload
(given in hex) over and over, while a thread reads and discards whatever the server answers, until
the server closes or the process is stopped. It runs outside the runner so that its busy loop does
not delay the runner's own clients, whose latency is what the scenarios measure. The kernel sends
it SIGTERM should the runner die.
"""

from __future__ import annotations

import ctypes
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_PR_SET_PDEATHSIG = 1


def discard(sock: socket.socket) -> None:
    try:
        while sock.recv(65536):
            pass
    except OSError:
        pass


def main(argv: list[str]) -> int:
    ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    port, payload = int(argv[0]), bytes.fromhex(argv[1])
    chunk = payload * max(1, 65536 // len(payload))
    sock = socket.create_connection(("127.0.0.1", port))
    threading.Thread(target=discard, args=(sock,), daemon=True).start()
    try:
        while True:
            sock.sendall(chunk)
    except OSError:
        return 0


def start(port: int, payload: bytes, count: int = 1) -> list[subprocess.Popen[bytes]]:
    """``count`` streamers of ``payload``; stop them with :func:`stop`."""
    return [
        subprocess.Popen(
            [sys.executable, "-m", "bench.attack.streamer", str(port), payload.hex()],
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM each by its PID, SIGKILL one that is still there after 5 s."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
