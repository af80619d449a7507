"""The store: matches, long odds and quarantined rows in DuckDB (embedded) or PostgreSQL."""

from scoreline.store.prepare import ParsedFileLike, PreparedFile, prepare
from scoreline.store.store import Store, WriteResult

__all__ = ["ParsedFileLike", "PreparedFile", "Store", "WriteResult", "prepare"]
