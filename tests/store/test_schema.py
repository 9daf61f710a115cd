"""The database's versions: a new one, one migrated from version 1, and ones refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from chatd.core.store import RoomRecord, StoredLine, Topic
from chatd.store import DatabaseRefused, NewerSchema, schema

FIXTURE = Path(__file__).parent / "fixtures" / "v1.sql"


def build_v1(path: str) -> None:
    with sqlite3.connect(path) as db:
        db.executescript(FIXTURE.read_text(encoding="utf-8"))
    db.close()


def layout(path: str) -> dict[str, list[tuple]]:
    """Every table's columns and every index's columns, as SQLite reports them."""
    with sqlite3.connect(path) as db:
        found = {}
        for kind, name in db.execute("SELECT type, name FROM sqlite_master ORDER BY name"):
            pragma = "table_info" if kind == "table" else "index_info"
            found[name] = db.execute(f"PRAGMA {pragma}({name})").fetchall()
    db.close()
    return found


def version(path: str) -> int:
    with sqlite3.connect(path) as db:
        found = db.execute("PRAGMA user_version").fetchone()[0]
    db.close()
    return found


def test_fixture_is_what_version_1_made(tmp_path):
    """The fixture's tables are exactly those of version 1's DDL."""
    made = str(tmp_path / "made.db")
    with sqlite3.connect(made) as db:
        for statement in schema.SCHEMA_V1:
            db.execute(statement)
    db.close()
    fixture = str(tmp_path / "fixture.db")
    build_v1(fixture)
    assert layout(fixture) == layout(made)
    assert version(fixture) == 1


def test_new_database_is_at_the_current_version(sqlite):
    """A new database file gets the current layout and version."""
    sqlite.open()
    assert version(sqlite.path) == schema.VERSION == 3


def test_migrated_database_has_the_new_layout(sqlite, tmp_path):
    """A version-1 database migrated has the same tables and indexes as a new one."""
    build_v1(sqlite.path)
    sqlite.open()
    fresh = str(tmp_path / "fresh.db")
    schema.connect(fresh, 1.0).close()
    assert version(sqlite.path) == 3
    assert layout(sqlite.path) == layout(fresh)


def test_migration_keeps_every_line_and_sequence(sqlite, durables, log_capture):
    """Rooms, lines, topics and sequences of version 1 are all there after migrating."""
    build_v1(sqlite.path)
    store = sqlite.open()
    records = store.load(10)
    assert [r.key for r in records] == ["lobby", "ops", "café"]
    lobby, ops, cafe = records
    assert (lobby.name, lobby.last_seq) == ("#Lobby", 4)
    assert [(x.seq, x.at, x.name, x.text, x.action) for x in lobby.tail] == [
        (1, 1700000001.5, "ann", "hello", False),
        (2, 1700000002.25, "bob", "hi ann", False),
        (3, 1700000003.0, "ann", "ünïcödé ✓", False),
        (4, 1700000004.0, "cy", "bye", False),
    ]
    assert lobby.topic is not None
    assert (lobby.topic.text, lobby.topic.setter) == ("Welcome! Be kind.", "")
    assert ops == RoomRecord("ops", "#Ops", 3)
    assert [x.text for x in cafe.tail] == ["un café", "deux"]
    # The migrated database takes new lines, numbered on from where each room stood.
    done = durables()
    store.append(StoredLine("ops", 4, 1700000100.0, "ann", "waves", True), done)
    store.set_topic("ops", Topic("deploys", "ann", 1700000100.0))
    records = sqlite.reopen(store).load(1)
    assert records[1] == RoomRecord(
        "ops",
        "#Ops",
        4,
        Topic("deploys", "ann", 1700000100.0),
        [StoredLine("ops", 4, 1700000100.0, "ann", "waves", True)],
    )
    assert any("migrated" in text for text in log_capture.formatted())


def test_failed_migration_leaves_version_1(tmp_path):
    """A migration that fails half-way leaves the database exactly at version 1."""
    path = str(tmp_path / "chatd.db")
    build_v1(path)
    with sqlite3.connect(path) as db:
        # The migration's last step makes this index: it cannot, so nothing of it may remain.
        db.execute("CREATE INDEX lines_at ON lines (name)")
    db.close()
    before = layout(path)
    with pytest.raises(DatabaseRefused, match=r"cannot bring the database .* to schema version 2"):
        schema.connect(path, 1.0)
    assert version(path) == 1
    assert layout(path) == before


def test_newer_database_is_refused_in_one_line(tmp_path):
    """A database of a newer chatd is refused, naming the file and both versions."""
    path = str(tmp_path / "chatd.db")
    schema.connect(path, 1.0).close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 4")
    db.close()
    with pytest.raises(NewerSchema) as refused:
        schema.connect(path, 1.0)
    message = str(refused.value)
    assert "\n" not in message
    assert path in message and "version 4" in message and "up to 3" in message
    assert version(path) == 4


def test_other_programs_database_is_refused(tmp_path):
    """A database with tables but no chatd version is left alone."""
    path = str(tmp_path / "other.db")
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE accounts (id INTEGER)")
    db.close()
    with pytest.raises(DatabaseRefused, match="not a chatd database"):
        schema.connect(path, 1.0)


def test_a_file_that_is_no_database_is_refused(tmp_path):
    """A file that is not SQLite at all is refused in one line, and not overwritten."""
    path = tmp_path / "notes.txt"
    path.write_text("shopping list\n" * 100)
    with pytest.raises(DatabaseRefused, match=r"cannot use .* as a database"):
        schema.connect(str(path), 1.0)
    assert path.read_text() == "shopping list\n" * 100
