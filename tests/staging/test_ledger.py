"""The ledger refuses late predictions, updates and deletes, and appends idempotently."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from scoreline import columns as c
from scoreline.staging.ledger import (
    MODEL_NAME,
    MODEL_VERSION,
    PREDICTED_AT,
    LatePredictionError,
    Ledger,
    LedgerTamperedError,
)


@pytest.fixture(params=["duckdb", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "duckdb":
        engine = sa.create_engine(f"duckdb:///{tmp_path / 'ledger.duckdb'}")
        yield engine
        engine.dispose()
        return
    url = os.environ.get("SCORELINE_TEST_PG_URL")
    if not url:
        pytest.skip("SCORELINE_TEST_PG_URL is not set: no PostgreSQL server to test against")
    schema = f"ledger_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine = sa.create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    yield engine
    engine.dispose()
    with admin.begin() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()


def _predictions(n: int = 3, predicted_at: str = "2024-08-15 09:00") -> pd.DataFrame:
    kickoff = pd.Timestamp("2024-08-17 15:00")
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
            MODEL_VERSION: "3",
            PREDICTED_AT: pd.Timestamp(predicted_at),
            c.P_HOME: probs[:, 0],
            c.P_DRAW: probs[:, 1],
            c.P_AWAY: probs[:, 2],
        }
    )


def test_append_is_idempotent_and_first_prediction_wins(engine: sa.Engine) -> None:
    ledger = Ledger(engine)
    assert ledger.append(_predictions(2)).added == 2
    again = _predictions(3).assign(**{c.P_HOME: 0.1, c.P_DRAW: 0.1, c.P_AWAY: 0.8})
    result = ledger.append(again)
    assert (result.added, result.already_present) == (1, 2)
    stored = ledger.read().set_index(c.HOME)
    assert len(stored) == 3
    assert stored.loc["Arsenal", c.P_HOME] == pytest.approx(0.5)  # not overwritten by the retry
    assert stored.loc["Everton", c.P_AWAY] == pytest.approx(0.8)


def test_late_predictions_are_refused_by_the_api_and_by_the_database(engine: sa.Engine) -> None:
    ledger = Ledger(engine)
    with pytest.raises(LatePredictionError, match="at or after kickoff"):
        ledger.append(_predictions(predicted_at="2024-08-17 15:00"))
    assert ledger.read().empty
    with pytest.raises(sa.exc.DBAPIError), engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO prediction_ledger VALUES (1, 'E0', '2425', '2024-08-17', '2024-08-17 15:00', "
            "'A', 'B', 'm', '1', '2024-08-17 16:00', 0.5, 0.3, 0.2, 'x')"
        )


def test_updates_and_deletes_are_refused_or_detected(engine: sa.Engine) -> None:
    ledger = Ledger(engine)
    ledger.append(_predictions(3))
    tamper = {
        "update": "UPDATE prediction_ledger SET p_home = 0.6, p_draw = 0.2 WHERE home = 'Arsenal'",
        "delete": "DELETE FROM prediction_ledger WHERE home = 'Arsenal'",
    }
    for statement in tamper.values():
        if engine.dialect.name == "postgresql":
            with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as connection:
                connection.exec_driver_sql(statement)
            assert ledger.verify() == 3
        else:  # DuckDB has no triggers: the hash chain catches the change on the next read
            fresh = Ledger(engine)
            with engine.begin() as connection:
                connection.exec_driver_sql(statement)
            with pytest.raises(LedgerTamperedError):
                fresh.read()
            return


def test_scores_are_appended_once_with_the_right_rps(engine: sa.Engine) -> None:
    ledger = Ledger(engine)
    ledger.append(_predictions(3))
    results = _predictions(3)[[c.LEAGUE, c.DATE, c.HOME, c.AWAY]].assign(**{c.RESULT: ["H", "D", None]})
    assert ledger.score(results, pd.Timestamp("2024-08-18")).added == 2
    assert ledger.score(results, pd.Timestamp("2024-08-19")).added == 0
    scored = ledger.scored().set_index(c.HOME)
    # RPS by hand: Arsenal 0.5/0.3/0.2 and a home win: ((0.5-1)^2 + (0.8-1)^2) / 2 = 0.145
    assert scored.loc["Arsenal", "rps"] == pytest.approx(0.145)
    # Chelsea 0.4/0.3/0.3 and a draw: ((0.4-0)^2 + (0.7-1)^2) / 2 = 0.125
    assert scored.loc["Chelsea", "rps"] == pytest.approx(0.125)
