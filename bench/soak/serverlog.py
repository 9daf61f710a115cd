"""What the server's log says about the run: unhandled errors first, then warnings and errors.

twistd writes one event per line as ``TIMESTAMP [NAMESPACE#LEVEL] TEXT``; a traceback continues
over the following lines.  Warnings and errors are grouped by their text with numbers blanked
out, so that 500 "refused 127.0.0.1:41234" lines show up as one kind with a count.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

_LEVEL = re.compile(r"^\S+ \[[^\]]*#(warn|error|critical)\] (.*)$")
_NUMBERS = re.compile(r"\d+")
_OPENED = re.compile(r"\] connection from \S+$")
_CLOSED = re.compile(r"\] connection from \S+ closed: ")


@dataclass
class LogFindings:
    lines: int = 0
    tracebacks: int = 0
    unhandled_errors: int = 0
    errors: int = 0  # events at level error or critical
    warnings: int = 0
    connections_opened: int = 0
    connections_closed: int = 0
    kinds: Counter[str] = field(default_factory=Counter)  # warnings and errors by shape
    first_problem: list[str] = field(default_factory=list)  # the lines around the first traceback

    def as_dict(self) -> dict[str, object]:
        return {
            "lines": self.lines,
            "tracebacks": self.tracebacks,
            "unhandled_errors": self.unhandled_errors,
            "errors": self.errors,
            "warnings": self.warnings,
            "connections_opened": self.connections_opened,
            "connections_closed": self.connections_closed,
            "warning_and_error_kinds": dict(self.kinds.most_common(10)),
            "first_problem": self.first_problem,
        }


def scan(path: Path) -> LogFindings:
    findings = LogFindings()
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    findings.lines = len(lines)
    for number, line in enumerate(lines):
        is_traceback = "Traceback" in line
        is_unhandled = "Unhandled Error" in line
        findings.tracebacks += is_traceback
        findings.unhandled_errors += is_unhandled
        if (is_traceback or is_unhandled) and not findings.first_problem:
            findings.first_problem = lines[max(0, number - 2) : number + 20]
        if _OPENED.search(line):
            findings.connections_opened += 1
        elif _CLOSED.search(line):
            findings.connections_closed += 1
        level = _LEVEL.match(line)
        if level:
            if level.group(1) == "warn":
                findings.warnings += 1
            else:
                findings.errors += 1
            findings.kinds[f"{level.group(1)}: {_NUMBERS.sub('N', level.group(2))}"] += 1
    return findings
