"""The match store: canonical matches, long odds and quarantined rows in DuckDB or PostgreSQL.

One :class:`Store` class runs the same SQLAlchemy Core queries on both backends; only bulk inserts and
bulk reads (:mod:`scoreline.store.bulk`, both through Arrow) are backend-specific. Nothing connects until
the first read or write, which also creates or migrates the schema (:mod:`scoreline.store.migrations`).

Writes are per source file and transactional: :meth:`Store.write_parsed_file` replaces everything a file
stored before (matches, odds, quarantined rows) in one transaction, so a crash leaves the previous state and
re-ingesting is idempotent; an unchanged file (same SHA-256) is skipped.

DuckDB allows a single process to open a database file for writing: from a store's first read or write until
:meth:`Store.close` (or the end of its ``with`` block) this process holds the file lock, and another process
opening the same file gets DuckDB's "could not set lock on file" error. Keep DuckDB stores short-lived in
tools that share a file (open, work, close), and use PostgreSQL when several processes must read and write at
once. Within one process any number of stores on the same file share one database instance.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from scoreline import columns as c
from scoreline.errors import ConfigurationError
from scoreline.redaction import redact_url
from scoreline.settings import Settings, get_settings
from scoreline.sources.fixtures import FIXTURE_COLUMNS
from scoreline.sources.seasons import is_season_code, season_start_year
from scoreline.store import schema
from scoreline.store.bulk import fetch_duckdb, fetch_postgresql, insert_frame
from scoreline.store.fixtures import FixturesWriteResult, ParsedFixturesLike, check_fixtures, replace_fixtures
from scoreline.store.migrations import migrate
from scoreline.store.prepare import INT_MATCH_COLUMNS, ParsedFileLike, PreparedFile, as_datetime, prepare

logger = logging.getLogger(__name__)

STRING_MATCH_COLUMNS = (c.LEAGUE, c.SEASON, c.HOME, c.AWAY, c.RESULT, c.REFEREE, c.SOURCE_FILE)
READ_ODDS_COLUMNS = (c.LEAGUE, c.SEASON, *c.ODDS_COLUMNS[1:])
SUMMARY_COLUMNS = (c.LEAGUE, c.SEASON, "matches", "matches_with_result", "odds_rows", "quarantined")
DUPLICATE_FIELD = "match"
DUCKDB_CHECKPOINT_THRESHOLD = "256MB"  # DuckDB's default is 16MB
STORE_BACKENDS = ("duckdb", "postgresql")
_URL_HINT = "give a DuckDB file (duckdb:///path/to/scoreline.duckdb) or PostgreSQL (postgresql+psycopg://...)"
_NULLABLE_INTEGERS = {
    integer: pd.Int64Dtype() for integer in (pa.int8(), pa.int16(), pa.int32(), pa.int64())
}  # Arrow integers with nulls would become floats


@dataclass(frozen=True)
class WriteResult:
    """What one :meth:`Store.write_parsed_file` call did.

    ``skipped`` means the file was already stored with the same content hash and nothing was written;
    ``replaced`` means an earlier version of the file was removed first. ``duplicates`` counts matches moved
    to quarantine because another source file already stored the same match.
    """

    source_file: str
    skipped: bool
    replaced: bool
    matches: int
    odds_rows: int
    quarantined: int
    duplicates: int = 0


class Store:
    """Matches, odds and quarantined rows behind one SQLAlchemy engine (DuckDB or PostgreSQL)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: sa.Engine | None = None

    @classmethod
    def from_url(cls, url: str) -> Store:
        """A store at the SQLAlchemy ``url`` (``duckdb:///path`` or ``postgresql+psycopg://...``); lazy.

        Raises :class:`~scoreline.errors.ConfigurationError` (with the URL redacted) for a malformed URL, a
        backend other than DuckDB or PostgreSQL, or an in-memory DuckDB (``duckdb://`` without a file: what a
        command writes there would be gone when it ends).
        """
        check_store_url(url)
        return cls(url)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Store:
        """The configured store: ``SCORELINE_DB_URL`` or the DuckDB file under ``SCORELINE_HOME``."""
        return cls.from_url((settings or get_settings()).resolved_db_url)

    def __repr__(self) -> str:
        return f"Store({sa.make_url(self.url).render_as_string()!r})"

    # --- connection lifecycle ------------------------------------------------------------------

    @property
    def engine(self) -> sa.Engine:
        """The engine, created and the schema migrated on first use."""
        if self._engine is None:
            self._engine = _create_engine(self.url)
            migrate(self._engine)
        return self._engine

    @property
    def dialect(self) -> str:
        """``duckdb`` or ``postgresql`` (from the URL, without connecting)."""
        return sa.make_url(self.url).get_backend_name()

    def close(self) -> None:
        """Release every pooled connection (the store can be used again afterwards)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- writes --------------------------------------------------------------------------------

    def ingested_hashes(self) -> dict[str, str]:
        """SHA-256 of every stored source file, by source file name."""
        table = schema.ingested_files
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(table.c[c.SOURCE_FILE], table.c.sha256)).all()
        return {source_file: sha for source_file, sha in rows}

    def write_parsed_file(
        self, parsed: ParsedFileLike, content_sha256: str, prepared: PreparedFile | None = None
    ) -> WriteResult:
        """Store ``parsed`` in one transaction, replacing what the same source file stored before.

        Skipped (nothing written) when the file is stored with the same ``content_sha256``. A match already
        stored from *another* source file is quarantined with the reason rather than stored twice. Raises
        ``ValueError`` naming the file when the parsed frames are inconsistent (wrong columns, a match key
        twice in the file, odds for a match the file does not contain). ``prepared`` is
        ``scoreline.store.prepare(parsed)`` when the caller already made it (e.g. in another thread).
        """
        prepared = prepared or prepare(parsed)
        try:
            try:
                return self._write(parsed, content_sha256, prepared, handle_duplicates=False)
            except sa.exc.IntegrityError:
                # most likely a match another file stored (rare): redo, quarantining such matches
                return self._write(parsed, content_sha256, prepared, handle_duplicates=True)
        except sa.exc.DBAPIError as exc:
            exc.add_note(f"while writing {parsed.source_file} to {self!r} (rolled back)")
            raise

    def _write(
        self, parsed: ParsedFileLike, content_sha256: str, prepared: PreparedFile, handle_duplicates: bool
    ) -> WriteResult:
        name = parsed.source_file
        files = schema.ingested_files
        with self.engine.begin() as conn:
            previous = conn.execute(
                sa.select(files.c.sha256, files.c.file_id).where(files.c[c.SOURCE_FILE] == name)
            ).one_or_none()
            if previous is not None and previous.sha256 == content_sha256:
                return WriteResult(name, skipped=True, replaced=False, matches=0, odds_rows=0, quarantined=0)
            if previous is None:
                file_id = conn.execute(
                    sa.select(sa.func.coalesce(sa.func.max(files.c.file_id), 0) + 1)
                ).scalar_one()
            else:
                file_id = previous.file_id
                _delete_file(conn, name, file_id)
            duplicates = 0
            if handle_duplicates:
                prepared, duplicates = _quarantine_duplicates(conn, parsed, prepared)
            if len(prepared.matches) >= schema.MATCH_ID_STRIDE:
                raise ValueError(f"{name}: more than {schema.MATCH_ID_STRIDE - 1} matches in one file")
            first_id = file_id * schema.MATCH_ID_STRIDE
            insert_frame(conn, schema.matches, prepared.matches_table(first_id))
            odds_rows = insert_frame(conn, schema.odds, prepared.odds_table(first_id))
            insert_frame(conn, schema.quarantine, prepared.quarantine)
            conn.execute(
                sa.insert(files).values(
                    source_file=name,
                    file_id=file_id,
                    league=parsed.league,
                    season=parsed.season,
                    sha256=content_sha256,
                    rows_read=parsed.rows_read,
                    matches=len(prepared.matches),
                    odds_rows=odds_rows,
                    quarantined=len(prepared.quarantine),
                    ingested_at=datetime.now(UTC).replace(tzinfo=None),
                )
            )
        result = WriteResult(
            name,
            skipped=False,
            replaced=previous is not None,
            matches=len(prepared.matches),
            odds_rows=odds_rows,
            quarantined=len(prepared.quarantine),
            duplicates=duplicates,
        )
        logger.debug("stored %s", result)
        return result

    def write_fixtures(
        self, parsed: ParsedFixturesLike, content_sha256: str, fetched_at: datetime | None = None
    ) -> FixturesWriteResult:
        """Replace the scheduled fixtures of ``parsed.leagues`` with ``parsed``'s, in one transaction.

        Skipped (nothing written) when the same source file was stored last with the same ``content_sha256``,
        so fetching an unchanged ``fixtures.csv`` again changes nothing. The file's quarantined rows replace
        its earlier ones. ``fetched_at`` (default: now, UTC) is recorded with every fixture. Raises
        ``ValueError`` naming the file when its frames are inconsistent.
        """
        check_fixtures(parsed)
        stamp = fetched_at or datetime.now(UTC).replace(tzinfo=None)
        try:
            with self.engine.begin() as conn:
                result = replace_fixtures(conn, parsed, content_sha256, stamp)
        except sa.exc.DBAPIError as exc:
            exc.add_note(f"while writing {parsed.source_file} to {self!r} (rolled back)")
            raise
        logger.debug("stored %s", result)
        return result

    # --- reads ---------------------------------------------------------------------------------

    def read_matches(
        self,
        leagues: Sequence[str] | None = None,
        seasons: Sequence[str] | None = None,
        before: pd.Timestamp | None = None,
    ) -> pd.DataFrame:
        """Matches with exactly ``columns.MATCH_COLUMNS``, sorted by kickoff (then league, home).

        ``before`` keeps matches whose date is strictly before ``before``'s date, so matches on the cutoff day
        are excluded even when their kickoff time is earlier (same-day matches never see each other).
        Dtypes: ``date``/``kickoff`` datetime64[ns], goals and statistics nullable ``Int64``, ``has_time``
        bool.
        """
        table = schema.matches
        query = sa.select(*(table.c[name] for name in c.MATCH_COLUMNS))
        query = _filter(query, table, leagues, seasons)
        if before is not None:
            query = query.where(table.c[c.DATE] < _cutoff_date(before))
        query = query.order_by(table.c[c.KICKOFF], table.c[c.LEAGUE], table.c[c.HOME])
        frame = self._fetch(query)
        return _matches_dtypes(frame)

    def read_odds(
        self,
        leagues: Sequence[str] | None = None,
        seasons: Sequence[str] | None = None,
        market: str | None = None,
        timing: str | None = None,
        bookmakers: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Odds in long format: ``league, season`` then ``columns.ODDS_COLUMNS[1:]``, sorted by match and key.

        Filters: ``market`` (one of ``columns.MARKETS``), ``timing`` (``opening``/``closing``), bookmakers.
        The whole table holds millions of rows: filter when you can.
        """
        m, o = schema.matches, schema.odds
        query = sa.select(
            *(m.c[name] for name in READ_ODDS_COLUMNS[:5]), *(o.c[name] for name in READ_ODDS_COLUMNS[5:])
        )
        query = _filter(query.select_from(o.join(m, o.c.match_id == m.c.match_id)), m, leagues, seasons)
        if market is not None:
            query = query.where(o.c[c.MARKET] == market)
        if timing is not None:
            query = query.where(o.c[c.TIMING] == timing)
        if bookmakers is not None:
            query = query.where(o.c[c.BOOKMAKER].in_(list(bookmakers)))
        query = query.order_by(
            m.c[c.DATE], m.c[c.LEAGUE], m.c[c.HOME], *(o.c[name] for name in READ_ODDS_COLUMNS[5:-1])
        )
        frame = self._fetch(query)
        frame[c.DATE] = as_datetime(frame[c.DATE])
        frame[c.LINE] = frame[c.LINE].astype("float64")
        frame[c.PRICE] = frame[c.PRICE].astype("float64")
        return frame

    def read_fixtures(
        self,
        leagues: Sequence[str] | None = None,
        after: pd.Timestamp | None = None,
        until: pd.Timestamp | None = None,
        include_played: bool = False,
    ) -> pd.DataFrame:
        """Scheduled fixtures (``FIXTURE_COLUMNS`` + ``fetched_at``), sorted by kickoff, league and home team.

        ``after``/``until`` keep kickoffs in ``(after, until]``. Fixtures whose match the store holds with a
        result are left out unless ``include_played``: they are not upcoming any more.
        """
        f, m = schema.fixtures, schema.matches
        query = _filter(
            sa.select(*(f.c[name] for name in (*FIXTURE_COLUMNS, schema.FETCHED_AT))), f, leagues, None
        )
        if after is not None:
            query = query.where(f.c[c.KICKOFF] > _naive(after))
        if until is not None:
            query = query.where(f.c[c.KICKOFF] <= _naive(until))
        if not include_played:
            played = sa.select(m.c[c.RESULT]).where(
                *(m.c[name] == f.c[name] for name in c.MATCH_KEY), m.c[c.RESULT].is_not(None)
            )
            query = query.where(~sa.exists(played))
        frame = self._fetch(query.order_by(f.c[c.KICKOFF], f.c[c.LEAGUE], f.c[c.HOME]))
        for name in (c.DATE, c.KICKOFF, schema.FETCHED_AT):
            frame[name] = as_datetime(frame[name])
        frame[c.HAS_TIME] = frame[c.HAS_TIME].astype(bool)
        frame[c.SOURCE_LINE] = frame[c.SOURCE_LINE].astype("int64")
        return frame.reset_index(drop=True)

    def read_fixture_odds(
        self, leagues: Sequence[str] | None = None, market: str | None = None, timing: str | None = None
    ) -> pd.DataFrame:
        """Pre-match odds of the scheduled fixtures, long (``columns.ODDS_COLUMNS``), sorted by fixture."""
        o = schema.fixture_odds
        query = _filter(sa.select(*(o.c[name] for name in c.ODDS_COLUMNS)), o, leagues, None)
        if market is not None:
            query = query.where(o.c[c.MARKET] == market)
        if timing is not None:
            query = query.where(o.c[c.TIMING] == timing)
        frame = self._fetch(query.order_by(*(o.c[name] for name in c.ODDS_COLUMNS[:-1])))
        frame[c.DATE] = as_datetime(frame[c.DATE])
        frame[c.LINE] = frame[c.LINE].astype("float64")
        frame[c.PRICE] = frame[c.PRICE].astype("float64")
        return frame

    def fixture_file_hash(self, source_file: str) -> str | None:
        """SHA-256 of the stored copy of fixtures file ``source_file`` (``None`` if never stored)."""
        files = schema.fixture_files
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(files.c.sha256).where(files.c[c.SOURCE_FILE] == source_file)
            ).scalar_one_or_none()

    def read_quarantine(
        self,
        leagues: Sequence[str] | None = None,
        seasons: Sequence[str] | None = None,
        source_file: str | None = None,
    ) -> pd.DataFrame:
        """Quarantined rows (``columns.QUARANTINE_COLUMNS``), sorted by source file, line and field."""
        table = schema.quarantine
        query = sa.select(*(table.c[name] for name in c.QUARANTINE_COLUMNS))
        query = _filter(query, table, leagues, seasons)
        if source_file is not None:
            query = query.where(table.c[c.SOURCE_FILE] == source_file)
        query = query.order_by(table.c[c.SOURCE_FILE], table.c[c.SOURCE_LINE], table.c[c.FIELD])
        frame = self._fetch(query)
        frame[c.SOURCE_LINE] = frame[c.SOURCE_LINE].astype("int64")
        return frame

    def read_ingested_files(self) -> pd.DataFrame:
        """One row per stored source file: its id, hash, counts and when it was ingested."""
        files = schema.ingested_files
        frame = self._fetch(sa.select(files).order_by(files.c[c.SOURCE_FILE]))
        counts = ["file_id", "rows_read", "matches", "odds_rows", "quarantined"]
        return frame.astype(dict.fromkeys(counts, "int64"))

    def summary(self) -> pd.DataFrame:
        """Per league and season (chronological): matches, matches with a result, odds, quarantined rows."""
        m, o = schema.matches, schema.odds
        parts = [
            self._fetch(
                sa.select(
                    m.c[c.LEAGUE],
                    m.c[c.SEASON],
                    sa.func.count().label("matches"),
                    sa.func.count(m.c[c.RESULT]).label("matches_with_result"),
                ).group_by(m.c[c.LEAGUE], m.c[c.SEASON])
            ),
            self._fetch(
                sa.select(m.c[c.LEAGUE], m.c[c.SEASON], sa.func.count().label("odds_rows"))
                .select_from(o.join(m, o.c.match_id == m.c.match_id))
                .group_by(m.c[c.LEAGUE], m.c[c.SEASON])
            ),
            self._fetch(_quarantine_counts()),
        ]
        frame = parts[0]
        for part in parts[1:]:
            frame = frame.merge(part, on=[c.LEAGUE, c.SEASON], how="outer")
        frame = frame.reindex(columns=list(SUMMARY_COLUMNS))
        counts = list(SUMMARY_COLUMNS[2:])
        frame[counts] = frame[counts].fillna(0).astype("int64")
        order = frame[c.SEASON].map(lambda code: season_start_year(code) if is_season_code(code) else 0)
        frame = frame.assign(_order=order).sort_values([c.LEAGUE, "_order", c.SEASON], kind="stable")
        return frame.drop(columns="_order").reset_index(drop=True)

    def _fetch(self, query: sa.Select) -> pd.DataFrame:
        """Run ``query`` and return a DataFrame, through Arrow (fast, strings shared between rows)."""
        with self.engine.connect() as conn:
            if conn.dialect.name == "duckdb":
                arrow = fetch_duckdb(conn, query)
            elif conn.dialect.name == "postgresql":
                arrow = fetch_postgresql(conn, query)
            else:
                return pd.read_sql(query, conn)
        return arrow.to_pandas(date_as_object=False, types_mapper=_NULLABLE_INTEGERS.get)


UNKNOWN_SEASON = "-"  # the summary's season of a quarantined row nothing tells the season of


def _quarantine_counts() -> sa.Select:
    """Quarantined rows per league and season, taking both from the season file where the row itself has none.

    Rows of ``fixtures.csv`` (no season file) count under their own league and season; one without a league
    counts under its file's name and season ``UNKNOWN_SEASON``, so that every quarantined row is counted.
    """
    q, f = schema.quarantine, schema.ingested_files
    league = sa.func.coalesce(q.c[c.LEAGUE], f.c[c.LEAGUE], q.c[c.SOURCE_FILE]).label(c.LEAGUE)
    season = sa.func.coalesce(q.c[c.SEASON], f.c[c.SEASON], sa.literal(UNKNOWN_SEASON)).label(c.SEASON)
    return (
        sa.select(league, season, sa.func.count().label("quarantined"))
        .select_from(q.outerjoin(f, q.c[c.SOURCE_FILE] == f.c[c.SOURCE_FILE]))
        .group_by(league, season)
    )


def check_store_url(url: str) -> None:
    """``ConfigurationError`` unless ``url`` is a DuckDB file or a PostgreSQL URL (:meth:`Store.from_url`)."""
    shown = redact_url(url)
    try:
        parsed = sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        raise ConfigurationError(f"not a database URL: {shown!r}", _URL_HINT) from None
    backend = parsed.get_backend_name()
    if backend not in STORE_BACKENDS:
        raise ConfigurationError(
            f"the store cannot use {backend} ({shown}): DuckDB or PostgreSQL only", _URL_HINT
        )
    if backend == "duckdb" and parsed.database in (None, "", ":memory:"):
        raise ConfigurationError(
            f"{shown} is an in-memory DuckDB database: what a command writes there is lost when it ends",
            "give a file, e.g. duckdb:///path/to/scoreline.duckdb",
        )


def _create_engine(url: str) -> sa.Engine:
    """An engine for ``url``; a DuckDB file gets its folder created; a missing driver is a configuration
    error naming the driver."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "duckdb":
        try:
            return sa.create_engine(url, pool_pre_ping=True)
        except (sa.exc.NoSuchModuleError, ImportError) as error:
            raise ConfigurationError(
                f"no database driver for {parsed.drivername} is installed ({error})",
                "use postgresql+psycopg://... (the driver scoreline installs)",
            ) from error
    database = parsed.database or ":memory:"
    if database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url)
    sa.event.listen(engine, "connect", _tune_duckdb)
    return engine


def _tune_duckdb(dbapi_connection: Any, connection_record: Any) -> None:
    """Checkpoint less often: per-file appends are small and each checkpoint rewrites the last row groups."""
    dbapi_connection.execute(f"SET checkpoint_threshold = '{DUCKDB_CHECKPOINT_THRESHOLD}'")


def _filter(
    query: sa.Select, table: sa.Table, leagues: Sequence[str] | None, seasons: Sequence[str] | None
) -> sa.Select:
    if leagues is not None:
        query = query.where(table.c[c.LEAGUE].in_(list(leagues)))
    if seasons is not None:
        query = query.where(table.c[c.SEASON].in_(list(seasons)))
    return query


def _naive(stamp: pd.Timestamp) -> datetime:
    """``stamp`` as a naive datetime (UTC if it had a zone), like the store's kickoffs."""
    value = pd.Timestamp(stamp)
    if value.tzinfo is not None:
        value = value.tz_convert(None)
    return value.to_pydatetime()


def _cutoff_date(before: pd.Timestamp) -> date:
    stamp = pd.Timestamp(before)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(None)
    return stamp.date()


def _matches_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    """Canonical dtypes for a match frame read back from either backend."""
    out = frame.copy()
    out[c.DATE] = as_datetime(out[c.DATE])
    out[c.KICKOFF] = as_datetime(out[c.KICKOFF])
    out[c.HAS_TIME] = out[c.HAS_TIME].astype(bool)
    for name in INT_MATCH_COLUMNS:
        out[name] = out[name].astype("Int64")
    out[c.SOURCE_LINE] = out[c.SOURCE_LINE].astype("int64")
    for name in STRING_MATCH_COLUMNS:
        out[name] = out[name].astype(object).where(out[name].notna(), None)
    return out.reset_index(drop=True)


# --- writing helpers ---------------------------------------------------------------------------


def _delete_file(conn: sa.Connection, source_file: str, file_id: int) -> None:
    """Remove all ``source_file`` stored: its matches, their odds (one id range), quarantine, record."""
    first = file_id * schema.MATCH_ID_STRIDE
    odds = schema.odds
    conn.execute(sa.delete(odds).where(odds.c.match_id.between(first, first + schema.MATCH_ID_STRIDE - 1)))
    for table in (schema.matches, schema.quarantine, schema.ingested_files):
        conn.execute(sa.delete(table).where(table.c[c.SOURCE_FILE] == source_file))


def _quarantine_duplicates(
    conn: sa.Connection, parsed: ParsedFileLike, prepared: PreparedFile
) -> tuple[PreparedFile, int]:
    """Move matches another source file already stored to quarantine, with the reason; drop their odds."""
    matches = prepared.matches
    if matches.empty:
        return prepared, 0
    table = schema.matches
    key = list(c.MATCH_KEY)
    existing = pd.DataFrame(
        conn.execute(
            sa.select(
                *(table.c[name] for name in key),
                table.c[c.SOURCE_FILE].label("other_file"),
                table.c[c.SOURCE_LINE].label("other_line"),
            ).where(
                table.c[c.LEAGUE].in_(matches[c.LEAGUE].unique().tolist()),
                table.c[c.DATE].between(matches[c.DATE].min().date(), matches[c.DATE].max().date()),
            )
        ).all(),
        columns=[*key, "other_file", "other_line"],
    )
    existing[c.DATE] = as_datetime(existing[c.DATE])
    clash = matches.reset_index(names="position").merge(existing, on=key, how="inner")
    if clash.empty:
        return prepared, 0
    reasons = (
        "duplicate match "
        + clash[c.HOME]
        + " v "
        + clash[c.AWAY]
        + " on "
        + clash[c.DATE].dt.strftime("%Y-%m-%d")
        + ": already stored from "
        + clash["other_file"]
        + " line "
        + clash["other_line"].astype(str)
    )
    quarantined = pd.DataFrame(
        {
            c.SOURCE_FILE: parsed.source_file,
            c.SOURCE_LINE: clash[c.SOURCE_LINE].to_numpy(),
            c.LEAGUE: clash[c.LEAGUE].to_numpy(),
            c.SEASON: clash[c.SEASON].to_numpy(),
            c.FIELD: DUPLICATE_FIELD,
            c.REASON: reasons.to_numpy(),
            c.RAW: None,
        }
    )
    logger.warning(
        "%s: %d matches already stored from other files were quarantined", parsed.source_file, len(clash)
    )
    positions = np.sort(clash["position"].to_numpy())
    return prepared.without_matches(positions.tolist(), quarantined), len(clash)
