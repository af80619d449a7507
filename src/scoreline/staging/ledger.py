"""The prediction ledger: an append-only record of what was predicted, when, by which model version.

Staging is only honest if nobody can revise a prediction once results are known. The ledger enforces that
in the database, not by convention:

- every prediction must be made before its match's kickoff (a ``CHECK`` constraint, on every backend);
- on PostgreSQL, triggers refuse ``UPDATE``, ``DELETE`` and ``TRUNCATE`` on the ledger tables;
- DuckDB has no triggers, so each row carries a hash of its content and a gap-free sequence number;
  :meth:`Ledger.verify` (run before every read) detects any row changed or removed behind the ledger's back.

Appending is idempotent: a prediction for the same fixture and model version is recorded once; a retried step
adds no duplicate rows. Scores are appended to a second table when results arrive.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from scoreline import columns as c
from scoreline.evaluation.metrics import rps_scores

log = logging.getLogger(__name__)

LEDGER_TABLE: Final = "prediction_ledger"
SCORES_TABLE: Final = "prediction_scores"
MODEL_NAME: Final = "model_name"
MODEL_VERSION: Final = "model_version"
PREDICTED_AT: Final = "predicted_at"
SEQ: Final = "seq"
ROW_HASH: Final = "row_hash"
RPS: Final = "rps"
SCORED_AT: Final = "scored_at"
PREDICTION_COLUMNS: Final = (
    c.LEAGUE, c.SEASON, c.DATE, c.KICKOFF, c.HOME, c.AWAY, MODEL_NAME, MODEL_VERSION, PREDICTED_AT,
    *c.PROBABILITY_COLUMNS,
)  # fmt: skip
_FIXTURE_KEY: Final = (c.LEAGUE, c.DATE, c.HOME, c.AWAY, MODEL_VERSION)


class LedgerTamperedError(RuntimeError):
    """The ledger's content no longer matches its hashes or sequence: a row was changed or removed."""


class LatePredictionError(ValueError):
    """A prediction was offered at or after its match's kickoff."""


@dataclass(frozen=True)
class AppendResult:
    """What an append did: rows added and rows already present (idempotent retries)."""

    added: int
    already_present: int


def _ddl(dialect: str) -> list[str]:
    statements = [
        f"""CREATE TABLE IF NOT EXISTS {LEDGER_TABLE} (
            {SEQ} BIGINT NOT NULL PRIMARY KEY,
            league VARCHAR NOT NULL, season VARCHAR NOT NULL, date TIMESTAMP NOT NULL,
            kickoff TIMESTAMP NOT NULL, home VARCHAR NOT NULL, away VARCHAR NOT NULL,
            {MODEL_NAME} VARCHAR NOT NULL, {MODEL_VERSION} VARCHAR NOT NULL,
            {PREDICTED_AT} TIMESTAMP NOT NULL,
            p_home DOUBLE PRECISION NOT NULL, p_draw DOUBLE PRECISION NOT NULL,
            p_away DOUBLE PRECISION NOT NULL,
            {ROW_HASH} VARCHAR NOT NULL,
            UNIQUE (league, date, home, away, {MODEL_VERSION}),
            CONSTRAINT predicted_before_kickoff CHECK ({PREDICTED_AT} < kickoff),
            CONSTRAINT probabilities_are_a_distribution CHECK (
                p_home >= 0 AND p_draw >= 0 AND p_away >= 0 AND abs(p_home + p_draw + p_away - 1) < 1e-6)
        )""",
        f"""CREATE TABLE IF NOT EXISTS {SCORES_TABLE} (
            league VARCHAR NOT NULL, date TIMESTAMP NOT NULL, home VARCHAR NOT NULL, away VARCHAR NOT NULL,
            {MODEL_VERSION} VARCHAR NOT NULL, result VARCHAR NOT NULL, {RPS} DOUBLE PRECISION NOT NULL,
            {SCORED_AT} TIMESTAMP NOT NULL,
            PRIMARY KEY (league, date, home, away, {MODEL_VERSION})
        )""",
    ]
    if dialect == "postgresql":
        statements.append(
            """CREATE OR REPLACE FUNCTION scoreline_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'the %% table is append-only: %% refused', TG_TABLE_NAME, TG_OP;
            END; $$ LANGUAGE plpgsql"""
        )
        for table in (LEDGER_TABLE, SCORES_TABLE):
            statements += [
                f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
                f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
                    FOR EACH ROW EXECUTE FUNCTION scoreline_append_only()""",
                f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
                f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
                    FOR EACH STATEMENT EXECUTE FUNCTION scoreline_append_only()""",
            ]
    return statements


def _row_hashes(frame: pd.DataFrame) -> list[str]:
    """SHA-256 of each row's ledger content (sequence number included), in a fixed text form."""
    text = frame[SEQ].astype(str)
    for column in PREDICTION_COLUMNS:
        values = frame[column]
        if column in c.PROBABILITY_COLUMNS:
            rendered = values.map(lambda value: f"{float(value):.12f}")
        elif pd.api.types.is_datetime64_any_dtype(values):
            rendered = values.dt.strftime("%Y-%m-%dT%H:%M:%S")
        else:
            rendered = values.astype(str)
        text = text + "|" + rendered
    return [hashlib.sha256(row.encode()).hexdigest() for row in text]


def _insert(connection: sa.Connection, table: str, frame: pd.DataFrame) -> None:
    """Insert ``frame``'s rows into ``table`` (column names as in the frame) on ``connection``."""
    records = [{str(k): v for k, v in row.items()} for row in frame.astype(object).to_dict("records")]
    connection.execute(sa.table(table, *[sa.column(str(name)) for name in frame.columns]).insert(), records)


class Ledger:
    """Append-only prediction ledger in the store's database (DuckDB or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._ready = False

    def _ensure_schema(self) -> None:
        if self._ready:
            return
        with self._engine.begin() as connection:
            for statement in _ddl(self._engine.dialect.name):
                connection.exec_driver_sql(statement)
        self._ready = True

    def append(self, predictions: pd.DataFrame) -> AppendResult:
        """Record ``predictions`` (columns ``PREDICTION_COLUMNS``) in one transaction.

        Rows already in the ledger for the same fixture and model version are left as they are (first
        prediction wins); a prediction at or after kickoff raises :class:`LatePredictionError` and records
        nothing from the batch.
        """
        self._ensure_schema()
        missing = set(PREDICTION_COLUMNS) - set(predictions.columns)
        if missing:
            raise ValueError(f"predictions lack columns: {sorted(missing)}")
        rows = predictions.loc[:, list(PREDICTION_COLUMNS)].drop_duplicates(list(_FIXTURE_KEY))
        late = rows[rows[PREDICTED_AT] >= rows[c.KICKOFF]]
        if not late.empty:
            first = late.iloc[0]
            raise LatePredictionError(
                f"{len(late)} prediction(s) made at or after kickoff, e.g. {first[c.HOME]} v {first[c.AWAY]} "
                f"kicking off {first[c.KICKOFF]} predicted at {first[PREDICTED_AT]}"
            )
        with self._engine.begin() as connection:
            existing = self._existing_keys(connection, rows)
            new = rows.merge(existing, how="left", on=list(_FIXTURE_KEY), indicator=True)
            new = new[new["_merge"] == "left_only"].drop(columns="_merge")
            if not new.empty:
                start = connection.exec_driver_sql(
                    f"SELECT coalesce(max({SEQ}), 0) FROM {LEDGER_TABLE}"
                ).scalar()
                new = new.assign(**{SEQ: np.arange(int(start or 0) + 1, int(start or 0) + 1 + len(new))})
                new[ROW_HASH] = _row_hashes(new)
                _insert(connection, LEDGER_TABLE, new)
        return AppendResult(added=len(new), already_present=len(rows) - len(new))

    def _existing_keys(self, connection: sa.Connection, rows: pd.DataFrame) -> pd.DataFrame:
        versions = sorted(rows[MODEL_VERSION].astype(str).unique())
        query = sa.text(
            f"SELECT league, date, home, away, {MODEL_VERSION} FROM {LEDGER_TABLE} "
            f"WHERE {MODEL_VERSION} IN :versions"
        ).bindparams(sa.bindparam("versions", expanding=True))
        existing = pd.DataFrame(
            connection.execute(query, {"versions": versions}).fetchall(), columns=_FIXTURE_KEY
        )
        existing[c.DATE] = pd.to_datetime(existing[c.DATE])
        return existing

    def read(self) -> pd.DataFrame:
        """Every prediction in insertion order, after checking that none was altered or removed."""
        self._ensure_schema()
        with self._engine.connect() as connection:
            frame = pd.read_sql(sa.text(f"SELECT * FROM {LEDGER_TABLE} ORDER BY {SEQ}"), connection)
        for column in (c.DATE, c.KICKOFF, PREDICTED_AT):
            frame[column] = pd.to_datetime(frame[column])
        self._verify(frame)
        return frame

    def verify(self) -> int:
        """Check every row's hash and the sequence; return the number of rows, raise if tampered."""
        return len(self.read())

    @staticmethod
    def _verify(frame: pd.DataFrame) -> None:
        if frame.empty:
            return
        expected_seq = np.arange(1, len(frame) + 1)
        if not np.array_equal(frame[SEQ].to_numpy(), expected_seq):
            raise LedgerTamperedError("the ledger's sequence has gaps: rows were deleted")
        changed = frame[np.array(_row_hashes(frame)) != frame[ROW_HASH].to_numpy()]
        if not changed.empty:
            raise LedgerTamperedError(
                f"{len(changed)} ledger row(s) changed after recording, first seq {changed[SEQ].iloc[0]}"
            )

    def score(self, results: pd.DataFrame, scored_at: pd.Timestamp) -> AppendResult:
        """Append scores for ledger predictions whose matches now have a ``result`` in ``results``."""
        ledger = self.read()
        with self._engine.connect() as connection:
            done = pd.read_sql(
                sa.text(f"SELECT league, date, home, away, {MODEL_VERSION} FROM {SCORES_TABLE}"), connection
            )
        done[c.DATE] = pd.to_datetime(done[c.DATE])
        finished = results.loc[results[c.RESULT].notna(), [c.LEAGUE, c.DATE, c.HOME, c.AWAY, c.RESULT]]
        todo = ledger.merge(finished, on=[c.LEAGUE, c.DATE, c.HOME, c.AWAY])
        todo = todo.merge(done, how="left", on=list(_FIXTURE_KEY), indicator=True)
        todo = todo[todo["_merge"] == "left_only"]
        if todo.empty:
            return AppendResult(added=0, already_present=0)
        outcome = todo[c.RESULT].map(c.RESULT_TO_INDEX).to_numpy()
        scores = todo[[c.LEAGUE, c.DATE, c.HOME, c.AWAY, MODEL_VERSION, c.RESULT]].copy()
        scores[RPS] = rps_scores(todo[list(c.PROBABILITY_COLUMNS)].to_numpy(), outcome)
        scores[SCORED_AT] = scored_at
        with self._engine.begin() as connection:
            _insert(connection, SCORES_TABLE, scores)
        return AppendResult(added=len(scores), already_present=0)

    def read_with_scores(self) -> pd.DataFrame:
        """Every prediction with its result and RPS where scored (NaN/None where not yet)."""
        ledger = self.read()
        with self._engine.connect() as connection:
            scores = pd.read_sql(sa.text(f"SELECT * FROM {SCORES_TABLE}"), connection)
        scores[c.DATE] = pd.to_datetime(scores[c.DATE])
        return ledger.merge(scores, on=list(_FIXTURE_KEY), how="left")

    def scored(self) -> pd.DataFrame:
        """Ledger predictions joined with their scores (only scored rows)."""
        ledger = self.read()
        with self._engine.connect() as connection:
            scores = pd.read_sql(sa.text(f"SELECT * FROM {SCORES_TABLE}"), connection)
        scores[c.DATE] = pd.to_datetime(scores[c.DATE])
        return ledger.merge(scores, on=list(_FIXTURE_KEY))
