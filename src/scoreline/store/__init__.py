"""The store: matches, long odds, scheduled fixtures, quarantined rows; DuckDB (embedded) or PostgreSQL."""

from scoreline.store.fixtures import FixturesWriteResult, ParsedFixturesLike, with_scheduled
from scoreline.store.prepare import ParsedFileLike, PreparedFile, prepare
from scoreline.store.store import Store, WriteResult

__all__ = [
    "FixturesWriteResult",
    "ParsedFileLike",
    "ParsedFixturesLike",
    "PreparedFile",
    "Store",
    "WriteResult",
    "prepare",
    "with_scheduled",
]
