"""Fixtures for the evaluation tests: small simulated leagues, their long odds and simple models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator

from scoreline import columns as c
from scoreline.simulate import TRUE_PROBABILITY_COLUMNS, football_data_frame, simulate_league

ODDS_PREFIXES = {  # football-data column prefix -> (bookmaker, timing)
    "PS": ("pinnacle", c.OPENING),
    "Avg": ("market_avg", c.OPENING),
    "PSC": ("pinnacle", c.CLOSING),
    "AvgC": ("market_avg", c.CLOSING),
}


def long_odds(table: pd.DataFrame) -> pd.DataFrame:
    """Long 1X2 odds frame (``columns.ODDS_COLUMNS``) from a football-data style table with canonical keys."""
    frames = []
    for prefix, (bookmaker, timing) in ODDS_PREFIXES.items():
        for side, outcome in zip("HDA", c.OUTCOMES, strict=True):
            column = f"{prefix}{side}"
            if column not in table:
                continue
            frames.append(
                pd.DataFrame(
                    {
                        c.LEAGUE: table[c.LEAGUE],
                        c.DATE: table[c.DATE],
                        c.HOME: table[c.HOME],
                        c.AWAY: table[c.AWAY],
                        c.BOOKMAKER: bookmaker,
                        c.MARKET: c.MARKET_1X2,
                        c.LINE: np.nan,
                        c.TIMING: timing,
                        c.OUTCOME: outcome,
                        c.PRICE: pd.to_numeric(table[column], errors="coerce"),
                    }
                )
            )
    odds = pd.concat(frames, ignore_index=True)
    return odds[odds[c.PRICE].notna()][list(c.ODDS_COLUMNS)].reset_index(drop=True)


def simulated_odds(matches: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Long odds for simulated matches (opening noisier than closing, as in :mod:`scoreline.simulate`)."""
    table = football_data_frame(matches, seed=seed)
    keyed = pd.concat(
        [matches[list(c.MATCH_KEY)].reset_index(drop=True), table.reset_index(drop=True)], axis=1
    )
    return long_odds(keyed)


@pytest.fixture(scope="session")
def two_leagues() -> pd.DataFrame:
    """E0 and E1 (10 teams, 3 seasons each) and SP1 (10 teams, 2 seasons): a small multi-league frame."""
    e0 = simulate_league(n_teams=10, seasons=("2122", "2223", "2324"), league="E0", seed=1).matches
    e1 = simulate_league(n_teams=10, seasons=("2122", "2223", "2324"), league="E1", seed=2).matches
    sp1 = simulate_league(n_teams=10, seasons=("2223", "2324"), league="SP1", seed=3).matches
    e1 = e1.assign(**{c.HOME: "E1 " + e1[c.HOME], c.AWAY: "E1 " + e1[c.AWAY]})
    frame = pd.concat([e0, e1, sp1], ignore_index=True)
    return frame.sort_values([c.KICKOFF, c.LEAGUE, c.HOME], kind="stable").reset_index(drop=True)


def truth_features(matches: pd.DataFrame) -> pd.DataFrame:
    """A feature frame (key columns as ``features.build_features`` gives them) with the true probabilities."""
    keys = [c.LEAGUE, c.SEASON, c.DATE, c.KICKOFF, c.HOME, c.AWAY]
    return matches[[*keys, *TRUE_PROBABILITY_COLUMNS]].copy()


class TruthModel(BaseEstimator):
    """Predicts the true probabilities passed in as features (an oracle that needs no fitting)."""

    def fit(self, matches: pd.DataFrame, y: object = None) -> TruthModel:
        self.n_seen_ = len(matches)
        return self

    def predict_proba(self, matches: pd.DataFrame) -> np.ndarray:
        return matches[list(TRUE_PROBABILITY_COLUMNS)].to_numpy(dtype=float)


class HomeRateModel(BaseEstimator):
    """Each home team's share of home wins in training (shrunk to the league rate); a learner for tests."""

    def __init__(self, shrink: float = 5.0) -> None:
        self.shrink = shrink

    def fit(self, matches: pd.DataFrame, y: object = None) -> HomeRateModel:
        results = matches[c.RESULT]
        base = results.value_counts(normalize=True).reindex(["H", "D", "A"], fill_value=0).to_numpy()
        self.base_ = base
        counts = pd.crosstab(matches[c.HOME], results).reindex(columns=["H", "D", "A"], fill_value=0)
        totals = counts.sum(axis=1).to_numpy()[:, None]
        self.table_ = pd.DataFrame(
            (counts.to_numpy() + self.shrink * base) / (totals + self.shrink), index=counts.index
        )
        return self

    def predict_proba(self, matches: pd.DataFrame) -> np.ndarray:
        rows = self.table_.reindex(matches[c.HOME]).to_numpy()
        missing = np.isnan(rows).any(axis=1)
        rows[missing] = self.base_
        return rows
