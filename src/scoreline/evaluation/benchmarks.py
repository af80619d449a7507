"""Benchmarks scored exactly like models: the de-vigged market and base rates.

Market benchmarks are named ``market_<timing>_<method>`` (``market_closing_shin``, ``market_opening_power``,
...): per match the 1X2 triple of :func:`scoreline.odds.market_1x2_prices` (Pinnacle, else the market
average) de-vigged by :func:`scoreline.odds.devig`. ``base_rates`` forecasts every match of a league-season
with the home/draw/away frequencies of that league's three previous seasons. Both return the long
predictions frame of :mod:`scoreline.evaluation.predictions`, with NaN where a forecast is unavailable.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from scoreline import columns as c
from scoreline import odds as odds_lib
from scoreline.evaluation.predictions import N_TRAIN, TRAIN_CUTOFF, prediction_frame, season_start_year

BASE_RATES: str = "base_rates"
TIMINGS = (c.OPENING, c.CLOSING)
PRIOR_SEASONS = 3


def market_name(timing: str, method: str) -> str:
    """Benchmark name, e.g. ``market_closing_shin``."""
    return f"market_{timing}_{method}"


def _test_matches(matches: pd.DataFrame, leagues: Sequence[str], seasons: Sequence[str]) -> pd.DataFrame:
    chosen = matches[matches[c.LEAGUE].isin(leagues) & matches[c.SEASON].isin(seasons)]
    return chosen.sort_values([c.KICKOFF, c.LEAGUE, c.HOME], kind="stable").reset_index(drop=True)


def market_benchmarks(
    matches: pd.DataFrame,
    odds: pd.DataFrame,
    leagues: Sequence[str],
    seasons: Sequence[str],
    methods: Sequence[str] = odds_lib.DEVIG_METHODS,
    timings: Sequence[str] = TIMINGS,
) -> pd.DataFrame:
    """De-vigged opening/closing market probabilities for the matches of ``leagues`` x ``seasons``.

    ``odds`` is a long odds frame (``columns.ODDS_COLUMNS``). Matches without a valid price triple get NaN.
    """
    test = _test_matches(matches, leagues, seasons)
    key = list(c.MATCH_KEY)
    frames = []
    for timing in timings:
        triples = odds_lib.market_1x2_prices(odds, timing)
        prices = test[key].merge(triples, on=key, how="left")[list(odds_lib.PRICE_COLUMNS_1X2)].to_numpy()
        for method in methods:
            probs = odds_lib.devig(prices, method)  # type: ignore[arg-type]
            frames.append(prediction_frame(test, market_name(timing, method), probs))
    return pd.concat(frames, ignore_index=True)


def base_rates(
    matches: pd.DataFrame, leagues: Sequence[str], seasons: Sequence[str], prior_seasons: int = PRIOR_SEASONS
) -> pd.DataFrame:
    """Home/draw/away frequencies of the ``prior_seasons`` seasons before each test season, same league.

    The prior seasons are those starting 1..``prior_seasons`` years earlier (fewer where the data has gaps);
    a league-season with no prior results gets NaN. ``train_cutoff`` is the season's first match date.
    """
    test = _test_matches(matches, leagues, seasons)
    played = matches[matches[c.RESULT].isin(c.RESULT_TO_INDEX)]
    start_year = played[c.SEASON].map(season_start_year)
    frames = []
    for (league, season), group in test.groupby([c.LEAGUE, c.SEASON], sort=True):
        year = season_start_year(str(season))
        prior = played[
            (played[c.LEAGUE] == league) & (start_year >= year - prior_seasons) & (start_year < year)
        ]
        model = BaseRatesModel().fit(prior) if len(prior) else None
        probs = model.predict_proba(group) if model else np.full((len(group), 3), np.nan)
        extra = {TRAIN_CUTOFF: group[c.DATE].min(), N_TRAIN: len(prior)}
        frames.append(prediction_frame(group, BASE_RATES, probs, **extra))
    return pd.concat(frames, ignore_index=True)


class BaseRatesModel(BaseEstimator):
    """Forecasts every match with the home/draw/away frequencies of its training matches.

    ``pseudo_count`` is added to each outcome count (0 = plain frequencies).
    """

    def __init__(self, pseudo_count: float = 0.0) -> None:
        self.pseudo_count = pseudo_count

    def fit(self, matches: pd.DataFrame, y: object = None) -> BaseRatesModel:
        """Count results "H"/"D"/"A" in ``matches``; rows without a result are ignored."""
        tally = matches[c.RESULT].value_counts().reindex(list(c.RESULT_TO_INDEX), fill_value=0)
        counts = tally.to_numpy(dtype=float) + self.pseudo_count
        if counts.sum() <= 0:
            raise ValueError("BaseRatesModel needs at least one match with a result to fit")
        self.classes_ = np.array(c.OUTCOMES)
        self.probabilities_ = counts / counts.sum()
        return self

    def predict_proba(self, matches: pd.DataFrame) -> np.ndarray:
        """The fitted frequencies, one row per match (columns home/draw/away)."""
        return np.tile(self.probabilities_, (len(matches), 1))
