"""What the server process costs, read from ``/proc`` (Linux): memory, CPU time, open files.

Sampled once a second during the run, so that the report can show the largest resident set seen
as well as the kernel's own high-water mark (VmHWM), and whether memory and file descriptors come
back down once every client has gone.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_STATUS_FIELD = re.compile(r"^(VmRSS|VmHWM):\s+(\d+) kB$", re.MULTILINE)


@dataclass(frozen=True)
class Sample:
    """The server at one moment; ``at`` is seconds since the soak started."""

    at: float
    rss_kib: int
    hwm_kib: int
    cpu_s: float
    fds: int
    stallers_cut: int = 0

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    fields = stat[stat.rindex(")") + 2 :].split()
    user, system = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (user + system) / _CLOCK_TICKS


def sample(pid: int, at: float, stallers_cut: int = 0) -> Sample | None:
    """Read the figures of process ``pid``; None if it has gone."""
    try:
        status = dict(_STATUS_FIELD.findall(Path(f"/proc/{pid}/status").read_text()))
        return Sample(
            at=round(at, 2),
            rss_kib=int(status["VmRSS"]),
            hwm_kib=int(status["VmHWM"]),
            cpu_s=round(cpu_seconds(pid), 2),
            fds=len(os.listdir(f"/proc/{pid}/fd")),
            stallers_cut=stallers_cut,
        )
    except (OSError, KeyError, ValueError):  # gone, or a zombie without memory figures
        return None


def kernel_send_buffer_max() -> int:
    """The most a TCP socket's kernel send buffer can grow to (the third ``tcp_wmem`` figure).

    A client that stops reading is owed this much more than the server's own buffer holds
    before the server's buffer starts to grow.
    """
    try:
        return int(Path("/proc/sys/net/ipv4/tcp_wmem").read_text().split()[2])
    except (OSError, IndexError, ValueError):
        return 4 * 1024 * 1024  # Linux's default
