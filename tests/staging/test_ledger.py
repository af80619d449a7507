"""The ledger: honest clocks, live and replay runs apart, the latest on-time prediction scored once, and
tamper evidence (``scoreline ledger verify``) on DuckDB and PostgreSQL."""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from scoreline import columns as c
from scoreline.cli.main import app
from scoreline.settings import get_settings
from scoreline.staging.ledger import (
    LIVE_RUN,
    MODEL_NAME,
    MODEL_VERSION,
    PREDICTED_AT,
    RECORDED_AT,
    RUN,
    ClockSkewError,
    LatePredictionError,
    Ledger,
    LedgerTamperedError,
)
from scoreline.store.migrations import MIGRATIONS, migrate

KEY = "test-ledger-key-not-a-real-secret"
REPLAY = "replay-2425"


@pytest.fixture(autouse=True)
def ledger_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCORELINE_LEDGER_KEY", KEY)
    get_settings.cache_clear()


@pytest.fixture(params=["duckdb", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database on each backend (PostgreSQL: a fresh schema at $SCORELINE_TEST_PG_URL)."""
    if request.param == "duckdb":
        yield f"duckdb:///{tmp_path / 'ledger.duckdb'}"
        return
    base = os.environ.get("SCORELINE_TEST_PG_URL")
    if not base:
        pytest.skip("SCORELINE_TEST_PG_URL is not set: no PostgreSQL server to test against")
    schema = f"ledger_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    yield (
        sa.make_url(base)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )
    with admin.begin() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(db_url)
    yield engine
    engine.dispose()


def _predictions(
    n: int = 3,
    predicted_at: str | pd.Timestamp = "2024-08-15 09:00",
    kickoff: str | pd.Timestamp = "2024-08-17 15:00",
    version: str = "3",
    probs: np.ndarray | None = None,
) -> pd.DataFrame:
    kickoff = pd.Timestamp(kickoff)
    if probs is None:
        probs = np.array([[0.5, 0.3, 0.2], [0.4, 0.3, 0.3], [0.2, 0.25, 0.55]])[:n]
    return pd.DataFrame(
        {
            c.LEAGUE: "E0",
            c.SEASON: "2425",
            c.DATE: kickoff.normalize(),
            c.KICKOFF: kickoff,
            c.HOME: ["Arsenal", "Chelsea", "Everton"][:n],
            c.AWAY: ["Wolves", "Fulham", "Brighton"][:n],
            MODEL_NAME: "dixon_coles",
            MODEL_VERSION: version,
            PREDICTED_AT: pd.Timestamp(predicted_at),
            c.P_HOME: probs[:, 0],
            c.P_DRAW: probs[:, 1],
            c.P_AWAY: probs[:, 2],
        }
    )


def _results(frame: pd.DataFrame, results: list[str | None]) -> pd.DataFrame:
    columns = [c.LEAGUE, c.SEASON, c.DATE, c.KICKOFF, c.HOME, c.AWAY]
    return frame[columns].drop_duplicates([c.HOME, c.AWAY]).assign(**{c.RESULT: results})


def _utc_now() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC").tz_localize(None)


# --- clocks and runs ------------------------------------------------------------------------------------


def test_a_live_append_refuses_a_predicted_at_away_from_the_database_clock(engine: sa.Engine) -> None:
    ledger = Ledger(engine)
    kickoff = _utc_now() + pd.Timedelta(days=2)
    with pytest.raises(ClockSkewError, match=r"too far from the database clock.*replay run id"):
        ledger.append(_predictions(predicted_at=_utc_now() - pd.Timedelta(days=1), kickoff=kickoff))
    with pytest.raises(ClockSkewError):  # the future is no better than the past
        ledger.append(_predictions(predicted_at=_utc_now() + pd.Timedelta(minutes=30), kickoff=kickoff))
    assert ledger.read().empty

    assert ledger.append(_predictions(predicted_at=_utc_now(), kickoff=kickoff)).added == 3
    recorded = ledger.read()
    assert (recorded[RUN] == LIVE_RUN).all()
    assert ((recorded[RECORDED_AT] - recorded[PREDICTED_AT]).abs() < pd.Timedelta(minutes=1)).all()


def test_a_replay_is_recorded_under_its_run_and_stamped_with_the_real_time(engine: sa.Engine) -> None:
    ledger = Ledger(engine)
    with pytest.raises(ValueError, match="replay run needs an identifier"):
        ledger.append(_predictions(), replay_run=LIVE_RUN)
    before = _utc_now() - pd.Timedelta(seconds=5)
    assert ledger.append(_predictions(), replay_run=REPLAY).added == 3
    recorded = ledger.read()
    assert (recorded[RUN] == REPLAY).all()
    assert (recorded[PREDICTED_AT] == pd.Timestamp("2024-08-15 09:00")).all()  # what the replay claims
    assert (recorded[RECORDED_AT] >= before).all()  # when it was really written: the database says
    assert ledger.read(LIVE_RUN).empty and ledger.read_with_scores(LIVE_RUN).empty


def test_the_writer_cannot_set_recorded_at(engine: sa.Engine) -> None:
    """A row inserted with a chosen recorded_at: PostgreSQL overwrites it; DuckDB keeps it, and the keyed
    hash (which covers recorded_at) exposes it."""
    ledger = Ledger(engine)
    ledger.append(_predictions(1), replay_run=REPLAY)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO prediction_ledger SELECT 2, run, league, season, date, kickoff, 'Chelsea', "
            "'Fulham', model_name, model_version, predicted_at, p_home, p_draw, p_away, "
            "TIMESTAMP '2024-08-15 09:00', row_hash, row_hash FROM prediction_ledger"
        )
        stamped = connection.exec_driver_sql(
            "SELECT recorded_at FROM prediction_ledger WHERE seq = 2"
        ).scalar()
    if engine.dialect.name == "postgresql":
        assert pd.Timestamp(stamped) > pd.Timestamp("2025-01-01")
    else:
        assert pd.Timestamp(stamped) == pd.Timestamp("2024-08-15 09:00")
    with pytest.raises(LedgerTamperedError, match="row 2 does not match its keyed hash"):
        ledger.read()


# --- appending and scoring --------------------------------------------------------------------------------


def test_append_is_idempotent_and_a_changed_prediction_is_a_new_row(engine: sa.Engine) -> None:
    ledger = Ledger(engine)
    assert ledger.append(_predictions(2), replay_run=REPLAY).added == 2
    retry = ledger.append(_predictions(2), replay_run=REPLAY)
    assert (retry.added, retry.already_present) == (0, 2)
    later = _predictions(3, predicted_at="2024-08-16 09:00")  # same probabilities for 2 of 3: not new
    assert ledger.append(later, replay_run=REPLAY).added == 1
    changed = _predictions(1, predicted_at="2024-08-16 10:00", probs=np.array([[0.6, 0.25, 0.15]]))
    assert ledger.append(changed, replay_run=REPLAY).added == 1
    recorded = ledger.read()
    assert len(recorded) == 4 and list(recorded["seq"]) == [1, 2, 3, 4]
    assert recorded.loc[recorded[c.HOME] == "Arsenal", c.P_HOME].tolist() == pytest.approx([0.5, 0.6])


def test_late_predictions_are_refused_by_the_api_and_by_the_database(engine: sa.Engine) -> None:
    ledger = Ledger(engine)
    with pytest.raises(LatePredictionError, match="at or after kickoff"):
        ledger.append(_predictions(predicted_at="2024-08-17 15:00"), replay_run=REPLAY)
    assert ledger.read().empty
    with pytest.raises(sa.exc.DBAPIError), engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO prediction_ledger (seq, run, league, season, date, kickoff, home, away, model_name, "
            "model_version, predicted_at, p_home, p_draw, p_away, prev_hash, row_hash) VALUES (1, 'r', 'E0', "
            "'2425', '2024-08-17', '2024-08-17 15:00', 'A', 'B', 'm', '1', '2024-08-17 16:00', "
            "0.5, 0.3, 0.2, 'x', 'x')"
        )


def test_the_latest_prediction_before_kickoff_is_scored_once_with_the_right_rps(engine: sa.Engine) -> None:
    ledger = Ledger(engine)
    ledger.append(_predictions(3), replay_run=REPLAY)
    update = _predictions(1, predicted_at="2024-08-16 09:00", probs=np.array([[0.7, 0.2, 0.1]]))
    ledger.append(update, replay_run=REPLAY)
    results = _results(_predictions(3), ["H", "D", None])
    assert ledger.score(results, pd.Timestamp("2024-08-18"), replay_run=REPLAY).added == 2
    assert ledger.score(results, pd.Timestamp("2024-08-19"), replay_run=REPLAY).added == 0
    assert ledger.score(results, pd.Timestamp("2024-08-19")).added == 0  # the live run has no predictions
    scored = ledger.scored(REPLAY).set_index(c.HOME)
    assert len(scored) == 2
    # Arsenal's latest prediction 0.7/0.2/0.1 and a home win: ((0.7-1)^2 + (0.9-1)^2) / 2 = 0.05
    assert scored.loc["Arsenal", "rps"] == pytest.approx(0.05)
    # Chelsea 0.4/0.3/0.3 and a draw: ((0.4-0)^2 + (0.7-1)^2) / 2 = 0.125
    assert scored.loc["Chelsea", "rps"] == pytest.approx(0.125)


def test_a_rescheduled_match_is_scored_once_under_its_real_kickoff(engine: sa.Engine) -> None:
    ledger = Ledger(engine)
    ledger.append(_predictions(1, kickoff="2024-08-17 15:00"), replay_run=REPLAY)  # the original date
    moved = _predictions(1, predicted_at="2024-09-20 09:00", kickoff="2024-09-24 19:45")
    ledger.append(moved.assign(**{c.P_HOME: 0.3, c.P_DRAW: 0.3, c.P_AWAY: 0.4}), replay_run=REPLAY)
    too_late = _predictions(1, predicted_at="2024-09-26 09:00", kickoff="2024-10-01 19:45")
    ledger.append(too_late.assign(**{c.P_HOME: 0.9, c.P_DRAW: 0.05, c.P_AWAY: 0.05}), replay_run=REPLAY)
    played = _results(moved, ["A"])  # played on the 24th of September
    assert ledger.score(played, pd.Timestamp("2024-09-25"), replay_run=REPLAY).added == 1
    frame = ledger.read_with_scores(REPLAY)
    assert len(frame) == 1  # one row for the match, not one per date it was listed under
    row = frame.iloc[0]
    assert row[c.KICKOFF] == pd.Timestamp("2024-09-24 19:45") and row[c.RESULT] == "A"
    assert row[c.P_AWAY] == pytest.approx(0.4)  # the latest prediction made before the real kickoff
    assert row["rps"] == pytest.approx((0.3**2 + 0.6**2) / 2)


# --- tamper evidence --------------------------------------------------------------------------------------


def _seeded(db_url: str) -> Ledger:
    """Three predictions and three scores in a replay run, through the settings' key and head file."""
    engine = sa.create_engine(db_url)
    ledger = Ledger(engine)
    ledger.append(_predictions(3), replay_run=REPLAY)
    ledger.score(_results(_predictions(3), ["H", "D", "A"]), pd.Timestamp("2024-08-18"), replay_run=REPLAY)
    return ledger


def _as_owner(connection: sa.Connection, statement: str, table: str) -> None:
    """Run ``statement`` as the tables' owner would: on PostgreSQL, with the append-only triggers off."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    connection.exec_driver_sql(statement)


def _unkeyed_hash_of_row(connection: sa.Connection, seq: int) -> str:
    row = connection.exec_driver_sql(f"SELECT * FROM prediction_ledger WHERE seq = {seq}").one()
    return hashlib.sha256("|".join(map(str, row[:-1])).encode()).hexdigest()


def _delete_last_prediction(connection: sa.Connection) -> None:
    _as_owner(connection, "DELETE FROM prediction_ledger WHERE seq = 3", "prediction_ledger")
    _as_owner(connection, "DELETE FROM prediction_scores WHERE prediction_seq = 3", "prediction_scores")


def _edit_and_rehash(connection: sa.Connection) -> None:
    edit = "UPDATE prediction_ledger SET p_home = 0.6, p_draw = 0.2 WHERE seq = 1"
    _as_owner(connection, edit, "prediction_ledger")
    digest = _unkeyed_hash_of_row(connection, 1)
    connection.exec_driver_sql(f"UPDATE prediction_ledger SET row_hash = '{digest}' WHERE seq = 1")


def _insert_backdated(connection: sa.Connection) -> None:
    last = connection.exec_driver_sql("SELECT row_hash FROM prediction_ledger WHERE seq = 3").scalar()
    fake = hashlib.sha256(b"looks valid").hexdigest()
    connection.exec_driver_sql(
        "INSERT INTO prediction_ledger (seq, run, league, season, date, kickoff, home, away, model_name, "
        "model_version, predicted_at, p_home, p_draw, p_away, recorded_at, prev_hash, row_hash) VALUES (4, "
        f"'{REPLAY}', 'E0', '2425', '2024-08-17', '2024-08-17 15:00', 'Spurs', 'Leeds', 'dixon_coles', '3', "
        f"'2024-08-15 09:00', 0.2, 0.2, 0.6, '2024-08-15 09:00', '{last}', '{fake}')"
    )


def _zero_rps(connection: sa.Connection) -> None:
    _as_owner(connection, "UPDATE prediction_scores SET rps = 0", "prediction_scores")


def _drop_scores(connection: sa.Connection) -> None:
    connection.exec_driver_sql("DROP TABLE prediction_scores")


def _delete_tail(connection: sa.Connection) -> None:
    _as_owner(connection, "DELETE FROM prediction_scores WHERE seq >= 2", "prediction_scores")


TAMPERINGS: dict[str, tuple[Callable[[sa.Connection], None], str]] = {
    "delete the last row": (_delete_last_prediction, "missing from the end"),
    "edit a row and recompute its unkeyed hash": (_edit_and_rehash, "row 1 does not match its keyed hash"),
    "insert a backdated row with a valid-looking hash": (_insert_backdated, "row 4 does not match"),
    "set prediction_scores.rps to 0": (_zero_rps, "prediction_scores: row 1 does not match"),
    "drop prediction_scores": (_drop_scores, "prediction_scores is missing"),
    "delete the tail of the scores": (_delete_tail, "prediction_scores: 2 row\\(s\\) missing from the end"),
}


def _verify(db_url: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["ledger", "verify", "--db", db_url])
    return result.exit_code, result.output


@pytest.mark.parametrize("tampering", list(TAMPERINGS))
def test_ledger_verify_detects_each_tampering(db_url: str, tampering: str) -> None:
    ledger = _seeded(db_url)
    code, output = _verify(db_url)
    assert code == 0, output
    assert "ledger intact: 3 predictions, 3 scores" in output and f"replay {REPLAY}: 3 predictions" in output
    tamper, expected = TAMPERINGS[tampering]
    engine = sa.create_engine(db_url)
    with engine.begin() as connection:
        tamper(connection)
    engine.dispose()

    code, output = _verify(db_url)

    assert code == 1
    assert "ledger TAMPERED" in output
    assert re.search(expected, output), output
    with pytest.raises(LedgerTamperedError):  # every read checks too
        ledger.read()


def test_a_head_file_behind_the_database_moves_forward_and_a_lost_one_must_be_adopted(db_url: str) -> None:
    ledger = _seeded(db_url)
    head_file = ledger.head_file.path
    head_file.unlink()
    with pytest.raises(LedgerTamperedError, match="no chain head was recorded"):
        ledger.read()
    code, output = _verify(db_url)
    assert code == 1 and "--adopt" in output
    assert CliRunner().invoke(app, ["ledger", "verify", "--db", db_url, "--adopt"]).exit_code == 0
    assert len(ledger.read()) == 3 and head_file.exists()


def test_postgresql_refuses_updates_deletes_and_truncates(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("DuckDB has no triggers: its protection is the hash chain (tested above)")
    _seeded(db_url)
    engine = sa.create_engine(db_url)
    for statement in (
        "UPDATE prediction_ledger SET p_home = 0.6, p_draw = 0.2 WHERE seq = 1",
        "DELETE FROM prediction_scores WHERE seq = 1",
        "TRUNCATE prediction_ledger",
    ):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as connection:
            connection.exec_driver_sql(statement)
    engine.dispose()


def test_postgresql_writer_role_may_only_insert_and_select(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("roles are PostgreSQL's")
    _seeded(db_url)
    engine = sa.create_engine(db_url)
    with engine.connect() as connection:
        can_create = connection.exec_driver_sql(
            "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"
        ).scalar()
        if not can_create:
            pytest.skip("the test role may not create roles: the migration left the tables to it")
        owner = connection.exec_driver_sql(
            "SELECT tableowner FROM pg_tables WHERE tablename = 'prediction_ledger' "
            "AND schemaname = current_schema()"
        ).scalar()
        assert owner == "scoreline_ledger_owner"
        privileges = (
            connection.exec_driver_sql(
                "SELECT privilege_type FROM information_schema.role_table_grants "
                "WHERE grantee = 'scoreline_writer' AND table_name = 'prediction_ledger' "
                "AND table_schema = current_schema() ORDER BY 1"
            )
            .scalars()
            .all()
        )
        assert privileges == ["INSERT", "SELECT"]
    with engine.begin() as connection:
        connection.exec_driver_sql("GRANT scoreline_writer TO CURRENT_USER")
    with pytest.raises(sa.exc.DBAPIError, match="must be owner of table"), engine.begin() as conn:
        conn.exec_driver_sql("SET ROLE scoreline_writer")
        conn.exec_driver_sql("ALTER TABLE prediction_ledger DISABLE TRIGGER USER")
    engine.dispose()


def test_a_ledger_made_before_the_chain_is_kept_aside_by_the_migration(db_url: str) -> None:
    """Stores whose ledger the old code created itself (no chain, no recorded_at) migrate without loss."""
    engine = sa.create_engine(db_url)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE schema_version (version INTEGER NOT NULL PRIMARY KEY, "
            "description VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
        )
        for migration in MIGRATIONS[:2]:
            for statement in migration.statements:
                connection.exec_driver_sql(statement)
            connection.exec_driver_sql(
                f"INSERT INTO schema_version VALUES ({migration.version}, 'old', '2025-01-01')"
            )
        connection.exec_driver_sql(
            "CREATE TABLE prediction_ledger (seq BIGINT PRIMARY KEY, home VARCHAR, row_hash VARCHAR)"
        )
        connection.exec_driver_sql("INSERT INTO prediction_ledger VALUES (1, 'Arsenal', 'abc')")

    assert migrate(engine) == 1

    ledger = Ledger(engine)
    assert ledger.read().empty
    assert ledger.append(_predictions(1), replay_run=REPLAY).added == 1
    with engine.connect() as connection:
        kept = connection.exec_driver_sql("SELECT home FROM prediction_ledger_unchained").scalars().all()
    assert kept == ["Arsenal"]
    engine.dispose()
