"""The staging replay predicts every match before kickoff and scores exactly like the backtest."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from scoreline import columns as c
from scoreline.evaluation import metrics
from scoreline.evaluation.walk_forward import walk_forward
from scoreline.models.catalogue import make_model
from scoreline.simulate import football_data_frame, simulate_league
from scoreline.staging.ledger import PREDICTED_AT, Ledger
from scoreline.staging.replay import ReplayConfig, replay_season


def _odds(matches: pd.DataFrame) -> pd.DataFrame:
    """Long closing 1X2 odds of the simulated matches (Pinnacle)."""
    table = football_data_frame(matches, seed=3)
    rows = []
    for outcome, column in zip(c.OUTCOMES, ("PSCH", "PSCD", "PSCA"), strict=True):
        rows.append(
            matches[list(c.MATCH_KEY)].assign(
                **{c.BOOKMAKER: "pinnacle", c.MARKET: c.MARKET_1X2, c.LINE: np.nan, c.TIMING: c.CLOSING,
                   c.OUTCOME: outcome, c.PRICE: table[column].to_numpy()}
            )
        )  # fmt: skip
    return pd.concat(rows, ignore_index=True)


@pytest.fixture(scope="module")
def league() -> pd.DataFrame:
    return simulate_league(n_teams=8, seasons=("2122", "2223"), seed=5).matches


@pytest.mark.slow
def test_replay_predicts_every_match_before_kickoff_with_the_backtests_rps(
    league: pd.DataFrame, tmp_path: Path
) -> None:
    ledger = Ledger(sa.create_engine(f"duckdb:///{tmp_path / 'store.duckdb'}"))
    config = ReplayConfig(league="E0", season="2223", model="dixon_coles")
    result = replay_season(league, _odds(league), config, ledger)
    season = league[league[c.SEASON] == "2223"]
    assert (result.predictions, result.scored, result.late_predictions) == (len(season), len(season), 0)
    recorded = ledger.read()
    assert (recorded[PREDICTED_AT] < recorded[c.KICKOFF]).all()
    backtest = walk_forward(league, {"dixon_coles": make_model("dixon_coles")}, ["E0"], ["2223"]).predictions
    expected = metrics.rps(
        backtest[list(c.PROBABILITY_COLUMNS)].to_numpy(), metrics.outcome_indices(backtest[c.RESULT])
    )
    assert result.rps == pytest.approx(expected, abs=1e-12)
    assert 0.15 < result.market_closing_rps < 0.25


@pytest.mark.slow
def test_a_second_replay_adds_nothing(league: pd.DataFrame, tmp_path: Path) -> None:
    ledger = Ledger(sa.create_engine(f"duckdb:///{tmp_path / 'store.duckdb'}"))
    config = ReplayConfig(league="E0", season="2223", model="poisson")
    first = replay_season(league, _odds(league), config, ledger)
    second = replay_season(league, _odds(league), config, ledger)
    assert second == first
    assert len(ledger.read()) == first.predictions


@pytest.mark.slow
def test_replay_of_premier_league_2024_25_matches_the_backtest(shared_data: Path, tmp_path: Path) -> None:
    from scoreline.pipelines.data import load_from_dir

    data = load_from_dir(shared_data / "football-data", ["E0", "E1"])
    recent = data.matches[data.matches[c.SEASON].isin(["2223", "2324", "2425"])]
    ledger = Ledger(sa.create_engine(f"duckdb:///{tmp_path / 'store.duckdb'}"))
    result = replay_season(recent, data.odds, ReplayConfig(league="E0", season="2425"), ledger)
    played = recent[(recent[c.LEAGUE] == "E0") & (recent[c.SEASON] == "2425") & recent[c.RESULT].notna()]
    assert (result.predictions, result.scored, result.late_predictions) == (len(played), len(played), 0)
    recorded = ledger.read()
    assert (recorded[PREDICTED_AT] < recorded[c.KICKOFF]).all()
    backtest = walk_forward(recent, {"dixon_coles": make_model("dixon_coles")}, ["E0"], ["2425"]).predictions
    expected = metrics.rps(
        backtest[list(c.PROBABILITY_COLUMNS)].to_numpy(), metrics.outcome_indices(backtest[c.RESULT])
    )
    assert result.rps == pytest.approx(expected, abs=1e-12)
    assert result.market_closing_rps == pytest.approx(0.1962, abs=5e-4)  # the reference closing line
