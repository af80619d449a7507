"""Market features from PRE-MATCH (opening) 1X2 odds only.

Closing odds are what the market knew at kickoff, i.e. a benchmark and a target, never a pre-match feature.
That rule holds by construction: the market group accepts only :class:`OpeningOdds`, which refuses any row
whose ``timing`` is not ``"opening"`` and is built from a long odds frame by :meth:`OpeningOdds.from_long`
(which keeps opening rows only). Wide football-data tables (with ``PSCH``-style closing columns) have no
``timing`` column and are refused too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoreline import columns as c
from scoreline.features.params import MarketParams
from scoreline.features.timeline import match_days
from scoreline.odds import PRICE_COLUMNS_1X2, devig, market_1x2_prices, overround, valid_prices

MARKET_METHODS = {"mult": "multiplicative", "shin": "shin", "power": "power"}
MARKET_COLUMNS = (
    *(f"mkt_{short}_{outcome}" for short in MARKET_METHODS for outcome in c.OUTCOMES),
    "mkt_margin",
)


class OpeningOdds:
    """A long odds frame (``columns.ODDS_COLUMNS``) holding opening prices only; a private copy."""

    __slots__ = ("_frame",)

    def __init__(self, odds: pd.DataFrame) -> None:
        missing = [name for name in c.ODDS_COLUMNS if name not in odds.columns]
        if missing:
            raise ValueError(
                f"OpeningOdds needs a long odds frame with columns {list(c.ODDS_COLUMNS)}; missing {missing}"
            )
        not_opening = (odds[c.TIMING] != c.OPENING).to_numpy()
        if not_opening.any():
            first = np.flatnonzero(not_opening)[0]
            raise ValueError(
                f"OpeningOdds refuses {int(not_opening.sum())} row(s) whose timing is not {c.OPENING!r} "
                f"(first: row {odds.index[first]!r}, timing={odds[c.TIMING].iloc[first]!r}); closing odds "
                "are targets, never pre-match features. Use OpeningOdds.from_long(odds)."
            )
        self._frame = odds.loc[:, list(c.ODDS_COLUMNS)].copy()

    @classmethod
    def from_long(cls, odds: pd.DataFrame) -> OpeningOdds:
        """Keep the opening rows of a long odds frame (closing rows are dropped, never seen)."""
        if c.TIMING not in odds.columns:
            raise ValueError(f"a long odds frame needs a {c.TIMING!r} column; have {list(odds.columns)}")
        return cls(odds[odds[c.TIMING] == c.OPENING])

    @property
    def frame(self) -> pd.DataFrame:
        """A copy of the opening rows."""
        return self._frame.copy()

    def __len__(self) -> int:
        return len(self._frame)


def market_features(matches: pd.DataFrame, odds: OpeningOdds, params: MarketParams) -> pd.DataFrame:
    """De-vigged opening 1X2 probabilities (multiplicative, Shin, power) and the margin, per match.

    Matches without a valid opening triple from ``params.bookmakers`` get NaN.
    """
    if not isinstance(odds, OpeningOdds):
        raise TypeError(
            f"the market group takes OpeningOdds, not {type(odds).__name__}; build it with "
            "OpeningOdds.from_long(long_odds_frame) so closing odds can never become features"
        )
    key = list(c.MATCH_KEY)
    triples = market_1x2_prices(odds._frame, c.OPENING, params.bookmakers)
    triples[c.DATE] = pd.to_datetime(triples[c.DATE]).dt.normalize()
    wanted = pd.DataFrame(
        {
            c.LEAGUE: matches[c.LEAGUE].astype(str).to_numpy(),
            c.DATE: match_days(matches).to_numpy(),
            c.HOME: matches[c.HOME].astype(str).to_numpy(),
            c.AWAY: matches[c.AWAY].astype(str).to_numpy(),
        }
    )
    triples = triples.astype({c.LEAGUE: str, c.HOME: str, c.AWAY: str})
    prices = wanted.merge(triples, on=key, how="left", validate="many_to_one")[list(PRICE_COLUMNS_1X2)]
    return market_columns(prices.to_numpy(dtype=float), matches.index)


def market_columns(prices: np.ndarray, index: pd.Index) -> pd.DataFrame:
    """The market group's columns (``MARKET_COLUMNS``) from one 1X2 price triple per row: the de-vigged
    probabilities by each method and the margin; NaN for a row whose triple is not valid.

    Row by row: each row's values depend on its own prices only, so any subset of rows gives the same values
    as the whole (which lets callers compute each distinct triple once).
    """
    prices = np.asarray(prices, dtype=float)
    out: dict[str, np.ndarray] = {}
    for short, method in MARKET_METHODS.items():
        fair = devig(prices, method)  # type: ignore[arg-type]
        for j, outcome in enumerate(c.OUTCOMES):
            out[f"mkt_{short}_{outcome}"] = fair[:, j]
    with np.errstate(invalid="ignore", divide="ignore"):
        margin = overround(prices) - 1.0
        out["mkt_margin"] = np.where(valid_prices(prices), margin, np.nan)
    return pd.DataFrame(out, index=index)
