"""Bookmaker odds to probabilities: overround and de-vigging (multiplicative, Shin, power).

All functions are vectorised over rows: ``prices`` is an ``(n, k)`` array of decimal odds for the ``k``
mutually exclusive outcomes of ``n`` events. Rows whose prices are not usable (missing, not above 1, or an
overround outside ``(1.0, MAX_OVERROUND]``) give NaN probabilities, so one bad quote never poisons the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import pandas as pd

from scoreline import columns as c

DevigMethod = Literal["multiplicative", "shin", "power"]
DEVIG_METHODS: tuple[str, ...] = get_args(DevigMethod)
MAX_OVERROUND = 1.30
_BISECTION_STEPS = 80
PRICE_COLUMNS_1X2 = ("price_home", "price_draw", "price_away")
# Whose 1X2 triple stands for "the market", in order of preference (as in the reference forecasts).
PREFERRED_1X2_BOOKMAKERS = ("pinnacle", "market_avg")


def overround(prices: np.ndarray) -> np.ndarray:
    """Sum of implied probabilities per row (1.05 means a 5% bookmaker margin)."""
    return np.asarray(np.sum(1.0 / np.asarray(prices, dtype=float), axis=1))


def valid_prices(prices: np.ndarray, max_overround: float = MAX_OVERROUND) -> np.ndarray:
    """Rows whose every price is above 1 and whose overround lies in ``(1.0, max_overround]``."""
    prices = np.asarray(prices, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        booksum = overround(prices)
        return np.asarray(np.all(prices > 1.0, axis=1) & (booksum > 1.0) & (booksum <= max_overround))


@dataclass(frozen=True)
class PriceProblem:
    """Why one row's home/draw/away prices cannot be used; ``outcome`` is ``None`` when the triple as a whole
    is unusable (every price above 1 but an overround no de-vig method accepts)."""

    row: int
    outcome: str | None
    reason: str


def price_problems(prices: np.ndarray, max_overround: float = MAX_OVERROUND) -> list[PriceProblem]:
    """Every problem of an ``(n, 3)`` array of home/draw/away decimal prices, by row then outcome.

    A price is a problem when it is missing (NaN) or not above 1; a row whose three prices are fine but whose
    overround lies outside ``(1.0, max_overround]`` is one too (:func:`devig` would give it NaN).
    """
    prices = np.asarray(prices, dtype=float)
    if prices.ndim != 2 or prices.shape[1] != len(c.OUTCOMES):
        raise ValueError(f"prices must have shape (n, 3) (home, draw, away), got {prices.shape}")
    problems = []
    with np.errstate(invalid="ignore", divide="ignore"):
        above_one = prices > 1.0
        booksum = overround(prices)
    bad = ~above_one.all(axis=1) | ~((booksum > 1.0) & (booksum <= max_overround))
    for row in (int(i) for i in np.flatnonzero(bad)):
        for j, outcome in enumerate(c.OUTCOMES):
            if not above_one[row, j]:
                value = prices[row, j]
                reason = "is missing" if np.isnan(value) else f"is {value:g}; decimal odds must be above 1"
                problems.append(PriceProblem(row, outcome, reason))
        if above_one[row].all():
            problems.append(
                PriceProblem(
                    row,
                    None,
                    f"imply probabilities summing to {booksum[row]:.3f}; a bookmaker's 1X2 prices sum to "
                    f"more than 1 and at most {max_overround:g}",
                )
            )
    return problems


def devig(prices: np.ndarray, method: DevigMethod = "shin") -> np.ndarray:
    """Fair probabilities implied by ``prices`` with the bookmaker margin removed.

    - ``multiplicative``: implied probabilities divided by their sum.
    - ``shin``: Shin's (1993) model of a bookmaker facing insider trading (Strumbelj 2014 found it the most
      accurate); the insider share ``z`` is solved per row so the probabilities sum to one.
    - ``power``: implied probabilities raised to the power ``k`` that makes them sum to one, which shifts
      more margin onto long shots than the multiplicative method.
    """
    if method not in DEVIG_METHODS:
        raise ValueError(f"unknown de-vig method {method!r}; choose one of {', '.join(DEVIG_METHODS)}")
    prices = np.asarray(prices, dtype=float)
    if prices.ndim != 2:
        raise ValueError(f"prices must be a 2-D array (events x outcomes), got shape {prices.shape}")
    ok = valid_prices(prices)
    implied = np.full(prices.shape, np.nan)
    implied[ok] = 1.0 / prices[ok]
    if method == "multiplicative":
        fair = implied / implied.sum(axis=1, keepdims=True)
    elif method == "shin":
        fair = _shin(implied)
    else:
        fair = _power(implied)
    return np.asarray(fair)


def _shin_probabilities(implied: np.ndarray, z: np.ndarray) -> np.ndarray:
    booksum = implied.sum(axis=1, keepdims=True)
    z = z[:, None]
    return np.asarray((np.sqrt(z**2 + 4 * (1 - z) * implied**2 / booksum) - z) / (2 * (1 - z)))


def _shin(implied: np.ndarray) -> np.ndarray:
    """Bisection on Shin's ``z`` in [0, 1): the probabilities' sum falls as ``z`` rises."""
    low = np.zeros(len(implied))
    high = np.full(len(implied), 0.999)
    for _ in range(_BISECTION_STEPS):
        mid = (low + high) / 2
        too_big = _shin_probabilities(implied, mid).sum(axis=1) > 1
        low = np.where(too_big, mid, low)
        high = np.where(too_big, high, mid)
    fair = _shin_probabilities(implied, (low + high) / 2)
    return np.asarray(fair / fair.sum(axis=1, keepdims=True))


def _power(implied: np.ndarray) -> np.ndarray:
    """Bisection on the exponent ``k`` (in log space) so that ``sum(implied ** k) == 1``."""
    low = np.zeros(len(implied))
    high = np.full(len(implied), np.log(50.0))
    for _ in range(_BISECTION_STEPS):
        mid = (low + high) / 2
        too_big = (implied ** np.exp(mid)[:, None]).sum(axis=1) > 1
        low = np.where(too_big, mid, low)
        high = np.where(too_big, high, mid)
    fair = implied ** np.exp((low + high) / 2)[:, None]
    return np.asarray(fair / fair.sum(axis=1, keepdims=True))


def market_1x2_prices(
    odds: pd.DataFrame, timing: str, bookmakers: tuple[str, ...] = PREFERRED_1X2_BOOKMAKERS
) -> pd.DataFrame:
    """One 1X2 price triple per match from a long odds frame: the first of ``bookmakers`` with a valid triple.

    Returns the match key columns, ``bookmaker`` and ``price_home/price_draw/price_away``; matches with no
    valid triple are absent. ``timing`` is ``columns.OPENING`` or ``columns.CLOSING``.
    """
    key = list(c.MATCH_KEY)
    rows = odds[
        (odds[c.MARKET] == c.MARKET_1X2) & (odds[c.TIMING] == timing) & odds[c.BOOKMAKER].isin(bookmakers)
    ]
    rows = rows.assign(
        **{c.OUTCOME: rows[c.OUTCOME].map(dict(zip(c.OUTCOMES, PRICE_COLUMNS_1X2, strict=True)))}
    )
    wide = rows.pivot_table(index=[*key, c.BOOKMAKER], columns=c.OUTCOME, values=c.PRICE, aggfunc="first")
    wide = wide.reindex(columns=list(PRICE_COLUMNS_1X2)).reset_index()
    wide.columns.name = None
    wide = wide[valid_prices(wide[list(PRICE_COLUMNS_1X2)].to_numpy())]
    rank = wide[c.BOOKMAKER].map({name: i for i, name in enumerate(bookmakers)})
    best = wide.assign(_rank=rank).sort_values([*key, "_rank"]).drop_duplicates(key)
    return best.drop(columns="_rank").reset_index(drop=True)


OPENING_PRICE_COLUMNS = ("opening_price_home", "opening_price_draw", "opening_price_away")


def attach_opening_prices(matches: pd.DataFrame, odds: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``matches`` with the market's opening 1X2 prices as ``OPENING_PRICE_COLUMNS`` (NaN if none).

    This is how models that use market features receive pre-match odds: only opening prices are attached,
    so closing prices cannot reach a model's inputs.
    """
    key = list(c.MATCH_KEY)
    prices = market_1x2_prices(odds, c.OPENING).rename(
        columns=dict(zip(PRICE_COLUMNS_1X2, OPENING_PRICE_COLUMNS, strict=True))
    )
    prices[c.DATE] = pd.to_datetime(prices[c.DATE])
    merged = matches.drop(columns=[name for name in OPENING_PRICE_COLUMNS if name in matches.columns]).merge(
        prices[[*key, *OPENING_PRICE_COLUMNS]], on=key, how="left", validate="many_to_one"
    )
    merged.index = matches.index
    return merged


def opening_odds_long(matches: pd.DataFrame) -> pd.DataFrame:
    """The ``OPENING_PRICE_COLUMNS`` of ``matches`` as a long odds frame (opening, bookmaker "market")."""
    key = list(c.MATCH_KEY)
    wide = matches[[*key, *OPENING_PRICE_COLUMNS]].dropna(subset=list(OPENING_PRICE_COLUMNS))
    long = wide.melt(
        id_vars=key, value_vars=list(OPENING_PRICE_COLUMNS), var_name=c.OUTCOME, value_name=c.PRICE
    )
    long[c.OUTCOME] = long[c.OUTCOME].map(dict(zip(OPENING_PRICE_COLUMNS, c.OUTCOMES, strict=True)))
    long[c.BOOKMAKER] = "market"
    long[c.MARKET] = c.MARKET_1X2
    long[c.LINE] = np.nan
    long[c.TIMING] = c.OPENING
    return long[list(c.ODDS_COLUMNS)]


def market_probabilities(odds: pd.DataFrame, timing: str, method: DevigMethod = "shin") -> pd.DataFrame:
    """The market's de-vigged home/draw/away probabilities per match (match key and ``p_home/p_draw/p_away``).

    Uses :func:`market_1x2_prices` (Pinnacle, else the market average); matches without a valid triple are
    absent.
    """
    triples = market_1x2_prices(odds, timing)
    fair = devig(triples[list(PRICE_COLUMNS_1X2)].to_numpy(), method)
    probabilities = pd.DataFrame(fair, columns=list(c.PROBABILITY_COLUMNS), index=triples.index)
    return pd.concat([triples[list(c.MATCH_KEY)], probabilities], axis=1)
