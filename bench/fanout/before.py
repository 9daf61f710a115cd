"""chatd as it was at an earlier revision (``--before REV``), built once and then reused.

What a feature costs shows best against the code just before it, measured in the same run as the
code now and the baseline: two runs hours apart on a shared machine differ by more than most
features cost. The runner takes that code from this checkout's history with ``git archive`` (the
work tree is not touched), installs it non-editable into a venv of its own under
``build/before-REV/`` and learns from its ``twistd chatd --help`` which of the benchmark's options
it knows, since an older chatd refuses the ones that came later.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

from bench.soak.server import ServerError, clean_environment, supported_options

#: The file in the venv naming the full commit installed in it: without it (an install that was
#: cut short) or with another commit (a branch name that moved), the venv is built again.
MARKER = "chatd-commit"


class BuildError(Exception):
    """The revision could not be found, extracted or installed."""


@dataclass(frozen=True)
class Before:
    """An earlier chatd, ready to start: where its twistd is and which options it knows."""

    revision: str  # as given to --before, e.g. "3eea5df"
    commit: str  # the full commit it names
    twistd: Path
    options: frozenset[str]  # the long options its ``twistd chatd --help`` lists

    @property
    def has_store(self) -> bool:
        """Whether this chatd keeps its lines in a database (``--db``), as chatd does now."""
        return "db" in self.options


def resolve(revision: str, repo: Path) -> str:
    """The full commit ``revision`` names in the repository at ``repo``."""
    found = _git(["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], repo)
    commit = found.stdout.decode().strip()
    if found.returncode != 0 or not commit:
        raise BuildError(f"{revision!r} names no commit in this checkout")
    return commit


def build_dir_for(revision: str, build_dir: Path) -> Path:
    """``build_dir/before-REV``, with anything but letters, digits, ``.``, ``_`` and ``-`` in REV
    replaced, so that a revision such as ``origin/main`` stays one directory."""
    return build_dir / ("before-" + re.sub(r"[^\w.-]", "_", revision))


def prepare(revision: str, build_dir: Path, repo: Path) -> Before:
    """chatd at ``revision`` installed in ``build_dir/before-REV/venv``, reused if it is there.

    Its source goes to ``.../src`` and pip's output to ``.../install.log``.
    """
    commit = resolve(revision, repo)
    here = build_dir_for(revision, build_dir)
    source, venv = here / "src", here / "venv"
    twistd = venv / "bin" / "twistd"
    if not installed(venv, commit):
        print(f"bench.fanout: installing chatd at {revision} ({commit[:12]}) into {here}",
              file=sys.stderr)  # fmt: skip
        _extract(commit, repo, source)
        _install(source, venv, here / "install.log")
        (venv / MARKER).write_text(commit + "\n")
    try:
        options = supported_options(twistd, here)
    except ServerError as error:
        raise BuildError(str(error)) from error
    return Before(revision, commit, twistd, frozenset(options))


def installed(venv: Path, commit: str) -> bool:
    """Whether ``venv`` holds chatd at ``commit``, its install finished (the marker is written
    last)."""
    marker = venv / MARKER
    try:
        named = marker.read_text().strip()
    except OSError:
        return False
    return named == commit and (venv / "bin" / "twistd").exists()


def _git(args: list[str], repo: Path, timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", *args], cwd=repo, capture_output=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BuildError(f"git {args[0]} failed: {error}") from error


def _extract(commit: str, repo: Path, source: Path) -> None:
    """The tree of ``commit`` (as ``git archive`` gives it) into ``source``, emptied first."""
    archive = _git(["archive", "--format=tar", commit], repo, timeout=120)
    if archive.returncode != 0:
        raise BuildError(f"git archive {commit[:12]} failed: {archive.stderr.decode().strip()}")
    shutil.rmtree(source, ignore_errors=True)
    source.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(source, filter="data")


def _install(source: Path, venv: Path, log_path: Path) -> None:
    """A new venv at ``venv`` with ``source`` installed non-editable, as a user would have it."""
    shutil.rmtree(venv, ignore_errors=True)
    python = venv / "bin" / "python"
    steps = [
        ("python -m venv", [sys.executable, "-m", "venv", str(venv)]),
        ("pip install", [str(python), "-m", "pip", "install", "--quiet", str(source)]),
    ]
    with open(log_path, "wb") as log:
        for what, command in steps:
            try:
                done = subprocess.run(
                    command,
                    cwd=venv.parent,
                    env=clean_environment(),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    timeout=900,
                    check=False,
                )
            except (OSError, subprocess.TimeoutExpired) as error:
                raise BuildError(f"{what} failed: {error}") from error
            if done.returncode != 0:
                raise BuildError(f"{what} failed with status {done.returncode} (see {log_path})")
