"""Accounts, bans and mutes through each store: kept, replaced, deleted, and there after a
restart."""

from __future__ import annotations

import sqlite3

from chatd.core.store import Account, Ban, Mute

T0 = 1_700_000_000.0


def loaded(store):
    """What a starting hub reads, in the order it reads it."""
    found = (
        sorted(store.load_accounts(), key=lambda a: a.key),
        sorted(store.load_bans(), key=lambda b: b.target),
        store.load_mutes(),
    )
    store.load(0)
    return found


def test_accounts_bans_and_mutes_survive_a_restart(kind):
    """Everything put is loaded again after a restart, with its latest value, and nothing
    deleted comes back."""
    store = kind.store
    loaded(store)
    store.put_account(Account("alice", "Alice", "$scrypt$1", T0))
    store.put_account(Account("bob", "bob", "$scrypt$2", T0 + 1))
    store.put_account(Account("alice", "Alice", "$scrypt$3", T0))
    store.put_account(Account("carol", "carol", "$scrypt$4", T0 + 2))
    store.delete_account("carol")
    name_ban = Ban("mallory", "mallory", "alice", T0, T0 + 600, "spam", "192.0.2.7/32")
    block = Ban("198.51.100.0/24", "198.51.100.0/24", "alice", T0, None, None)
    store.put_ban(name_ban)
    store.put_ban(block)
    store.put_ban(Ban("203.0.113.1/32", "203.0.113.1", "alice", T0, None))
    store.delete_ban("203.0.113.1/32")
    store.put_mute(Mute("eve", "Eve", "alice", T0, T0 + 60))
    store.put_mute(Mute("zed", "zed", "alice", T0, T0 + 60))
    store.delete_mute("zed")
    assert loaded(kind.restart()) == (
        [Account("alice", "Alice", "$scrypt$3", T0), Account("bob", "bob", "$scrypt$2", T0 + 1)],
        [block, name_ban],
        [Mute("eve", "Eve", "alice", T0, T0 + 60)],
    )


def test_a_version_2_database_gains_the_tables(sqlite):
    """A database of schema version 2 is migrated to 3: its rooms stay, accounts can be kept."""
    from chatd.store import schema

    db = sqlite3.connect(sqlite.path, isolation_level=None)
    for statement in schema.SCHEMA[:3]:
        db.execute(statement)
    db.execute("INSERT INTO rooms (key, name, last_seq) VALUES ('#dev', '#dev', 4)")
    db.execute("PRAGMA user_version = 2")
    db.close()
    store = sqlite.open()
    assert store.load_accounts() == []
    assert [record.last_seq for record in store.load(0)] == [4]
    store.put_account(Account("alice", "alice", "$scrypt$1", T0))
    assert loaded(sqlite.reopen(store))[0] == [Account("alice", "alice", "$scrypt$1", T0)]
