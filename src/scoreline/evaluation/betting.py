"""Value betting against the opening line, kept apart from accuracy: ROI, closing-line value, drawdown.

A model backs at most one outcome per match: the one with the largest expected value ``p * price - 1`` at
the opening price, if that exceeds ``edge``. The stake is a capped fractional Kelly share of a fixed bankroll
of 1 unit (flat, not compounding, so every bet counts alike and ROI is profit over total stake):
``min(kelly_fraction * (p * price - 1) / (price - 1), max_stake)``. Closing-line value (CLV) of a bet is
``opening price * de-vigged closing probability - 1``: positive when the price taken beat the closing line,
the sharpest public estimate of the true probability.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd

from scoreline import columns as c
from scoreline import odds as odds_lib
from scoreline.evaluation.predictions import MODEL
from scoreline.evaluation.stats import DEFAULT_BOOTSTRAP, DEFAULT_LEVEL

DEFAULT_EDGE = 0.02
DEFAULT_KELLY_FRACTION = 0.25
DEFAULT_MAX_STAKE = 0.02
OUTCOME: Final = "outcome"
PRICE: Final = "price"
P_MODEL: Final = "p_model"
EXPECTED_VALUE: Final = "expected_value"
STAKE: Final = "stake"
WON: Final = "won"
PROFIT: Final = "profit"
P_CLOSE: Final = "p_close"
CLV: Final = "clv"
CUMULATIVE_PROFIT: Final = "cumulative_profit"
BET_COLUMNS: Final = (
    c.LEAGUE,
    c.SEASON,
    c.DATE,
    c.KICKOFF,
    c.HOME,
    c.AWAY,
    MODEL,
    OUTCOME,
    PRICE,
    P_MODEL,
    EXPECTED_VALUE,
    STAKE,
    WON,
    PROFIT,
    P_CLOSE,
    CLV,
)


def kelly_stakes(
    probs: np.ndarray,
    prices: np.ndarray,
    kelly_fraction: float = DEFAULT_KELLY_FRACTION,
    max_stake: float = DEFAULT_MAX_STAKE,
) -> np.ndarray:
    """Capped fractional Kelly stake per entry (0 where the expected value is not positive)."""
    probs = np.asarray(probs, dtype=float)
    prices = np.asarray(prices, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        full = (probs * prices - 1) / (prices - 1)
    return np.asarray(np.clip(np.nan_to_num(kelly_fraction * full, nan=0.0), 0.0, max_stake))


def value_bets(
    predictions: pd.DataFrame,
    odds: pd.DataFrame,
    edge: float = DEFAULT_EDGE,
    kelly_fraction: float = DEFAULT_KELLY_FRACTION,
    max_stake: float = DEFAULT_MAX_STAKE,
    closing_method: odds_lib.DevigMethod = "shin",
) -> pd.DataFrame:
    """Bets every model in ``predictions`` would place at the opening prices of ``odds`` (long odds frame).

    Returns one row per bet (``BET_COLUMNS``), in kickoff order per model; matches without a result, a valid
    opening price triple or a finite forecast are skipped. ``p_close``/``clv`` are NaN without closing odds.
    """
    key = list(c.MATCH_KEY)
    opening = odds_lib.market_1x2_prices(odds, c.OPENING)
    closing = odds_lib.market_1x2_prices(odds, c.CLOSING)
    fair = odds_lib.devig(closing[list(odds_lib.PRICE_COLUMNS_1X2)].to_numpy(), closing_method)
    closing_fair = closing[key].assign(**{f"close_{k}": fair[:, k] for k in range(len(c.OUTCOMES))})
    table = predictions[predictions[c.RESULT].isin(c.RESULT_TO_INDEX)]
    table = table.merge(opening.drop(columns=c.BOOKMAKER), on=key, how="inner")
    table = table.merge(closing_fair, on=key, how="left")
    probs = table[list(c.PROBABILITY_COLUMNS)].to_numpy(dtype=float)
    prices = table[list(odds_lib.PRICE_COLUMNS_1X2)].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        value = probs * prices - 1
    value = np.where(np.isfinite(value), value, -np.inf)
    pick = np.argmax(value, axis=1)
    rows = np.arange(len(table))
    chosen = value[rows, pick] > edge
    table, pick, rows = table[chosen], pick[chosen], np.arange(int(chosen.sum()))
    price = prices[chosen][rows, pick]
    p_model = probs[chosen][rows, pick]
    stake = kelly_stakes(p_model, price, kelly_fraction, max_stake)
    won = table[c.RESULT].map(c.RESULT_TO_INDEX).to_numpy(dtype=int) == pick
    p_close = table[[f"close_{k}" for k in range(len(c.OUTCOMES))]].to_numpy(dtype=float)[rows, pick]
    bets = table[[*key[:2], c.SEASON, c.KICKOFF, *key[2:], MODEL]].assign(
        **{
            OUTCOME: np.asarray(c.OUTCOMES)[pick],
            PRICE: price,
            P_MODEL: p_model,
            EXPECTED_VALUE: p_model * price - 1,
            STAKE: stake,
            WON: won,
            PROFIT: np.where(won, stake * (price - 1), -stake),
            P_CLOSE: p_close,
            CLV: price * p_close - 1,
        }
    )
    bets = bets[bets[STAKE] > 0]
    return bets.sort_values([MODEL, c.KICKOFF, c.LEAGUE, c.HOME], kind="stable")[
        list(BET_COLUMNS)
    ].reset_index(drop=True)


def max_drawdown(profits: np.ndarray) -> float:
    """Largest fall of cumulative profit from its running peak (the peak includes the starting 0)."""
    cumulative = np.concatenate([[0.0], np.cumsum(np.asarray(profits, dtype=float))])
    return float(np.max(np.maximum.accumulate(cumulative) - cumulative))


def cumulative_profit(bets: pd.DataFrame) -> pd.DataFrame:
    """Per model, cumulative profit after each bet in kickoff order: ``model, kickoff, cumulative_profit``."""
    ordered = bets.sort_values([MODEL, c.KICKOFF, c.LEAGUE, c.HOME], kind="stable")
    return (
        ordered[[MODEL, c.KICKOFF]]
        .assign(**{CUMULATIVE_PROFIT: ordered.groupby(MODEL, sort=False)[PROFIT].cumsum()})
        .reset_index(drop=True)
    )


def roi_interval(
    stakes: np.ndarray,
    profits: np.ndarray,
    n_boot: int = DEFAULT_BOOTSTRAP,
    level: float = DEFAULT_LEVEL,
    seed: int = 0,
) -> tuple[float, float, float]:
    """ROI (profit / stake) and its percentile bootstrap interval over bets: ``(roi, low, high)``."""
    stakes = np.asarray(stakes, dtype=float)
    profits = np.asarray(profits, dtype=float)
    if len(stakes) == 0 or stakes.sum() <= 0:
        return float("nan"), float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(len(stakes), np.full(len(stakes), 1 / len(stakes)), size=n_boot).astype(float)
    replicates = (draws @ profits) / (draws @ stakes)
    alpha = (1 - level) / 2
    low, high = np.quantile(replicates, [alpha, 1 - alpha])
    return float(profits.sum() / stakes.sum()), float(low), float(high)


def betting_summary(
    bets: pd.DataFrame, n_boot: int = DEFAULT_BOOTSTRAP, level: float = DEFAULT_LEVEL, seed: int = 0
) -> dict[str, dict[str, Any]]:
    """Per model: ``n_bets, staked, profit, roi, roi_ci_low, roi_ci_high, mean_clv, share_positive_clv,
    max_drawdown`` (stakes and profits in bankroll units)."""
    out: dict[str, dict[str, Any]] = {}
    for name, group in bets.sort_values([c.KICKOFF, c.LEAGUE, c.HOME], kind="stable").groupby(MODEL):
        roi, low, high = roi_interval(group[STAKE].to_numpy(), group[PROFIT].to_numpy(), n_boot, level, seed)
        clv = group[CLV].dropna()
        out[str(name)] = {
            "n_bets": len(group),
            "staked": float(group[STAKE].sum()),
            "profit": float(group[PROFIT].sum()),
            "roi": roi,
            "roi_ci_low": low,
            "roi_ci_high": high,
            "mean_clv": float(clv.mean()) if len(clv) else None,
            "share_positive_clv": float((clv > 0).mean()) if len(clv) else None,
            "max_drawdown": max_drawdown(group[PROFIT].to_numpy()),
        }
    return out
