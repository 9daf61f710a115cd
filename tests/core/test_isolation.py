"""The core knows no sockets: it imports nothing from the doors, the reactor or the network."""

from __future__ import annotations

import ast
from pathlib import Path

import chatd.core

FORBIDDEN = ("chatd.doors", "chatd.service", "chatd.tap", "twisted.internet", "socket", "ssl")


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def test_core_imports_no_transport():
    """No module of chatd.core imports a door, the service wiring, the reactor or sockets."""
    core = Path(chatd.core.__file__).parent
    sources = sorted(core.glob("*.py"))
    assert sources
    for source in sources:
        for module in imported_modules(source):
            assert not module.startswith(FORBIDDEN), f"{source.name} imports {module}"
