"""The pure decisions of the pipeline steps, on small frames and without a store."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scoreline import columns as c
from scoreline.pipelines import rules
from scoreline.staging.ledger import MODEL_NAME, MODEL_VERSION, PREDICTED_AT

NOW = pd.Timestamp("2025-03-07 12:00")


def fixture(home: str, away: str, kickoff: str, league: str = "E0") -> dict[str, object]:
    moment = pd.Timestamp(kickoff)
    return {
        c.LEAGUE: league,
        c.SEASON: "2425",
        c.DATE: moment.normalize(),
        c.KICKOFF: moment,
        c.HAS_TIME: True,
        c.HOME: home,
        c.AWAY: away,
    }


def quarantine(reasons: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c.REASON: reasons, c.SOURCE_FILE: ["E0/2425.csv"] * len(reasons)})


def test_rows_that_only_lost_a_value_are_not_rejected() -> None:
    frame = quarantine(["value dropped: odds not a number", "home goals not a number", "duplicate match"])
    assert rules.rejected_rows(frame)[c.REASON].tolist() == ["home goals not a number", "duplicate match"]
    report = rules.data_quality(98, frame)
    assert report == {"matches": 98, "rejected_rows": 2, "quarantined": 3, "share": 0.02}


def test_too_many_rejected_rows_stop_the_pipeline() -> None:
    with pytest.raises(rules.DataQualityError, match="3 rows rejected"):
        rules.data_quality(97, quarantine(["bad"] * 3))


def test_a_file_that_failed_to_ingest_stops_the_pipeline() -> None:
    with pytest.raises(rules.DataQualityError, match=r"E1/2425\.csv"):
        rules.data_quality(100, quarantine([]), failed_files=["E1/2425.csv"])


def test_upcoming_fixtures_are_those_of_the_window_each_once() -> None:
    matches = pd.DataFrame(
        [
            fixture("A", "B", "2025-03-07 12:00"),  # kicks off at now: not after it
            fixture("C", "D", "2025-03-08 15:00"),
            fixture("E", "F", "2025-03-10 12:00"),  # exactly at the end of the window: in
            fixture("G", "H", "2025-03-10 12:01"),  # past it
        ]
    )
    scheduled = pd.DataFrame(
        [
            fixture("C", "D", "2025-03-08 15:00"),  # the season file holds it already
            fixture("I", "J", "2025-03-09 14:00"),  # only fixtures.csv lists it
            fixture("K", "L", "2025-03-11 14:00"),  # outside the window
        ]
    )
    upcoming, from_fixtures_csv = rules.upcoming_fixtures(matches, scheduled, NOW, NOW + pd.Timedelta(days=3))
    assert list(zip(upcoming[c.HOME], upcoming[c.AWAY], strict=True)) == [("C", "D"), ("I", "J"), ("E", "F")]
    assert from_fixtures_csv == 1


def test_finished_matches_kicked_off_strictly_before_now() -> None:
    matches = pd.DataFrame([fixture("A", "B", "2025-03-07 11:59"), fixture("C", "D", "2025-03-07 12:00")])
    assert rules.finished_before(matches, NOW)[c.HOME].tolist() == ["A"]


def test_ledger_rows_hold_the_match_the_version_the_time_and_the_probabilities() -> None:
    fixtures = pd.DataFrame([fixture("A", "B", "2025-03-08 15:00"), fixture("C", "D", "2025-03-09 15:00")])
    probabilities = np.array([[0.5, 0.3, 0.2], [0.2, 0.3, 0.5]])
    rows = rules.ledger_rows(fixtures, probabilities, "DixonColesModel", "3", NOW)
    assert rows[c.HOME].tolist() == ["A", "C"]
    assert rows[MODEL_NAME].unique().tolist() == ["DixonColesModel"]
    assert rows[MODEL_VERSION].unique().tolist() == ["3"]
    assert (rows[PREDICTED_AT] == NOW).all()
    np.testing.assert_allclose(rows[list(c.PROBABILITY_COLUMNS)].to_numpy(), probabilities)
    assert c.HAS_TIME not in rows.columns
    with pytest.raises(ValueError, match="1 predictions for 2 fixtures"):
        rules.ledger_rows(fixtures, probabilities[:1], "M", "1", NOW)


def test_drift_windows_are_the_recent_weeks_and_the_year_before() -> None:
    dates = pd.to_datetime(
        ["2024-01-10", "2024-01-11", "2025-01-09", "2025-01-10", "2025-03-06", "2025-03-08"]
    )
    features = pd.DataFrame({c.DATE: dates, "elo_diff": range(len(dates))})
    now = pd.Timestamp("2025-03-07")
    reference, current = rules.drift_windows(features, now, recent_weeks=8)  # current from 2025-01-10
    assert current[c.DATE].dt.strftime("%Y-%m-%d").tolist() == ["2025-01-10", "2025-03-06"]
    # 365 days before 2025-01-10 (2024 is a leap year)
    assert reference[c.DATE].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-11", "2025-01-09"]


def backtest(model: str, league: str, rps: float, n: int = 380) -> dict[str, object]:
    return {"model": model, "league": league, "rps": rps, "n": n}


TRAINED = [
    {"model": "dixon_coles", "run_id": "r1", "val_rps": 0.20},
    {"model": "pi_rating", "run_id": "r2", "val_rps": 0.19},
    {"model": "elo", "run_id": "r3", "val_rps": 0.21},
]


def test_the_challenger_is_the_model_whose_backtest_beats_the_champions_by_most() -> None:
    backtests = [
        backtest("dixon_coles", "E0", 0.2017),
        backtest("pi_rating", "E0", 0.2056),  # best validation RPS, but lost the backtest
        backtest("elo", "E0", 0.2010),
    ]
    choice = rules.choose_challenger(TRAINED, backtests, "dixon_coles")
    assert choice.run is not None and choice.run["run_id"] == "r3"
    assert "0.2010 beats dixon_coles's 0.2017" in choice.reason


def test_no_challenger_when_none_beats_the_champions_backtest() -> None:
    backtests = [backtest("dixon_coles", "E0", 0.2017), backtest("pi_rating", "E0", 0.2056)]
    choice = rules.choose_challenger(TRAINED, backtests, "dixon_coles")
    assert choice.run is None and "beats dixon_coles's 0.2017" in choice.reason
    assert rules.choose_challenger(TRAINED, [], "dixon_coles").run is None  # nothing to compare with


def test_backtests_are_pooled_over_the_champions_leagues_by_matches() -> None:
    backtests = [
        backtest("dixon_coles", "E0", 0.20, n=300),
        backtest("dixon_coles", "D1", 0.22, n=100),
        backtest("elo", "E0", 0.19, n=300),
        backtest("elo", "D1", 0.26, n=100),  # pooled: 0.2075 > 0.205
        backtest("pi_rating", "E0", 0.18, n=300),  # never backtested on D1: not comparable
    ]
    assert rules.pooled_rps(backtests, "elo", ["E0", "D1"]) == pytest.approx(0.2075)
    assert rules.pooled_rps(backtests, "pi_rating", ["E0", "D1"]) is None
    assert rules.choose_challenger(TRAINED, backtests, "dixon_coles").run is None
