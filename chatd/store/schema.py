"""The database's layout, its version, and the steps from each older version to this one.

The version lives in ``PRAGMA user_version``.  Each step of :data:`MIGRATIONS` runs with its
version bump inside one ``BEGIN IMMEDIATE ... COMMIT`` (``user_version`` is transactional), so a
database is always at a version it fully has: a crash mid-migration leaves the older version,
which the next start migrates again.  Statements run one by one through ``execute``, never
``executescript``, which would commit the open transaction behind our back.

Version history:

1. The first durable layout: lines without actions, topics without setter or time.
2. ``/me`` actions are kept as such (``lines.action``); a topic keeps who set it and when
   (``rooms.topic_setter``, ``rooms.topic_at``); rooms keep when they were made
   (``rooms.created_at``); an index on ``lines.at`` lets retention find old lines without a scan.

Why the layout is what it is:

- ``lines`` is keyed by ``(room, seq)`` ``WITHOUT ROWID``: lines are stored in the order history
  reads them, and there is no hidden rowid (nor its AUTOINCREMENT caveat: an INTEGER PRIMARY KEY
  restarts at 1 once every row is gone).  The sequence is the hub's, never SQLite's.
- ``rooms.last_seq`` remembers the highest sequence a room ever had, so that a room whose lines
  retention has purged still never reuses a number.
"""

from __future__ import annotations

import os
import sqlite3

from twisted.logger import Logger

log = Logger()

#: The version this chatd writes.  A database at a higher one is refused.
VERSION = 3

#: The first layout, kept to build fixtures and to document where migrations start from.
SCHEMA_V1 = (
    "CREATE TABLE rooms (key TEXT PRIMARY KEY, name TEXT NOT NULL, last_seq INTEGER NOT NULL,"
    " topic TEXT)",
    "CREATE TABLE lines (room TEXT NOT NULL, seq INTEGER NOT NULL, at REAL NOT NULL,"
    " name TEXT NOT NULL, text TEXT NOT NULL, PRIMARY KEY (room, seq)) WITHOUT ROWID",
)

#: The tables version 3 added: accounts, bans, and mutes with an end.
ACCOUNTS_AND_BANS = (
    "CREATE TABLE accounts (key TEXT PRIMARY KEY, name TEXT NOT NULL,"
    " password_hash TEXT NOT NULL, created_at REAL NOT NULL)",
    "CREATE TABLE bans (target TEXT PRIMARY KEY, shown TEXT NOT NULL, set_by TEXT NOT NULL,"
    " set_at REAL NOT NULL, expires REAL, reason TEXT, address TEXT)",
    "CREATE TABLE mutes (key TEXT PRIMARY KEY, name TEXT NOT NULL, set_by TEXT NOT NULL,"
    " set_at REAL NOT NULL, expires REAL)",
)

#: The current layout, made at once for a new database.
SCHEMA = (
    "CREATE TABLE rooms (key TEXT PRIMARY KEY, name TEXT NOT NULL, last_seq INTEGER NOT NULL,"
    " topic TEXT, topic_setter TEXT, topic_at REAL, created_at REAL)",
    "CREATE TABLE lines (room TEXT NOT NULL, seq INTEGER NOT NULL, at REAL NOT NULL,"
    " name TEXT NOT NULL, text TEXT NOT NULL, action INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY (room, seq)) WITHOUT ROWID",
    "CREATE INDEX lines_at ON lines (at)",
    *ACCOUNTS_AND_BANS,
)

#: ``MIGRATIONS[n]`` takes a database from version ``n`` to ``n + 1``.  A version-1 topic has
#: no known setter or time: it gets an empty setter and the time of the migration.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        "ALTER TABLE lines ADD COLUMN action INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE rooms ADD COLUMN topic_setter TEXT",
        "ALTER TABLE rooms ADD COLUMN topic_at REAL",
        "ALTER TABLE rooms ADD COLUMN created_at REAL",
        "UPDATE rooms SET topic_setter = '', topic_at = (julianday('now') - 2440587.5) * 86400.0"
        " WHERE topic IS NOT NULL",
        "CREATE INDEX lines_at ON lines (at)",
    ),
    2: ACCOUNTS_AND_BANS,
}


class DatabaseRefused(Exception):
    """The database cannot be used by this chatd; the message is one line for the operator."""


class NewerSchema(DatabaseRefused):
    """The database was written by a newer chatd, whose layout this one does not know."""


def connect(path: str, busy_timeout: float) -> sqlite3.Connection:
    """Open ``path`` for the store's single connection, at the current version.

    ``check_same_thread=False``: the connection is opened here and then used only by the
    writer thread (and by :meth:`load` before that thread has work), never by two at once.
    ``isolation_level=None``: transactions are exactly the ``BEGIN``/``COMMIT`` we write.
    WAL with ``synchronous=NORMAL``: a commit is in the operating system's hands once
    ``COMMIT`` returns, so it survives the process being killed (SIGKILL, a crash); the last
    commits before a power loss or kernel crash may be lost.  ``FULL`` would sync every commit
    for that too, at a third of the rate of small batches; a chat's receipt promises the first.
    """
    try:
        connection = sqlite3.connect(
            path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as error:
        raise DatabaseRefused(f"cannot open the database {path}: {error}") from None
    try:
        _configure(connection, path)
        migrate(connection, path)
    except BaseException:
        connection.close()
        raise
    return connection


def _configure(connection: sqlite3.Connection, path: str) -> None:
    try:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.DatabaseError as error:
        # Not a database at all ("file is not a database"), or one we may not even read.
        raise DatabaseRefused(f"cannot use {path} as a database: {error}") from None


def version_of(connection: sqlite3.Connection) -> int:
    """The layout version recorded in the database (0: nothing yet)."""
    return connection.execute("PRAGMA user_version").fetchone()[0]


def migrate(connection: sqlite3.Connection, path: str) -> int:
    """Bring the database to :data:`VERSION`; return the version it had before.

    Refuses a newer database, and a database of some other program (tables but no version),
    rather than writing into it.
    """
    found = version_of(connection)
    if found > VERSION:
        raise NewerSchema(
            f"the database {path} has schema version {found}, written by a newer chatd;"
            f" this chatd knows versions up to {VERSION}"
        )
    if found == 0:
        tables = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if tables:
            raise DatabaseRefused(
                f"the database {path} has tables but no chatd schema version: not a chatd database"
            )
        _in_transaction(connection, path, SCHEMA, VERSION)
        return 0
    for version in range(found, VERSION):
        _in_transaction(connection, path, MIGRATIONS[version], version + 1)
    if found < VERSION:
        log.info(
            "migrated the database {where} from schema version {old} to {new}",
            where=describe(path),
            old=found,
            new=VERSION,
        )
    return found


def _in_transaction(
    connection: sqlite3.Connection, path: str, statements: tuple[str, ...], to: int
) -> None:
    """Run ``statements`` and set the version to ``to``, all or nothing."""
    try:
        connection.execute("BEGIN IMMEDIATE")
        try:
            for statement in statements:
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {int(to)}")
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
    except sqlite3.Error as error:
        # A layout older than ours cannot be served; a database that cannot take it is refused.
        raise DatabaseRefused(
            f"cannot bring the database {path} to schema version {to}: {error}"
        ) from None


def describe(path: str) -> str:
    """Where the database is, as the start-up log should say it."""
    return path if path == ":memory:" else os.path.abspath(path)
