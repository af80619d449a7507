"""Is model A really better than model B on the same matches? Paired bootstrap and Diebold-Mariano.

Both take per-match losses of two forecasters on the SAME matches (e.g. :func:`metrics.rps_scores`), with the
difference ``d = loss_a - loss_b``: a negative mean difference favours A (lower loss is better).

Dependence: matches of one round share conditions (weather, fixture congestion, news), so the bootstrap
resamples whole blocks — by default the (league, season, ISO week) round the walk-forward engine predicts in
one go — rather than single matches (a moving-block/cluster bootstrap; Künsch 1989, Cameron et al. 2008).
The Diebold-Mariano test treats the kickoff-ordered difference series as a time series and uses a
Newey-West (Bartlett-kernel HAC) long-run variance.
"""

from __future__ import annotations

from typing import TypedDict

import numpy as np
from scipy import stats as sps

DEFAULT_BOOTSTRAP = 2000
DEFAULT_LEVEL = 0.95


class Comparison(TypedDict):
    """Result of :func:`compare`: ``mean_diff`` is mean(loss_a - loss_b); negative favours A."""

    a: str
    b: str
    n: int
    mean_diff: float
    ci_low: float
    ci_high: float
    dm_stat: float
    p_value: float
    a_beats_b: bool


def _differences(loss_a: np.ndarray, loss_b: np.ndarray) -> np.ndarray:
    loss_a = np.asarray(loss_a, dtype=float)
    loss_b = np.asarray(loss_b, dtype=float)
    if loss_a.shape != loss_b.shape or loss_a.ndim != 1:
        raise ValueError(f"losses must be 1-D arrays of one length, got {loss_a.shape} and {loss_b.shape}")
    diff = loss_a - loss_b
    if not np.isfinite(diff).all():
        raise ValueError("losses contain NaN or infinite values; score both models on the same matches")
    return diff


def paired_bootstrap(
    loss_a: np.ndarray,
    loss_b: np.ndarray,
    groups: np.ndarray | None = None,
    n_boot: int = DEFAULT_BOOTSTRAP,
    level: float = DEFAULT_LEVEL,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Mean of ``loss_a - loss_b`` and its percentile bootstrap interval: ``(mean, low, high)``.

    ``groups`` labels the resampling blocks (one label per match, e.g. round ids); ``None`` resamples single
    matches. Each replicate draws as many blocks as there are, with replacement, and takes the match-weighted
    mean difference of the drawn blocks. Vectorised over an ``(n_boot, n_blocks)`` matrix of drawn block
    indices. Deterministic for a given ``seed`` (the same seed draws the same blocks for every pair of models
    scored on the same matches: common random numbers).
    """
    diff = _differences(loss_a, loss_b)
    if len(diff) == 0:
        raise ValueError("no matches to compare")
    labels = np.arange(len(diff)) if groups is None else np.asarray(groups)
    if labels.shape != diff.shape:
        raise ValueError(f"groups must have one label per match ({len(diff)}), got shape {labels.shape}")
    _, block = np.unique(labels, return_inverse=True)
    sums = np.bincount(block, weights=diff)
    counts = np.bincount(block).astype(float)
    draws = np.random.default_rng(seed).integers(0, len(sums), size=(n_boot, len(sums)))
    replicates = sums[draws].sum(axis=1) / counts[draws].sum(axis=1)
    alpha = (1.0 - level) / 2
    low, high = np.quantile(replicates, [alpha, 1.0 - alpha])
    return float(diff.mean()), float(low), float(high)


def newey_west_lag(n: int) -> int:
    """Newey & West's (1994) automatic bandwidth ``floor(4 * (n / 100) ** (2 / 9))``."""
    return int(np.floor(4 * (n / 100) ** (2 / 9))) if n > 0 else 0


def long_run_variance(series: np.ndarray, lag: int) -> float:
    """Newey-West HAC estimate of the long-run variance of ``series`` (Bartlett weights ``1 - j/(lag+1)``)."""
    x = np.asarray(series, dtype=float) - np.mean(series)
    n = len(x)
    variance = float(x @ x) / n
    for j in range(1, min(lag, n - 1) + 1):
        variance += 2 * (1 - j / (lag + 1)) * float(x[j:] @ x[:-j]) / n
    return variance


def diebold_mariano(loss_a: np.ndarray, loss_b: np.ndarray, lag: int | None = None) -> tuple[float, float]:
    """Diebold-Mariano (1995) test of equal expected loss: ``(statistic, two-sided p-value)``.

    ``DM = mean(d) / sqrt(LRV(d) / n)`` with the Newey-West long-run variance (``lag`` defaults to
    :func:`newey_west_lag`), compared with a Student t with ``n - 1`` degrees of freedom as Harvey, Leybourne
    & Newbold (1997) advise. Losses must be in time order. Negative statistics favour A. Identical forecasts
    (all differences zero) give ``(0.0, 1.0)``.
    """
    diff = _differences(loss_a, loss_b)
    n = len(diff)
    if n < 2:
        raise ValueError("the Diebold-Mariano test needs at least 2 matches")
    lag = newey_west_lag(n) if lag is None else lag
    variance = long_run_variance(diff, lag)
    mean = float(diff.mean())
    if variance <= 0 or not np.isfinite(variance):
        return (0.0, 1.0) if mean == 0 else (float(np.sign(mean) * np.inf), 0.0)
    statistic = mean / np.sqrt(variance / n)
    p_value = 2 * float(sps.t.sf(abs(statistic), df=n - 1))
    return float(statistic), p_value


def compare(
    name_a: str,
    loss_a: np.ndarray,
    name_b: str,
    loss_b: np.ndarray,
    groups: np.ndarray | None = None,
    n_boot: int = DEFAULT_BOOTSTRAP,
    level: float = DEFAULT_LEVEL,
    seed: int = 0,
) -> Comparison:
    """Paired bootstrap interval and Diebold-Mariano test of A against B on the same, time-ordered matches.

    ``a_beats_b`` is True only when the whole interval lies below 0 (A's loss is lower).
    """
    mean_diff, low, high = paired_bootstrap(loss_a, loss_b, groups, n_boot, level, seed)
    statistic, p_value = diebold_mariano(loss_a, loss_b)
    return Comparison(
        a=name_a,
        b=name_b,
        n=len(np.asarray(loss_a)),
        mean_diff=mean_diff,
        ci_low=low,
        ci_high=high,
        dm_stat=statistic,
        p_value=p_value,
        a_beats_b=bool(high < 0),
    )
