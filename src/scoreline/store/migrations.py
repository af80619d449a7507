"""Ordered schema migrations, applied once each on first use of a store.

The ``schema_version`` table records every applied migration. :func:`migrate` runs the missing ones in order,
in one transaction (both DuckDB and PostgreSQL have transactional DDL), so a store is either at the old or
at the new version. On PostgreSQL a transaction-scoped advisory lock serialises concurrent first uses; a
DuckDB file has a single writer anyway. Never edit a released migration: append a new one and update
:mod:`scoreline.store.schema` to the resulting tables.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

logger = logging.getLogger(__name__)

_ADVISORY_LOCK_KEY = 7_240_815_001  # arbitrary constant identifying scoreline's migration lock
# The database's own clock, UTC, constant within a transaction (both DuckDB and PostgreSQL): the ledger's
# ``recorded_at``. On PostgreSQL a trigger sets it on every insert, whatever the writer sent.
DATABASE_NOW = "(CURRENT_TIMESTAMP AT TIME ZONE 'UTC')"
LEDGER_OWNER_ROLE = "scoreline_ledger_owner"  # owns the ledger tables (and their append-only triggers)
LEDGER_WRITER_ROLE = "scoreline_writer"  # the application: INSERT and SELECT only on the ledger tables


@dataclass(frozen=True)
class Migration:
    """One schema step: statements for every backend, then statements for PostgreSQL only (indexes)."""

    version: int
    description: str
    statements: tuple[str, ...]
    postgresql_only: tuple[str, ...] = ()


_STATS = ", ".join(
    f"{name} SMALLINT"
    for name in (
        "home_shots", "away_shots", "home_shots_on_target", "away_shots_on_target", "home_fouls",
        "away_fouls", "home_corners", "away_corners", "home_yellow", "away_yellow", "home_red", "away_red",
    )
)  # fmt: skip

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        version=1,
        description="matches, odds, quarantine and ingested_files tables",
        statements=(
            f"""CREATE TABLE matches (
                match_id BIGINT NOT NULL UNIQUE, league VARCHAR NOT NULL, season VARCHAR NOT NULL,
                date DATE NOT NULL, kickoff TIMESTAMP NOT NULL, has_time BOOLEAN NOT NULL,
                home VARCHAR NOT NULL,
                away VARCHAR NOT NULL, home_goals SMALLINT, away_goals SMALLINT, home_goals_ht SMALLINT,
                away_goals_ht SMALLINT, result VARCHAR, referee VARCHAR, {_STATS},
                source_file VARCHAR NOT NULL, source_line INTEGER NOT NULL,
                PRIMARY KEY (league, date, home, away))""",
            """CREATE TABLE odds (
                match_id BIGINT NOT NULL, bookmaker VARCHAR NOT NULL, market VARCHAR NOT NULL, line REAL,
                timing VARCHAR NOT NULL, outcome VARCHAR NOT NULL, price DOUBLE PRECISION NOT NULL)""",
            """CREATE TABLE quarantine (
                source_file VARCHAR NOT NULL, source_line INTEGER NOT NULL, league VARCHAR, season VARCHAR,
                field VARCHAR NOT NULL, reason VARCHAR NOT NULL, raw VARCHAR,
                PRIMARY KEY (source_file, source_line, field))""",
            """CREATE TABLE ingested_files (
                source_file VARCHAR NOT NULL PRIMARY KEY, file_id INTEGER NOT NULL UNIQUE,
                league VARCHAR NOT NULL, season VARCHAR NOT NULL,
                sha256 VARCHAR NOT NULL, rows_read INTEGER NOT NULL, matches INTEGER NOT NULL,
                odds_rows INTEGER NOT NULL, quarantined INTEGER NOT NULL, ingested_at TIMESTAMP NOT NULL)""",
        ),
        postgresql_only=(
            "CREATE INDEX matches_source_file_idx ON matches (source_file)",
            "CREATE INDEX matches_league_season_idx ON matches (league, season)",
            "CREATE INDEX odds_match_id_idx ON odds (match_id)",
        ),
    ),
    Migration(
        version=2,
        description="fixtures, fixture_odds and fixture_files tables (football-data's fixtures.csv)",
        statements=(
            """CREATE TABLE fixtures (
                league VARCHAR NOT NULL, season VARCHAR NOT NULL, date DATE NOT NULL,
                kickoff TIMESTAMP NOT NULL, has_time BOOLEAN NOT NULL, home VARCHAR NOT NULL,
                away VARCHAR NOT NULL, source_file VARCHAR NOT NULL, source_line INTEGER NOT NULL,
                fetched_at TIMESTAMP NOT NULL,
                PRIMARY KEY (league, date, home, away))""",
            """CREATE TABLE fixture_odds (
                league VARCHAR NOT NULL, date DATE NOT NULL, home VARCHAR NOT NULL, away VARCHAR NOT NULL,
                bookmaker VARCHAR NOT NULL, market VARCHAR NOT NULL, line REAL, timing VARCHAR NOT NULL,
                outcome VARCHAR NOT NULL, price DOUBLE PRECISION NOT NULL)""",
            """CREATE TABLE fixture_files (
                source_file VARCHAR NOT NULL PRIMARY KEY, sha256 VARCHAR NOT NULL, leagues VARCHAR NOT NULL,
                rows_read INTEGER NOT NULL, fixtures INTEGER NOT NULL, odds_rows INTEGER NOT NULL,
                quarantined INTEGER NOT NULL, fetched_at TIMESTAMP NOT NULL)""",
        ),
        postgresql_only=("CREATE INDEX fixture_odds_key_idx ON fixture_odds (league, date, home, away)",),
    ),
    Migration(
        version=3,
        description="prediction ledger and scores: hash-chained, stamped by the database, live or replay",
        statements=(
            # Ledgers made before migrations owned them (no chain, no recorded_at) are kept, renamed.
            "ALTER TABLE IF EXISTS prediction_ledger RENAME TO prediction_ledger_unchained",
            "ALTER TABLE IF EXISTS prediction_scores RENAME TO prediction_scores_unchained",
            f"""CREATE TABLE prediction_ledger (
                seq BIGINT NOT NULL PRIMARY KEY, run VARCHAR NOT NULL,
                league VARCHAR NOT NULL, season VARCHAR NOT NULL, date TIMESTAMP NOT NULL,
                kickoff TIMESTAMP NOT NULL, home VARCHAR NOT NULL, away VARCHAR NOT NULL,
                model_name VARCHAR NOT NULL, model_version VARCHAR NOT NULL, predicted_at TIMESTAMP NOT NULL,
                p_home DOUBLE PRECISION NOT NULL, p_draw DOUBLE PRECISION NOT NULL,
                p_away DOUBLE PRECISION NOT NULL,
                recorded_at TIMESTAMP NOT NULL DEFAULT {DATABASE_NOW},
                prev_hash VARCHAR NOT NULL, row_hash VARCHAR NOT NULL,
                UNIQUE (run, league, season, home, away, model_version, predicted_at),
                CONSTRAINT predicted_before_kickoff CHECK (predicted_at < kickoff),
                CONSTRAINT probabilities_are_a_distribution CHECK (
                    p_home >= 0 AND p_draw >= 0 AND p_away >= 0
                    AND abs(p_home + p_draw + p_away - 1) < 1e-6))""",
            f"""CREATE TABLE prediction_scores (
                seq BIGINT NOT NULL PRIMARY KEY, run VARCHAR NOT NULL, prediction_seq BIGINT NOT NULL UNIQUE,
                league VARCHAR NOT NULL, season VARCHAR NOT NULL, date TIMESTAMP NOT NULL,
                kickoff TIMESTAMP NOT NULL, home VARCHAR NOT NULL, away VARCHAR NOT NULL,
                model_version VARCHAR NOT NULL, result VARCHAR NOT NULL, rps DOUBLE PRECISION NOT NULL,
                scored_at TIMESTAMP NOT NULL, recorded_at TIMESTAMP NOT NULL DEFAULT {DATABASE_NOW},
                prev_hash VARCHAR NOT NULL, row_hash VARCHAR NOT NULL,
                UNIQUE (run, league, season, home, away, model_version))""",
        ),
        postgresql_only=(
            """CREATE OR REPLACE FUNCTION scoreline_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION USING MESSAGE = 'the ' || TG_TABLE_NAME || ' table is append-only: '
                    || TG_OP || ' refused';
            END; $$ LANGUAGE plpgsql""",
            f"""CREATE OR REPLACE FUNCTION scoreline_stamp_recorded_at() RETURNS trigger AS $$
            BEGIN
                NEW.recorded_at := {DATABASE_NOW};
                RETURN NEW;
            END; $$ LANGUAGE plpgsql""",
            *(
                statement
                for table in ("prediction_ledger", "prediction_scores")
                for statement in (
                    f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
                        FOR EACH ROW EXECUTE FUNCTION scoreline_append_only()""",
                    f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
                        FOR EACH STATEMENT EXECUTE FUNCTION scoreline_append_only()""",
                    f"""CREATE TRIGGER {table}_recorded_at BEFORE INSERT ON {table}
                        FOR EACH ROW EXECUTE FUNCTION scoreline_stamp_recorded_at()""",
                )
            ),
            f"""DO $$
            BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_roles
                               WHERE rolname = current_user AND (rolsuper OR rolcreaterole)) THEN
                    RAISE WARNING USING MESSAGE = 'scoreline - ' || current_user || ' may not create roles, '
                        || 'the ledger tables stay owned by it (docs/deploy.md sets up the roles by hand)';
                    RETURN;
                END IF;
                BEGIN
                    CREATE ROLE {LEDGER_OWNER_ROLE} NOLOGIN;
                EXCEPTION WHEN duplicate_object THEN NULL;
                END;
                BEGIN
                    CREATE ROLE {LEDGER_WRITER_ROLE} NOLOGIN;
                EXCEPTION WHEN duplicate_object THEN NULL;
                END;
                BEGIN
                    EXECUTE 'GRANT USAGE ON SCHEMA ' || quote_ident(current_schema())
                        || ' TO {LEDGER_OWNER_ROLE}, {LEDGER_WRITER_ROLE}';
                    EXECUTE 'GRANT {LEDGER_OWNER_ROLE} TO ' || quote_ident(current_user);
                    GRANT SELECT, INSERT, UPDATE, DELETE ON matches, odds, quarantine, ingested_files,
                        fixtures, fixture_odds, fixture_files TO {LEDGER_WRITER_ROLE};
                    GRANT SELECT ON schema_version TO {LEDGER_WRITER_ROLE};
                    GRANT SELECT, INSERT ON prediction_ledger, prediction_scores TO {LEDGER_WRITER_ROLE};
                    ALTER TABLE prediction_ledger OWNER TO {LEDGER_OWNER_ROLE};
                    ALTER TABLE prediction_scores OWNER TO {LEDGER_OWNER_ROLE};
                EXCEPTION WHEN insufficient_privilege THEN
                    RAISE WARNING USING MESSAGE = 'scoreline - could not hand the ledger tables to '
                        || '{LEDGER_OWNER_ROLE} - ' || SQLERRM;
                END;
            END $$""",
        ),
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version


class SchemaVersionError(RuntimeError):
    """The database was migrated by a newer scoreline than this one."""


def migrate(engine: sa.Engine) -> int:
    """Bring the database at ``engine`` to :data:`LATEST_VERSION`; return the number of migrations applied."""
    is_postgres = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        if is_postgres:
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY})
        if not sa.inspect(conn).has_table("schema_version"):  # a writer role may not create tables
            conn.execute(
                sa.text(
                    "CREATE TABLE schema_version (version INTEGER NOT NULL PRIMARY KEY, "
                    "description VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
                )
            )
        current = conn.execute(sa.text("SELECT max(version) FROM schema_version")).scalar() or 0
        if current > LATEST_VERSION:
            raise SchemaVersionError(
                f"store {engine.url.render_as_string()} is at schema version {current}, newer than this "
                f"scoreline's {LATEST_VERSION}: upgrade scoreline"
            )
        pending = [m for m in MIGRATIONS if m.version > current]
        for migration in pending:
            logger.info("migrating store to schema version %d: %s", migration.version, migration.description)
            for statement in migration.statements + (migration.postgresql_only if is_postgres else ()):
                conn.execute(sa.text(statement))
            conn.execute(
                sa.text("INSERT INTO schema_version VALUES (:version, :description, :applied_at)"),
                {
                    "version": migration.version,
                    "description": migration.description,
                    "applied_at": datetime.now(UTC).replace(tzinfo=None),
                },
            )
    return len(pending)
