"""The store's tables as SQLAlchemy Core objects, used to build queries on every backend.

These objects describe the schema *after* all migrations (see :mod:`scoreline.store.migrations`, which is what
creates and alters the tables). A test checks that a freshly migrated database matches them.

Odds are kept long and narrow: one row per quoted price, pointing at its match by ``match_id`` instead of
repeating league, date and teams, with small types (``REAL`` line, ``DOUBLE`` price) and low-cardinality
strings that DuckDB dictionary-compresses. ``match_id`` is ``file_id * MATCH_ID_STRIDE + position`` (the
match's row in its file), so a file's odds are one id range and are found without an index.

Scheduled fixtures (football-data's ``fixtures.csv``) live apart from matches, in ``fixtures`` and
``fixture_odds`` (keyed by the match key, a few thousand rows at most), so the season file that later brings a
fixture's result stores it as an ordinary match, never as a cross-file duplicate.
"""

from __future__ import annotations

import sqlalchemy as sa

from scoreline import columns as c

metadata = sa.MetaData()

STAT_TYPE = sa.SmallInteger

FETCHED_AT = "fetched_at"  # when a fixtures file's content was stored
MATCH_ID_STRIDE = 100_000  # match ids of one file: file_id * stride ... file_id * stride + stride - 1

matches = sa.Table(
    "matches",
    metadata,
    sa.Column("match_id", sa.BigInteger, nullable=False, unique=True),
    sa.Column(c.LEAGUE, sa.String, primary_key=True),
    sa.Column(c.SEASON, sa.String, nullable=False),
    sa.Column(c.DATE, sa.Date, primary_key=True),
    sa.Column(c.KICKOFF, sa.DateTime, nullable=False),
    sa.Column(c.HAS_TIME, sa.Boolean, nullable=False),
    sa.Column(c.HOME, sa.String, primary_key=True),
    sa.Column(c.AWAY, sa.String, primary_key=True),
    sa.Column(c.HOME_GOALS, sa.SmallInteger),
    sa.Column(c.AWAY_GOALS, sa.SmallInteger),
    sa.Column(c.HOME_GOALS_HT, sa.SmallInteger),
    sa.Column(c.AWAY_GOALS_HT, sa.SmallInteger),
    sa.Column(c.RESULT, sa.String),
    sa.Column(c.REFEREE, sa.String),
    *(sa.Column(name, STAT_TYPE) for name in c.STAT_COLUMNS),
    sa.Column(c.SOURCE_FILE, sa.String, nullable=False),
    sa.Column(c.SOURCE_LINE, sa.Integer, nullable=False),
)

odds = sa.Table(
    "odds",
    metadata,
    sa.Column("match_id", sa.BigInteger, nullable=False),
    sa.Column(c.BOOKMAKER, sa.String, nullable=False),
    sa.Column(c.MARKET, sa.String, nullable=False),
    sa.Column(c.LINE, sa.REAL),
    sa.Column(c.TIMING, sa.String, nullable=False),
    sa.Column(c.OUTCOME, sa.String, nullable=False),
    sa.Column(c.PRICE, sa.Double, nullable=False),
)

quarantine = sa.Table(
    "quarantine",
    metadata,
    sa.Column(c.SOURCE_FILE, sa.String, primary_key=True),
    sa.Column(c.SOURCE_LINE, sa.Integer, primary_key=True),
    sa.Column(c.LEAGUE, sa.String),
    sa.Column(c.SEASON, sa.String),
    sa.Column(c.FIELD, sa.String, primary_key=True),
    sa.Column(c.REASON, sa.String, nullable=False),
    sa.Column(c.RAW, sa.String),
)

ingested_files = sa.Table(
    "ingested_files",
    metadata,
    sa.Column(c.SOURCE_FILE, sa.String, primary_key=True),
    sa.Column("file_id", sa.Integer, nullable=False, unique=True),
    sa.Column(c.LEAGUE, sa.String, nullable=False),
    sa.Column(c.SEASON, sa.String, nullable=False),
    sa.Column("sha256", sa.String, nullable=False),
    sa.Column("rows_read", sa.Integer, nullable=False),
    sa.Column("matches", sa.Integer, nullable=False),
    sa.Column("odds_rows", sa.Integer, nullable=False),
    sa.Column("quarantined", sa.Integer, nullable=False),
    sa.Column("ingested_at", sa.DateTime, nullable=False),
)

fixtures = sa.Table(
    "fixtures",
    metadata,
    sa.Column(c.LEAGUE, sa.String, primary_key=True),
    sa.Column(c.SEASON, sa.String, nullable=False),
    sa.Column(c.DATE, sa.Date, primary_key=True),
    sa.Column(c.KICKOFF, sa.DateTime, nullable=False),
    sa.Column(c.HAS_TIME, sa.Boolean, nullable=False),
    sa.Column(c.HOME, sa.String, primary_key=True),
    sa.Column(c.AWAY, sa.String, primary_key=True),
    sa.Column(c.SOURCE_FILE, sa.String, nullable=False),
    sa.Column(c.SOURCE_LINE, sa.Integer, nullable=False),
    sa.Column(FETCHED_AT, sa.DateTime, nullable=False),
)

fixture_odds = sa.Table(
    "fixture_odds",
    metadata,
    sa.Column(c.LEAGUE, sa.String, nullable=False),
    sa.Column(c.DATE, sa.Date, nullable=False),
    sa.Column(c.HOME, sa.String, nullable=False),
    sa.Column(c.AWAY, sa.String, nullable=False),
    sa.Column(c.BOOKMAKER, sa.String, nullable=False),
    sa.Column(c.MARKET, sa.String, nullable=False),
    sa.Column(c.LINE, sa.REAL),
    sa.Column(c.TIMING, sa.String, nullable=False),
    sa.Column(c.OUTCOME, sa.String, nullable=False),
    sa.Column(c.PRICE, sa.Double, nullable=False),
)

fixture_files = sa.Table(
    "fixture_files",
    metadata,
    sa.Column(c.SOURCE_FILE, sa.String, primary_key=True),
    sa.Column("sha256", sa.String, nullable=False),
    sa.Column("leagues", sa.String, nullable=False),
    sa.Column("rows_read", sa.Integer, nullable=False),
    sa.Column("fixtures", sa.Integer, nullable=False),
    sa.Column("odds_rows", sa.Integer, nullable=False),
    sa.Column("quarantined", sa.Integer, nullable=False),
    sa.Column(FETCHED_AT, sa.DateTime, nullable=False),
)

# The prediction ledger (scoreline.staging.ledger): hash-chained, append-only, stamped by the database.
_CHAIN_COLUMNS = ("prev_hash", "row_hash")

prediction_ledger = sa.Table(
    "prediction_ledger",
    metadata,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("run", sa.String, nullable=False),
    *(sa.Column(name, sa.String, nullable=False) for name in (c.LEAGUE, c.SEASON)),
    *(sa.Column(name, sa.DateTime, nullable=False) for name in (c.DATE, c.KICKOFF)),
    *(sa.Column(name, sa.String, nullable=False) for name in (c.HOME, c.AWAY, "model_name", "model_version")),
    sa.Column("predicted_at", sa.DateTime, nullable=False),
    *(sa.Column(name, sa.Double, nullable=False) for name in c.PROBABILITY_COLUMNS),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
    *(sa.Column(name, sa.String, nullable=False) for name in _CHAIN_COLUMNS),
)

prediction_scores = sa.Table(
    "prediction_scores",
    metadata,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("run", sa.String, nullable=False),
    sa.Column("prediction_seq", sa.BigInteger, nullable=False, unique=True),
    *(sa.Column(name, sa.String, nullable=False) for name in (c.LEAGUE, c.SEASON)),
    *(sa.Column(name, sa.DateTime, nullable=False) for name in (c.DATE, c.KICKOFF)),
    *(sa.Column(name, sa.String, nullable=False) for name in (c.HOME, c.AWAY, "model_version", c.RESULT)),
    sa.Column("rps", sa.Double, nullable=False),
    sa.Column("scored_at", sa.DateTime, nullable=False),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
    *(sa.Column(name, sa.String, nullable=False) for name in _CHAIN_COLUMNS),
)

schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("description", sa.String, nullable=False),
    sa.Column("applied_at", sa.DateTime, nullable=False),
)
