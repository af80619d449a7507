from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scoreline import columns as c
from scoreline.evaluation import betting
from scoreline.evaluation.predictions import prediction_frame
from tests.evaluation.conftest import TruthModel, simulated_odds


def _one_match(result: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            c.LEAGUE: ["E0"],
            c.SEASON: ["2324"],
            c.DATE: [pd.Timestamp("2023-08-12")],
            c.KICKOFF: [pd.Timestamp("2023-08-12 15:00")],
            c.HOME: ["Arsenal"],
            c.AWAY: ["Chelsea"],
            c.RESULT: [result],
        }
    )


def _odds(match: pd.DataFrame, opening: tuple[float, ...], closing: tuple[float, ...]) -> pd.DataFrame:
    rows = []
    for timing, prices in ((c.OPENING, opening), (c.CLOSING, closing)):
        for outcome, price in zip(c.OUTCOMES, prices, strict=True):
            key = {k: match[k].iloc[0] for k in c.MATCH_KEY}
            rows.append(
                {**key, c.BOOKMAKER: "pinnacle", c.MARKET: c.MARKET_1X2, c.LINE: np.nan, c.TIMING: timing,
                 c.OUTCOME: outcome, c.PRICE: price}
            )  # fmt: skip
    return pd.DataFrame(rows)


def test_value_bet_hand_worked() -> None:
    match = _one_match("H")
    predictions = prediction_frame(match, "m", np.array([[0.6, 0.25, 0.15]]))
    odds = _odds(match, opening=(2.0, 3.3, 4.2), closing=(1.8, 3.6, 4.8))
    bets = betting.value_bets(predictions, odds, edge=0.02, kelly_fraction=0.25, max_stake=0.1)
    assert len(bets) == 1
    bet = bets.iloc[0]
    # Expected values 0.2, -0.175, -0.37: back home; Kelly (0.6*2-1)/(2-1) = 0.2, a quarter of it 0.05.
    assert bet["outcome"] == "home" and bet["expected_value"] == pytest.approx(0.2)
    assert bet["stake"] == pytest.approx(0.05) and bet["profit"] == pytest.approx(0.05) and bet["won"]
    closing_fair = bet["p_close"]
    implied = 1 / np.array([1.8, 3.6, 4.8])
    assert implied[0] / implied.sum() < closing_fair < 1  # Shin gives the favourite more than multiplicative
    assert bet["clv"] == pytest.approx(2.0 * closing_fair - 1)
    capped = betting.value_bets(predictions, odds, kelly_fraction=0.25, max_stake=0.02)
    assert capped.iloc[0]["stake"] == pytest.approx(0.02)
    lost = betting.value_bets(prediction_frame(_one_match("A"), "m", np.array([[0.6, 0.25, 0.15]])), odds)
    assert lost.iloc[0]["profit"] == pytest.approx(-0.02)
    none = betting.value_bets(predictions, odds, edge=0.25)
    assert none.empty and list(none.columns) == list(betting.BET_COLUMNS)


def test_drawdown_and_cumulative_profit() -> None:
    assert betting.max_drawdown(np.array([1, -2, 0.5, -1, 3])) == pytest.approx(2.5)
    assert betting.max_drawdown(np.array([-1.0])) == pytest.approx(1.0)
    assert betting.max_drawdown(np.array([1.0, 2.0])) == 0
    bets = pd.DataFrame(
        {"model": ["a", "a", "b"], c.KICKOFF: pd.to_datetime(["2023-08-12", "2023-08-13", "2023-08-12"]),
         c.LEAGUE: "E0", c.HOME: ["x", "y", "z"], "profit": [0.5, -0.2, 1.0]}
    )  # fmt: skip
    curve = betting.cumulative_profit(bets)
    assert curve.loc[curve["model"] == "a", "cumulative_profit"].tolist() == pytest.approx([0.5, 0.3])


def test_roi_interval() -> None:
    stakes = np.full(400, 0.02)
    rng = np.random.default_rng(0)
    profits = np.where(rng.random(400) < 0.5, 0.02 * 1.1, -0.02)  # even-money-ish bets at 2.1
    roi, low, high = betting.roi_interval(stakes, profits, n_boot=1000)
    assert low < roi < high and roi == pytest.approx(profits.sum() / stakes.sum())
    assert high - low == pytest.approx(2 * 1.96 * profits.std() / 0.02 / np.sqrt(400), rel=0.15)


def test_an_oracle_beats_the_opening_line_and_a_coin_does_not(two_leagues: pd.DataFrame) -> None:
    season = two_leagues[two_leagues[c.SEASON] == "2324"].reset_index(drop=True)
    odds = simulated_odds(two_leagues)
    oracle = prediction_frame(season, "oracle", TruthModel().predict_proba(season))
    uniform = prediction_frame(season, "uniform", np.full((len(season), 3), 1 / 3))
    bets = betting.value_bets(pd.concat([oracle, uniform]), odds, edge=0.0)
    summary = betting.betting_summary(bets, n_boot=500)
    assert summary["oracle"]["mean_clv"] > 0 > summary["uniform"]["mean_clv"]
    assert summary["oracle"]["share_positive_clv"] > 0.7
    for name, row in summary.items():
        assert row["roi_ci_low"] <= row["roi"] <= row["roi_ci_high"] and row["max_drawdown"] >= 0
        assert row["n_bets"] == (bets["model"] == name).sum() > 0
