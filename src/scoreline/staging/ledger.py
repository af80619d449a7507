"""The prediction ledger: an append-only, tamper-evident record of what was predicted, when, by which version.

Staging is only honest if nobody can revise a prediction once results are known, nor pass off a prediction
made afterwards as one made before. What holds, and against whom, is in docs/staging.md; in short:

- **The database keeps the clock.** Every row gets ``recorded_at`` from the database's own clock (a column
  default; on PostgreSQL a trigger overwrites whatever the writer sent). A *live* append refuses any
  ``predicted_at`` more than :data:`MAX_CLOCK_SKEW` away from that clock, so a live row was made when it says.
  Predictions for another time (replays of past seasons, simulated days) are written under an explicit replay
  run identifier (``run``), shown as replays and never counted in the live monitor.
- **A keyed hash chain.** Each prediction row and each score row carries ``row_hash = HMAC(key, prev_hash,
  row)``, where ``prev_hash`` is the previous row's hash in its table (two chains: predictions, scores). The
  key comes from the settings (``SCORELINE_LEDGER_KEY``, else a key file under ``SCORELINE_HOME``), never
  from the database, so someone who can write to the database but lacks the key can neither edit a row and
  recompute its hash nor insert a row that verifies.
- **The chain's head lives outside the database.** After every append the last sequence number and hash of
  both chains are written to a file under ``SCORELINE_HOME`` (:class:`HeadFile`); a ledger shorter than its
  recorded head (a deleted tail), a head row whose hash differs, or a dropped table is tamper.
- Every read verifies the whole ledger first (:meth:`Ledger.verify`); a failure raises
  :class:`LedgerTamperedError` naming what was found. ``scoreline ledger verify`` runs the same check.
- On PostgreSQL, triggers also refuse ``UPDATE``, ``DELETE`` and ``TRUNCATE``, and the migration hands the
  tables to an owner role and gives the application's writer role ``INSERT`` and ``SELECT`` only.

Appending is idempotent: a prediction identical to the latest one recorded for the same match, model version
and run (same kickoff and probabilities) is not recorded again, so a retried step adds no rows. A changed
prediction (new probabilities, or a rescheduled kickoff) is a new row. When results arrive, each (match, model
version, run) is scored once: its latest prediction made before the match's real kickoff, under that kickoff.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from scoreline import columns as c
from scoreline.evaluation.metrics import rps_scores
from scoreline.io import write_atomic
from scoreline.store import schema
from scoreline.store.migrations import DATABASE_NOW, migrate

log = logging.getLogger(__name__)

LEDGER_TABLE: Final = "prediction_ledger"
SCORES_TABLE: Final = "prediction_scores"
SEQ: Final = "seq"
RUN: Final = "run"
MODEL_NAME: Final = "model_name"
MODEL_VERSION: Final = "model_version"
PREDICTED_AT: Final = "predicted_at"
RECORDED_AT: Final = "recorded_at"
PREV_HASH: Final = "prev_hash"
ROW_HASH: Final = "row_hash"
PREDICTION_SEQ: Final = "prediction_seq"
RPS: Final = "rps"
SCORED_AT: Final = "scored_at"
LIVE_RUN: Final = "live"  # the run of live predictions; any other run is a replay
AS_OF_REPLAY_RUN: Final = "as-of"  # the run of pipeline steps given an explicit as_of (simulated days)
MAX_CLOCK_SKEW: Final = pd.Timedelta(minutes=5)  # how far a live predicted_at may be from the database clock
GENESIS_HASH: Final = "0" * 64  # prev_hash of each chain's first row
KEY_FILE: Final = "ledger.key"
HEADS_FOLDER: Final = "ledger"
PREDICTION_COLUMNS: Final = (
    c.LEAGUE, c.SEASON, c.DATE, c.KICKOFF, c.HOME, c.AWAY, MODEL_NAME, MODEL_VERSION, PREDICTED_AT,
    *c.PROBABILITY_COLUMNS,
)  # fmt: skip
MATCH_IDENTITY: Final = (c.LEAGUE, c.SEASON, c.HOME, c.AWAY)  # a match, whatever its (re)scheduled date
PREDICTION_KEY: Final = (RUN, *MATCH_IDENTITY, MODEL_VERSION)  # scored once each
_HASHED: Final = {
    LEDGER_TABLE: (SEQ, RUN, *PREDICTION_COLUMNS, RECORDED_AT, PREV_HASH),
    SCORES_TABLE: (
        SEQ, RUN, PREDICTION_SEQ, c.LEAGUE, c.SEASON, c.DATE, c.KICKOFF, c.HOME, c.AWAY, MODEL_VERSION,
        c.RESULT, RPS, SCORED_AT, RECORDED_AT, PREV_HASH,
    ),
}  # fmt: skip
_TABLES: Final = {LEDGER_TABLE: schema.prediction_ledger, SCORES_TABLE: schema.prediction_scores}
_TIME_COLUMNS: Final = (c.DATE, c.KICKOFF, PREDICTED_AT, SCORED_AT, RECORDED_AT)
_PG_APPEND_LOCK: Final = 7_240_815_002  # advisory lock serialising appends (the chain needs one writer)


class LedgerTamperedError(RuntimeError):
    """The ledger no longer matches its keyed hash chain or recorded head: rows changed or went missing."""


class LatePredictionError(ValueError):
    """A prediction was offered at or after its match's kickoff."""


class ClockSkewError(ValueError):
    """A live prediction's ``predicted_at`` is too far from the database's clock (a replay needs a run id)."""


@dataclass(frozen=True)
class AppendResult:
    """What an append did: rows added and rows already present (idempotent retries)."""

    added: int
    already_present: int


@dataclass(frozen=True)
class ChainHead:
    """The last row of one chain: its sequence number and hash (``0`` and the genesis hash when empty)."""

    seq: int
    row_hash: str


EMPTY_HEAD: Final = ChainHead(0, GENESIS_HASH)


@dataclass(frozen=True)
class RunCount:
    """One run's rows: ``live`` or a replay run identifier."""

    run: str
    predictions: int
    scores: int

    @property
    def replay(self) -> bool:
        return self.run != LIVE_RUN


@dataclass(frozen=True)
class VerifyReport:
    """What :meth:`Ledger.verify` checked: both chains' heads and the rows per run."""

    predictions: ChainHead
    scores: ChainHead
    runs: tuple[RunCount, ...]
    head_file: Path


@dataclass(frozen=True)
class _Verified:
    """Both tables as read and verified, with their heads."""

    predictions: pd.DataFrame
    scores: pd.DataFrame
    heads: dict[str, ChainHead]


class HeadFile:
    """The chains' heads, kept outside the database (a JSON file written atomically after each append)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> dict[str, ChainHead] | None:
        """The recorded heads per table, or ``None`` if no append was ever recorded here."""
        if not self.path.exists():
            return None
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
            heads = document.items()
            return {name: ChainHead(int(item["seq"]), str(item["row_hash"])) for name, item in heads}
        except (ValueError, KeyError, TypeError) as error:
            raise LedgerTamperedError(f"the ledger head file {self.path} is unreadable: {error}") from None

    def write(self, heads: dict[str, ChainHead]) -> None:
        document = {table: {"seq": head.seq, "row_hash": head.row_hash} for table, head in heads.items()}
        write_atomic(self.path, json.dumps(document, indent=1, sort_keys=True) + "\n")


def ledger_key(home: Path, configured: str | None) -> bytes:
    """The chain's key: ``configured`` (``SCORELINE_LEDGER_KEY``), else ``home/ledger.key`` (made if new)."""
    if configured:
        return configured.encode("utf-8")
    path = home / KEY_FILE
    if not path.exists():
        log.warning("SCORELINE_LEDGER_KEY is not set: keying the ledger with a new key file %s", path)
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text(encoding="utf-8").strip().encode("utf-8")


def head_file_path(home: Path, engine: Engine) -> Path:
    """Where the heads of the ledger at ``engine`` are recorded: one file per database (password left out)."""
    identity = engine.url.render_as_string(hide_password=True)
    return home / HEADS_FOLDER / f"{hashlib.sha256(identity.encode()).hexdigest()[:16]}.head.json"


def _text(value: Any) -> Any:
    """A value in the chain's canonical form: ISO timestamps, exact float text, plain strings and ints."""
    if isinstance(value, datetime):
        return pd.Timestamp(value).isoformat()
    if isinstance(value, float | np.floating):
        return repr(float(value))
    if isinstance(value, int | np.integer):
        return int(value)
    return str(value)


def row_digest(key: bytes, table: str, row: Mapping[Any, Any]) -> str:
    """HMAC-SHA256 of one row of ``table`` (its hashed columns, ``prev_hash`` included) under ``key``."""
    message = json.dumps([table, *(_text(row[column]) for column in _HASHED[table])], separators=(",", ":"))
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()


def _chain(key: bytes, table: str, frame: pd.DataFrame, head: ChainHead) -> pd.DataFrame:
    """``frame`` numbered after ``head`` with ``prev_hash`` and ``row_hash`` filled in, in order."""
    out = frame.assign(**{SEQ: np.arange(head.seq + 1, head.seq + 1 + len(frame))}).reset_index(drop=True)
    previous, prev_hashes, row_hashes = head.row_hash, [], []
    for row in out.to_dict("records"):
        row[PREV_HASH] = previous
        previous = row_digest(key, table, row)
        prev_hashes.append(row[PREV_HASH])
        row_hashes.append(previous)
    return out.assign(**{PREV_HASH: prev_hashes, ROW_HASH: row_hashes})


def check_chain(key: bytes, table: str, frame: pd.DataFrame) -> ChainHead:
    """The head of ``frame`` (in ``seq`` order); :class:`LedgerTamperedError` unless an unbroken chain."""
    expected_seq = np.arange(1, len(frame) + 1)
    if not np.array_equal(frame[SEQ].to_numpy(dtype=np.int64), expected_seq):
        raise LedgerTamperedError(f"{table}: the sequence has gaps or repeats (rows deleted or inserted)")
    previous = GENESIS_HASH
    for row in frame.to_dict("records"):
        if row[PREV_HASH] != previous or row_digest(key, table, row) != row[ROW_HASH]:
            raise LedgerTamperedError(
                f"{table}: row {row[SEQ]} does not match its keyed hash (changed, inserted or re-hashed "
                "without the ledger key)"
            )
        previous = row[ROW_HASH]
    earlier = (frame[RECORDED_AT].diff() < -MAX_CLOCK_SKEW).to_numpy()
    if earlier.any():
        first = int(frame[SEQ][earlier].iloc[0])
        raise LedgerTamperedError(f"{table}: row {first} was recorded before the row before it (backdated)")
    return EMPTY_HEAD if frame.empty else ChainHead(int(frame[SEQ].iloc[-1]), str(frame[ROW_HASH].iloc[-1]))


def latest_predictions(predictions: pd.DataFrame) -> pd.DataFrame:
    """The latest prediction per run, match and model version (a changed prediction replaces the earlier)."""
    ordered = predictions.sort_values([PREDICTED_AT, SEQ], kind="stable")
    return ordered.drop_duplicates(list(PREDICTION_KEY), keep="last").sort_values(SEQ).reset_index(drop=True)


def predictions_to_score(predictions: pd.DataFrame, results: pd.DataFrame) -> pd.DataFrame:
    """Per (run, match, version): the latest prediction made before the match's real kickoff, with its result.

    ``results`` are played matches (league, season, date, kickoff, home, away, result); a match is known by
    league, season and teams, so a prediction made under an earlier (rescheduled) date still counts, and is
    scored under the real date and kickoff. Predictions made at or after the real kickoff never count.
    """
    played = results.loc[results[c.RESULT].isin(list(c.RESULT_TO_INDEX))]
    real = played[[*MATCH_IDENTITY, c.DATE, c.KICKOFF, c.RESULT]].assign(
        **{c.SEASON: played[c.SEASON].astype(str)}
    )
    real = real.rename(columns={c.DATE: "real_date", c.KICKOFF: "real_kickoff"}).drop_duplicates(
        list(MATCH_IDENTITY), keep="last"
    )
    joined = predictions.merge(real, on=list(MATCH_IDENTITY))
    kickoff = pd.to_datetime(joined["real_kickoff"]).fillna(pd.to_datetime(joined["real_date"]))
    on_time = joined[joined[PREDICTED_AT] < kickoff].assign(real_kickoff=kickoff)
    latest = on_time.sort_values([PREDICTED_AT, SEQ], kind="stable").drop_duplicates(
        list(PREDICTION_KEY), keep="last"
    )
    return latest.sort_values(SEQ).reset_index(drop=True)


class Ledger:
    """Append-only, hash-chained prediction ledger in the store's database (DuckDB or PostgreSQL).

    ``key`` and ``head_file`` default to the settings (``SCORELINE_LEDGER_KEY`` or the key file, and the
    head file under ``SCORELINE_HOME``).
    """

    def __init__(self, engine: Engine, key: bytes | None = None, head_file: Path | None = None) -> None:
        self._engine = engine
        self._key = key
        self._head_path = head_file
        self._ready = False

    @property
    def key(self) -> bytes:
        if self._key is None:
            from scoreline.settings import get_settings

            settings = get_settings()
            configured = settings.ledger_key.get_secret_value() if settings.ledger_key else None
            self._key = ledger_key(settings.home_dir, configured)
        return self._key

    @property
    def head_file(self) -> HeadFile:
        if self._head_path is None:
            from scoreline.settings import get_settings

            self._head_path = head_file_path(get_settings().home_dir, self._engine)
        return HeadFile(self._head_path)

    def _ensure_schema(self) -> None:
        if not self._ready:
            migrate(self._engine)
            self._ready = True

    # --- reading and verifying -------------------------------------------------------------------------

    def _load(self, connection: sa.Connection, adopt: bool = False) -> _Verified:
        """Both tables in ``seq`` order, verified against the chain and the recorded heads."""
        frames = {}
        for name, table in _TABLES.items():
            if not sa.inspect(connection).has_table(name):
                raise LedgerTamperedError(f"the ledger table {name} is missing (dropped?)")
            query = sa.select(*table.columns).order_by(table.c[SEQ])
            frame = pd.DataFrame(connection.execute(query).fetchall(), columns=list(table.columns.keys()))
            for column in _TIME_COLUMNS:
                if column in frame.columns:
                    frame[column] = pd.to_datetime(frame[column])
            frame[SEQ] = frame[SEQ].astype(np.int64)
            frames[name] = frame
        heads = {name: check_chain(self.key, name, frame) for name, frame in frames.items()}
        self._check_heads(heads, frames, adopt)
        _check_scores(frames[LEDGER_TABLE], frames[SCORES_TABLE])
        return _Verified(frames[LEDGER_TABLE], frames[SCORES_TABLE], heads)

    def _check_heads(self, heads: dict[str, ChainHead], frames: dict[str, pd.DataFrame], adopt: bool) -> None:
        recorded = self.head_file.read()
        if recorded is None:
            if any(head.seq for head in heads.values()) and not adopt:
                raise LedgerTamperedError(
                    f"the ledger holds rows but no chain head was recorded at {self.head_file.path}: cannot "
                    "rule out rows deleted from its end (a new machine or home: check the ledger's row "
                    "counts, then run `scoreline ledger verify --adopt` to record its head here)"
                )
            return
        for name, head in recorded.items():
            found = heads.get(name, EMPTY_HEAD)
            if found.seq < head.seq:
                raise LedgerTamperedError(
                    f"{name}: {head.seq - found.seq} row(s) missing from the end (recorded head is row "
                    f"{head.seq}, the table ends at row {found.seq}; if the database was recreated on "
                    f"purpose, remove {self.head_file.path})"
                )
            frame = frames[name]
            if head.seq and frame.loc[frame[SEQ] == head.seq, ROW_HASH].iloc[0] != head.row_hash:
                raise LedgerTamperedError(f"{name}: row {head.seq} differs from the recorded head")

    def read(self, run: str | None = None) -> pd.DataFrame:
        """Every prediction in insertion order (of ``run`` only, if given), after verifying the ledger."""
        self._ensure_schema()
        with self._engine.connect() as connection:
            predictions = self._load(connection).predictions
        return predictions if run is None else predictions[predictions[RUN] == run].reset_index(drop=True)

    def verify(self, adopt: bool = False) -> VerifyReport:
        """Check both chains, the recorded heads and the scores; :class:`LedgerTamperedError` if tampered.

        A head file behind the database (a crash between commit and head write) is moved forward: the rows
        after it verify under the key, which only the ledger's writer holds. ``adopt`` records the head of a
        ledger this home has no head for (a new machine), after the chain checks out.
        """
        self._ensure_schema()
        with self._engine.connect() as connection:
            loaded = self._load(connection, adopt)
        predictions, scores, heads = loaded.predictions, loaded.scores, loaded.heads
        if self.head_file.read() != heads:
            self.head_file.write(heads)
        runs = sorted(set(predictions[RUN]) | set(scores[RUN]), key=lambda run: (run != LIVE_RUN, run))
        counts = tuple(
            RunCount(run, int((predictions[RUN] == run).sum()), int((scores[RUN] == run).sum()))
            for run in runs
        )
        return VerifyReport(heads[LEDGER_TABLE], heads[SCORES_TABLE], counts, self.head_file.path)

    def read_with_scores(self, run: str = LIVE_RUN) -> pd.DataFrame:
        """One row per match and model version of ``run``: the scored prediction (under the match's real date
        and kickoff, with ``result`` and ``rps``) or, until scored, the latest prediction (no result)."""
        self._ensure_schema()
        with self._engine.connect() as connection:
            loaded = self._load(connection)
        predictions = loaded.predictions[loaded.predictions[RUN] == run]
        scores = loaded.scores[loaded.scores[RUN] == run]
        scored_rows = predictions.merge(
            scores[[PREDICTION_SEQ, c.DATE, c.KICKOFF, c.RESULT, RPS, SCORED_AT]].rename(
                columns={PREDICTION_SEQ: SEQ}
            ),
            on=SEQ,
            suffixes=("_predicted", ""),
        ).drop(columns=[f"{c.DATE}_predicted", f"{c.KICKOFF}_predicted"])
        scored_keys = scored_rows[list(PREDICTION_KEY)].drop_duplicates()
        pending = latest_predictions(predictions).merge(
            scored_keys, on=list(PREDICTION_KEY), how="left", indicator=True
        )
        pending = pending[pending["_merge"] == "left_only"].drop(columns="_merge")
        combined = pd.concat([scored_rows, pending], ignore_index=True)
        return combined.sort_values(SEQ, kind="stable").reset_index(drop=True)

    def scored(self, run: str = LIVE_RUN) -> pd.DataFrame:
        """The scored predictions of ``run`` (one per match and model version), under the real kickoff."""
        frame = self.read_with_scores(run)
        return frame[frame[c.RESULT].notna()].reset_index(drop=True)

    # --- appending ---------------------------------------------------------------------------------------

    def _begin_append(self, connection: sa.Connection) -> pd.Timestamp:
        """Serialise appends (PostgreSQL) and return the database's clock for this transaction."""
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_APPEND_LOCK})
        return pd.Timestamp(connection.execute(sa.text(f"SELECT {DATABASE_NOW}")).scalar_one())

    def _insert(
        self, connection: sa.Connection, name: str, rows: pd.DataFrame, head: ChainHead, now: pd.Timestamp
    ) -> ChainHead:
        """Chain ``rows`` after ``head`` and insert them; ``recorded_at`` is the database's default."""
        chained = _chain(self.key, name, rows.assign(**{RECORDED_AT: now}), head)
        table = _TABLES[name]
        columns = [column for column in table.columns.keys() if column != RECORDED_AT]  # noqa: SIM118
        records = [
            {column: _python(row[column]) for column in columns}
            for row in chained.loc[:, columns].to_dict("records")
        ]
        connection.execute(sa.insert(table), records)
        return ChainHead(int(chained[SEQ].iloc[-1]), str(chained[ROW_HASH].iloc[-1]))

    def _commit_heads(self, heads: dict[str, ChainHead]) -> None:
        """Record ``heads`` after a commit, never moving a head back (another process may have appended
        after this one's commit and recorded its head first)."""
        recorded = self.head_file.read() or {}
        newest = {
            name: max(head, recorded.get(name, EMPTY_HEAD), key=lambda item: item.seq)
            for name, head in heads.items()
        }
        self.head_file.write(newest)

    def append(self, predictions: pd.DataFrame, replay_run: str | None = None) -> AppendResult:
        """Record ``predictions`` (columns ``PREDICTION_COLUMNS``) in one transaction.

        Live (``replay_run`` is ``None``): every ``predicted_at`` (naive UTC) must be within
        :data:`MAX_CLOCK_SKEW` of the database's clock, else :class:`ClockSkewError`. A replay names its run
        (any identifier but ``"live"``). A prediction identical to the latest recorded for its match, version
        and run is already present; a prediction at or after kickoff raises :class:`LatePredictionError`.
        Nothing of a refused batch is recorded.
        """
        run = _check_run(replay_run)
        rows = _prediction_rows(predictions, run)
        self._ensure_schema()
        with self._engine.begin() as connection:
            now = self._begin_append(connection)
            if run == LIVE_RUN:
                _check_clock(rows, now)
            loaded = self._load(connection)
            new = _new_predictions(rows, loaded.predictions)
            heads = dict(loaded.heads)
            if not new.empty:
                heads[LEDGER_TABLE] = self._insert(connection, LEDGER_TABLE, new, heads[LEDGER_TABLE], now)
        if not new.empty:
            self._commit_heads(heads)
        return AppendResult(added=len(new), already_present=len(rows) - len(new))

    def score(
        self, results: pd.DataFrame, scored_at: pd.Timestamp, replay_run: str | None = None
    ) -> AppendResult:
        """Score the run's predictions (live, or ``replay_run``) whose matches have a result in ``results``.

        Each (match, model version) is scored once, with its latest prediction made before the real kickoff;
        ``results`` needs league, season, date, kickoff, home, away and result.
        """
        run = _check_run(replay_run)
        self._ensure_schema()
        with self._engine.begin() as connection:
            now = self._begin_append(connection)
            loaded = self._load(connection)
            predictions = loaded.predictions
            todo = predictions_to_score(predictions[predictions[RUN] == run], results)
            done = loaded.scores[list(PREDICTION_KEY)].drop_duplicates()
            todo = todo.merge(done, on=list(PREDICTION_KEY), how="left", indicator=True)
            todo = todo[todo["_merge"] == "left_only"].drop(columns="_merge")
            heads = dict(loaded.heads)
            if not todo.empty:
                rows = _score_rows(todo, pd.Timestamp(scored_at))
                heads[SCORES_TABLE] = self._insert(connection, SCORES_TABLE, rows, heads[SCORES_TABLE], now)
        if not todo.empty:
            self._commit_heads(heads)
        return AppendResult(added=len(todo), already_present=0)


def replay_run_of(as_of: str | None) -> str | None:
    """The replay run of a pipeline step told what time it is (``as_of``); ``None`` (live) when it is not.

    A step with an explicit ``as_of`` predicts for a moment it chose, not for now, so its rows are a replay.
    """
    return None if as_of is None else AS_OF_REPLAY_RUN


def _check_run(replay_run: str | None) -> str:
    if replay_run is None:
        return LIVE_RUN
    if not replay_run.strip() or replay_run.strip() == LIVE_RUN:
        raise ValueError(f"a replay run needs an identifier other than {LIVE_RUN!r}, got {replay_run!r}")
    return replay_run.strip()


def _prediction_rows(predictions: pd.DataFrame, run: str) -> pd.DataFrame:
    """The batch as ledger rows (times to the microsecond), refusing late predictions."""
    missing = set(PREDICTION_COLUMNS) - set(predictions.columns)
    if missing:
        raise ValueError(f"predictions lack columns: {sorted(missing)}")
    rows = predictions.loc[:, list(PREDICTION_COLUMNS)].copy()
    for column in (c.DATE, c.KICKOFF, PREDICTED_AT):
        rows[column] = pd.to_datetime(rows[column]).dt.floor("us")
    for column in (c.LEAGUE, c.SEASON, c.HOME, c.AWAY, MODEL_NAME, MODEL_VERSION):
        rows[column] = rows[column].astype(str)
    rows.insert(0, RUN, run)
    late = rows[rows[PREDICTED_AT] >= rows[c.KICKOFF]]
    if not late.empty:
        first = late.iloc[0]
        raise LatePredictionError(
            f"{len(late)} prediction(s) made at or after kickoff, e.g. {first[c.HOME]} v {first[c.AWAY]} "
            f"kicking off {first[c.KICKOFF]} predicted at {first[PREDICTED_AT]}"
        )
    return rows.drop_duplicates([*PREDICTION_KEY, PREDICTED_AT], keep="last").reset_index(drop=True)


def _check_clock(rows: pd.DataFrame, now: pd.Timestamp) -> None:
    off = (rows[PREDICTED_AT] - now).abs() > MAX_CLOCK_SKEW
    if off.any():
        first = rows[off].iloc[0]
        raise ClockSkewError(
            f"{int(off.sum())} live prediction(s) dated too far from the database clock "
            f"({now:%Y-%m-%d %H:%M} UTC, tolerance {MAX_CLOCK_SKEW}), e.g. {first[c.HOME]} v "
            f"{first[c.AWAY]} predicted at {first[PREDICTED_AT]}: predictions for another time are a "
            "replay and need a replay run id"
        )


def _new_predictions(rows: pd.DataFrame, recorded: pd.DataFrame) -> pd.DataFrame:
    """The rows that differ from the latest recorded prediction of their run, match and version."""
    if recorded.empty:
        return rows
    latest = latest_predictions(recorded)[[*PREDICTION_KEY, c.KICKOFF, *c.PROBABILITY_COLUMNS, PREDICTED_AT]]
    joined = rows.merge(latest, on=list(PREDICTION_KEY), how="left", suffixes=("", "_recorded"))
    same_kickoff = joined[c.KICKOFF] == joined[f"{c.KICKOFF}_recorded"]
    same_probs = np.isclose(
        joined[list(c.PROBABILITY_COLUMNS)].to_numpy(dtype=float),
        joined[[f"{p}_recorded" for p in c.PROBABILITY_COLUMNS]].to_numpy(dtype=float),
        rtol=0,
        atol=1e-12,
    ).all(axis=1)
    not_newer = joined[PREDICTED_AT] <= joined[f"{PREDICTED_AT}_recorded"]
    present = (same_kickoff & same_probs) | not_newer
    return rows[~present.to_numpy()].reset_index(drop=True)


def _score_rows(todo: pd.DataFrame, scored_at: pd.Timestamp) -> pd.DataFrame:
    outcome = todo[c.RESULT].map(c.RESULT_TO_INDEX).to_numpy()
    return pd.DataFrame(
        {
            RUN: todo[RUN],
            PREDICTION_SEQ: todo[SEQ].astype(np.int64),
            c.LEAGUE: todo[c.LEAGUE],
            c.SEASON: todo[c.SEASON],
            c.DATE: pd.to_datetime(todo["real_date"]).dt.floor("us"),
            c.KICKOFF: pd.to_datetime(todo["real_kickoff"]).dt.floor("us"),
            c.HOME: todo[c.HOME],
            c.AWAY: todo[c.AWAY],
            MODEL_VERSION: todo[MODEL_VERSION],
            c.RESULT: todo[c.RESULT].astype(str),
            RPS: rps_scores(todo[list(c.PROBABILITY_COLUMNS)].to_numpy(dtype=float), outcome),
            SCORED_AT: scored_at.floor("us"),
        }
    ).reset_index(drop=True)


def _check_scores(predictions: pd.DataFrame, scores: pd.DataFrame) -> None:
    """Each score points at a prediction of the same run, match and version, made before the scored kickoff,
    and its RPS is that prediction's (a second line of defence behind the chain)."""
    if scores.empty:
        return
    joined = scores.merge(predictions, left_on=PREDICTION_SEQ, right_on=SEQ, how="left", suffixes=("", "_p"))
    same = np.ones(len(joined), dtype=bool)
    for column in (RUN, c.LEAGUE, c.SEASON, c.HOME, c.AWAY, MODEL_VERSION):
        same &= (joined[column] == joined[f"{column}_p"]).to_numpy()
    same &= (joined[f"{PREDICTED_AT}"] < joined[c.KICKOFF]).to_numpy()
    probs = joined[list(c.PROBABILITY_COLUMNS)].to_numpy(dtype=float)
    usable = same & np.isfinite(probs).all(axis=1) & joined[c.RESULT].isin(list(c.RESULT_TO_INDEX)).to_numpy()
    expected = np.full(len(joined), np.nan)
    outcome = joined.loc[usable, c.RESULT].map(c.RESULT_TO_INDEX).to_numpy()
    expected[usable] = rps_scores(probs[usable], outcome)
    wrong = ~usable | ~np.isclose(joined[RPS].to_numpy(dtype=float), expected, rtol=0, atol=1e-9)
    if wrong.any():
        raise LedgerTamperedError(
            f"{SCORES_TABLE}: {int(wrong.sum())} score(s) disagree with the predictions they score, first "
            f"row {int(joined.loc[wrong, SEQ].iloc[0])}"
        )


def _python(value: Any) -> Any:
    """A database parameter from a pandas/numpy value."""
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value
