"""The SQLite store's writer alone: commit rate and receipt latency under load."""
