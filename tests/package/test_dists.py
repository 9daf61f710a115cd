"""What a release would upload: the sdist and the wheel pass twine's checks and hold what they
should, and the wheel's metadata is what PyPI will show.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile

#: The files of the wheel's dist-info folder, beside which nothing but chatd's own files ships.
DIST_INFO_FILES = {"METADATA", "WHEEL", "RECORD", "entry_points.txt", "licenses/LICENSE"}


def test_twine_check_passes_on_both(dists):
    """``twine check --strict`` accepts the sdist and the wheel, README rendering included."""
    checked = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(dists.sdist), str(dists.wheel)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("PASSED") == 2, checked.stdout


def test_the_wheel_holds_chatd_the_plugin_file_and_nothing_else(dists, repository):
    """The wheel is chatd/ (every file git tracks there), twisted/plugins/chatd_plugin.py and
    its dist-info: never a twisted/__init__.py, twisted/plugins/__init__.py or dropin.cache,
    which would overwrite Twisted's own files, and no stray file from a working tree.

    Files the web door serves will ship by being tracked under chatd/ too.
    """
    dist_info = dists.dist_info()
    names = dists.wheel_names()
    assert len(names) == len(set(names))
    shipped = {name for name in names if not name.startswith(dist_info)}
    assert {name for name in shipped if not name.startswith("chatd/")} == {
        "twisted/plugins/chatd_plugin.py"
    }
    assert {name for name in shipped if name.startswith("chatd/")} == repository.tracked("chatd")
    assert {name.removeprefix(dist_info) for name in names if name.startswith(dist_info)} == (
        DIST_INFO_FILES
    )


def test_the_wheel_ships_the_licence_and_declares_it(dists, repository):
    """The metadata says MIT as a PEP 639 expression, and the LICENSE file rides along."""
    metadata = dists.metadata()
    assert tuple(map(int, metadata["Metadata-Version"].split("."))) >= (2, 4)
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    # PEP 639: a licence expression replaces the License :: classifiers; PyPI refuses both.
    assert not [each for each in metadata.get_all("Classifier") if each.startswith("License ::")]
    licence = dists.wheel_text(dists.dist_info() + "licenses/LICENSE")
    assert licence == (repository.root / "LICENSE").read_text()
    assert licence.startswith("MIT License\n")


def test_the_version_is_the_one_in_chatd_init(dists, repository):
    """The wheel's version is ``__version__`` of chatd/__init__.py, the one place it lives."""
    source = (repository.root / "chatd" / "__init__.py").read_text()
    (version,) = re.findall(r'^__version__ = "([^"]+)"$', source, re.MULTILINE)
    assert dists.metadata()["Version"] == version
    assert dists.wheel.name == f"chatd-{version}-py3-none-any.whl"
    assert dists.sdist.name == f"chatd-{version}.tar.gz"


def test_the_classifiers_name_the_python_being_tested(dists):
    """Framework :: Twisted, Topic :: Communications :: Chat, and this Python's version: CI
    runs on the versions the classifiers claim."""
    classifiers = dists.metadata().get_all("Classifier")
    assert "Framework :: Twisted" in classifiers
    assert "Topic :: Communications :: Chat" in classifiers
    python = f"Programming Language :: Python :: {sys.version_info.major}.{sys.version_info.minor}"
    assert python in classifiers


def test_the_commands_are_chatds_own(dists):
    """The wheel installs chatd, chatd-client and chatd-gui, and nothing else, as commands."""
    entry_points = dists.wheel_text(dists.dist_info() + "entry_points.txt")
    section, *lines = [line for line in entry_points.splitlines() if line.strip()]
    assert section == "[console_scripts]"
    assert sorted(lines) == [
        "chatd = chatd.command:main",
        "chatd-client = chatd.client.main:main",
        "chatd-gui = chatd.gui.main:main",
    ]


def test_the_sdist_has_what_a_rebuild_and_a_reader_need(dists):
    """The sdist carries the licence, changelog, README and plugin, and no local debris."""
    with tarfile.open(dists.sdist) as sdist:
        paths = [name.partition("/") for name in sdist.getnames()]
    assert {top for top, _, _ in paths} == {dists.sdist.name.removesuffix(".tar.gz")}
    names = {name for _, _, name in paths}
    assert {
        "LICENSE",
        "CHANGELOG.md",
        "README.md",
        "pyproject.toml",
        "PKG-INFO",
        "twisted/plugins/chatd_plugin.py",
        "chatd/__init__.py",
    } <= names
    debris = ("__pycache__", ".venv", "dropin.cache", "twistd.pid", "chatd.db", ".pyc")
    assert not [name for name in names if any(part in name for part in debris)]
