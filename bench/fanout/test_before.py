"""chatd-before's build: which commit a revision names, and when an installed venv is reused.

These run git in this checkout (as the runner does) and a stand-in ``twistd`` script; none of
them installs anything.
"""

import subprocess

import pytest

from bench.fanout.before import MARKER, BuildError, build_dir_for, installed, prepare, resolve
from bench.fanout.servers import REPO

HELP = """Usage: twistd [options] chatd [options]
Options:
  -p, --port=             TCP port to listen on (0 picks a free one). [default:
                          33000]
      --rate=             Lines per second a connection may send. [default: 5]
      --burst=            Lines a connection may send at once. [default: 10]
"""


def head() -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.strip()


def fake_venv(venv, commit):
    """A venv as the runner leaves it, with a ``twistd`` that only prints chatd's help."""
    (venv / "bin").mkdir(parents=True)
    twistd = venv / "bin" / "twistd"
    twistd.write_text(f"#!/bin/sh\ncat <<'END'\n{HELP}END\n")
    twistd.chmod(0o755)
    if commit is not None:
        (venv / MARKER).write_text(commit + "\n")
    return twistd


def test_resolve_names_the_full_commit_and_refuses_what_is_none():
    commit = head()
    assert resolve(commit[:7], REPO) == commit
    assert resolve("HEAD", REPO) == commit
    with pytest.raises(BuildError, match="names no commit"):
        resolve("no-such-revision-anywhere", REPO)


def test_build_dir_is_one_directory_per_revision(tmp_path):
    assert build_dir_for("3eea5df", tmp_path) == tmp_path / "before-3eea5df"
    assert build_dir_for("origin/main", tmp_path) == tmp_path / "before-origin_main"


def test_installed_needs_the_marker_naming_the_commit_and_twistd(tmp_path):
    commit = "a" * 40
    assert not installed(tmp_path / "venv", commit)
    fake_venv(tmp_path / "venv", None)  # an install cut short writes no marker
    assert not installed(tmp_path / "venv", commit)
    (tmp_path / "venv" / MARKER).write_text("b" * 40 + "\n")  # a branch name that moved
    assert not installed(tmp_path / "venv", commit)
    (tmp_path / "venv" / MARKER).write_text(commit + "\n")
    assert installed(tmp_path / "venv", commit)


def test_prepare_reuses_an_installed_venv_and_reads_its_options(tmp_path):
    """No second install (no src/ extracted), and the options come from its own --help."""
    here = build_dir_for("HEAD", tmp_path)
    twistd = fake_venv(here / "venv", head())
    before = prepare("HEAD", tmp_path, REPO)
    assert (before.revision, before.commit, before.twistd) == ("HEAD", head(), twistd)
    assert before.options == {"port", "rate", "burst"}
    assert not before.has_store
    assert not (here / "src").exists()
