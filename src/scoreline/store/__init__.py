"""The store: matches, long odds and quarantined rows in DuckDB (embedded) or PostgreSQL."""

from scoreline.store.store import ParsedFileLike, Store, WriteResult

__all__ = ["ParsedFileLike", "Store", "WriteResult"]
