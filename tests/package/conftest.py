"""The sdist and the wheel, built once per test session from this checkout with ``python -m build``.

Building takes seconds and needs the build backend from the package index, so every packaging
test shares one build.  ``python -m build`` builds the sdist, then the wheel from that sdist, as
a release would: a file the sdist forgot would be missing from the wheel too.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from dataclasses import dataclass
from email.message import Message
from email.parser import Parser
from pathlib import Path

import pytest

#: The checkout the tests run in: the project being packaged.
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Dists:
    sdist: Path
    wheel: Path

    def wheel_names(self) -> list[str]:
        with zipfile.ZipFile(self.wheel) as wheel:
            return wheel.namelist()

    def wheel_text(self, name: str) -> str:
        with zipfile.ZipFile(self.wheel) as wheel:
            return wheel.read(name).decode()

    def dist_info(self) -> str:
        """The wheel's ``chatd-VERSION.dist-info/`` folder, as its names start."""
        (folder,) = {name.split("/")[0] for name in self.wheel_names() if ".dist-info/" in name}
        return folder + "/"

    def metadata(self) -> Message:
        """The wheel's core metadata: what PyPI shows and pip reads."""
        return Parser().parsestr(self.wheel_text(self.dist_info() + "METADATA"))


@dataclass(frozen=True)
class Repository:
    """This checkout, as the packaging tests compare the built files with it."""

    root: Path

    def tracked(self, *paths: str) -> set[str]:
        """The files git tracks under ``paths``, as repository-relative paths."""
        listed = subprocess.run(
            ["git", "-C", str(self.root), "ls-files", "-z", "--", *paths],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return set(filter(None, listed.stdout.split("\0")))


@pytest.fixture(scope="session")
def repository() -> Repository:
    return Repository(ROOT)


@pytest.fixture(scope="session")
def dists(tmp_path_factory) -> Dists:
    """An sdist and a wheel of this checkout, built as for a release."""
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return Dists(sdist, wheel)
