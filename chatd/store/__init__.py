"""Durable stores behind :class:`chatd.core.store.Store`: SQLite now, others later."""

from chatd.store.schema import DatabaseRefused, NewerSchema
from chatd.store.sqlite import SQLiteStore

__all__ = ["DatabaseRefused", "NewerSchema", "SQLiteStore"]
