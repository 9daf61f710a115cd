"""The core knows no sockets: it imports nothing from the doors, the reactor or the network."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import chatd.core

FORBIDDEN = ("chatd.doors", "chatd.service", "chatd.tap", "twisted.internet", "socket", "ssl")


def imported_modules(source: str, package: str = "chatd.core") -> set[str]:
    """Every module an import in ``source`` (in ``package``) may load, relative ones resolved."""
    modules = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0]
                base = f"{parent}.{node.module}" if node.module else parent
            else:
                base = node.module
            modules.add(base)
            modules.update(f"{base}.{alias.name}" for alias in node.names)
    return modules


def is_forbidden(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in FORBIDDEN)


def test_the_import_checker_sees_every_form_of_import():
    """The checker catches plain, from-, nested and relative imports, and only forbidden ones."""
    source = (
        "import socket\n"
        "from twisted import internet\n"
        "def later():\n"
        "    from ..doors import line\n"
        "from twisted.logger import Logger\n"
        "from . import events\n"
    )
    found = {module for module in imported_modules(source) if is_forbidden(module)}
    assert found == {"socket", "twisted.internet", "chatd.doors", "chatd.doors.line"}
    assert not is_forbidden("socketserverish")


def test_core_sources_import_no_transport():
    """No module of chatd.core imports a door, the service wiring, the reactor or sockets."""
    core = Path(chatd.core.__file__).parent
    sources = sorted(core.rglob("*.py"))
    assert len(sources) >= 5
    offenders = {
        f"{source.name}: {module}"
        for source in sources
        for module in imported_modules(
            source.read_text(encoding="utf-8"),
            ".".join(("chatd", "core", *source.relative_to(core).parent.parts)),
        )
        if is_forbidden(module)
    }
    assert offenders == set()


def test_importing_the_core_loads_no_door_and_no_reactor():
    """A fresh interpreter that imports chatd.core has loaded no door and no twisted.internet."""
    probe = (
        "import sys, chatd.core\n"
        "print(sorted(m for m in sys.modules if m.startswith(('chatd.doors', 'twisted.internet'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=30, check=True
    )
    assert result.stdout.strip() == "[]"
