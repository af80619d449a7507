"""Market features: opening odds only, by construction; de-vigged values match scoreline.odds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scoreline import columns as c
from scoreline.features import OpeningOdds, build_features
from scoreline.features.market import MARKET_COLUMNS
from scoreline.odds import devig
from scoreline.simulate import football_data_frame, simulate_league

MATCHES = simulate_league(4, ("2324",), seed=7).matches


def long_odds(matches: pd.DataFrame) -> pd.DataFrame:
    """Pinnacle opening (PSH/D/A) and closing (PSCH/D/A) 1X2 prices in long format."""
    table = football_data_frame(matches, seed=1)
    rows = []
    for timing, prefix in ((c.OPENING, "PS"), (c.CLOSING, "PSC")):
        for outcome, letter in zip(c.OUTCOMES, "HDA", strict=True):
            rows.append(
                pd.DataFrame(
                    {
                        c.LEAGUE: matches[c.LEAGUE],
                        c.DATE: matches[c.DATE],
                        c.HOME: matches[c.HOME],
                        c.AWAY: matches[c.AWAY],
                        c.BOOKMAKER: "pinnacle",
                        c.MARKET: c.MARKET_1X2,
                        c.LINE: np.nan,
                        c.TIMING: timing,
                        c.OUTCOME: outcome,
                        c.PRICE: table[f"{prefix}{letter}"],
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)


def test_opening_odds_refuse_closing_rows() -> None:
    odds = long_odds(MATCHES)
    with pytest.raises(ValueError, match=r"refuses .* timing is not 'opening'"):
        OpeningOdds(odds)
    wide = football_data_frame(MATCHES)
    with pytest.raises(ValueError, match="long odds frame"):
        OpeningOdds.from_long(wide)
    opening = OpeningOdds.from_long(odds)
    assert len(opening) == 3 * len(MATCHES)
    assert (opening.frame[c.TIMING] == c.OPENING).all()


def test_market_group_accepts_only_opening_odds() -> None:
    with pytest.raises(TypeError, match="OpeningOdds"):
        build_features(MATCHES, odds=long_odds(MATCHES), groups=("market",))  # type: ignore[arg-type]


def test_market_features_are_devigged_opening_prices() -> None:
    odds = long_odds(MATCHES)
    got = build_features(MATCHES, odds=OpeningOdds.from_long(odds), groups=("market",))
    assert list(got.columns[6:]) == list(MARKET_COLUMNS)
    prices = football_data_frame(MATCHES, seed=1)[["PSH", "PSD", "PSA"]].to_numpy()
    for short, method in (("mult", "multiplicative"), ("shin", "shin"), ("power", "power")):
        columns = [f"mkt_{short}_{o}" for o in c.OUTCOMES]
        assert np.allclose(got[columns].to_numpy(), devig(prices, method))  # type: ignore[arg-type]
        assert np.allclose(got[columns].sum(axis=1), 1)
    assert np.allclose(got["mkt_margin"], (1 / prices).sum(axis=1) - 1)


def test_closing_prices_never_change_market_features() -> None:
    odds = long_odds(MATCHES)
    moved = odds.copy()
    closing = moved[c.TIMING] == c.CLOSING
    moved.loc[closing, c.PRICE] = moved.loc[closing, c.PRICE] * 1.5
    first = build_features(MATCHES, odds=OpeningOdds.from_long(odds), groups=("market",))
    second = build_features(MATCHES, odds=OpeningOdds.from_long(moved), groups=("market",))
    pd.testing.assert_frame_equal(first, second)


def test_matches_without_a_valid_opening_triple_get_nan() -> None:
    odds = long_odds(MATCHES)
    first = (odds[c.HOME] == MATCHES[c.HOME].iloc[0]) & (odds[c.DATE] == MATCHES[c.DATE].iloc[0])
    odds.loc[first & (odds[c.OUTCOME] == "draw"), c.PRICE] = 0.5  # not a price
    got = build_features(MATCHES, odds=OpeningOdds.from_long(odds), groups=("market",))
    assert got.iloc[0][list(MARKET_COLUMNS)].isna().all()
    assert got.iloc[1:][list(MARKET_COLUMNS)].notna().all().all()
