"""Vectorised negative log-likelihoods with analytic gradients for the goal models, and their score grids.

The scoring rates are log-linear in a parameter vector ``beta``: ``log(rate_home) = H @ beta`` and
``log(rate_away) = A @ beta`` for design matrices ``H`` and ``A`` built by the estimator. Model-specific
parameters follow ``beta`` in ``theta``: nothing for Poisson, ``rho`` for Dixon-Coles, ``log(lambda3)`` for
the bivariate Poisson. Every function returns ``(value, gradient)`` for ``scipy.optimize.minimize(jac=True)``.
The likelihood includes the ``log(x!)`` constants, so it equals penaltyblog's and is a true log-probability.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.special import gammaln

TAU_FLOOR = 1e-10  # Dixon-Coles factors are floored here so the log stays finite on a bad trial step


@dataclass(frozen=True)
class GoalData:
    """Training data in the form the likelihoods need (all arrays of length ``n`` matches)."""

    home_design: np.ndarray  # (n, p)
    away_design: np.ndarray  # (n, p)
    home_goals: np.ndarray  # float
    away_goals: np.ndarray  # float
    weights: np.ndarray
    penalty: np.ndarray  # (p_theta, p_theta) precision of the Gaussian prior (zeros where flat)
    extra_design: np.ndarray | None = None  # (n, p_extra) design of a per-match model-specific predictor

    @cached_property
    def constant(self) -> float:
        """``sum(w * (log x! + log y!))``, the parameter-free part of the negative log-likelihood."""
        return float(self.weights @ (gammaln(self.home_goals + 1) + gammaln(self.away_goals + 1)))

    @cached_property
    def low_scores(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Matches that ended 0-0, 0-1, 1-0 or 1-1: their indices and float masks for 0-0, 0-1 and 1-0."""
        index = np.flatnonzero((self.home_goals <= 1) & (self.away_goals <= 1))
        x, y = self.home_goals[index], self.away_goals[index]
        return index, ((x == 0) & (y == 0)) * 1.0, ((x == 0) & (y == 1)) * 1.0, ((x == 1) & (y == 0)) * 1.0

    @cached_property
    def bivariate_coefficients(self) -> np.ndarray:
        """:func:`bivariate_coefficients` of the goals."""
        return bivariate_coefficients(self.home_goals, self.away_goals)


def _finish(
    data: GoalData,
    theta: np.ndarray,
    loglik: float,
    d_home: np.ndarray,
    d_away: np.ndarray,
    d_extra: list[float],
) -> tuple[float, np.ndarray]:
    """Negative penalised log-likelihood and gradient from per-match derivatives w.r.t. the log rates."""
    grad = np.empty_like(theta)
    p = data.home_design.shape[1]
    grad[:p] = -(data.home_design.T @ (data.weights * d_home) + data.away_design.T @ (data.weights * d_away))
    grad[p:] = -np.asarray(d_extra, dtype=float)
    penalty_grad = data.penalty @ theta
    value = -loglik + data.constant + 0.5 * float(theta @ penalty_grad)
    return value, grad + penalty_grad


def _poisson_parts(data: GoalData, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    eta_home = data.home_design @ beta
    eta_away = data.away_design @ beta
    return eta_home, eta_away, np.exp(eta_home), np.exp(eta_away)


def poisson_nll(theta: np.ndarray, data: GoalData) -> tuple[float, np.ndarray]:
    """Independent Poisson (Maher 1982)."""
    eta_h, eta_a, lam_h, lam_a = _poisson_parts(data, theta)
    x, y, w = data.home_goals, data.away_goals, data.weights
    loglik = float(w @ (x * eta_h - lam_h + y * eta_a - lam_a))
    return _finish(data, theta, loglik, x - lam_h, y - lam_a, [])


def dixon_coles_nll(theta: np.ndarray, data: GoalData) -> tuple[float, np.ndarray]:
    """Dixon & Coles (1997): Poisson times ``tau`` on the scores 0-0, 0-1, 1-0 and 1-1 (``rho = theta[-1]``).

    Every factor is ``tau = 1 + rho * g`` with ``g = -lh*la`` (0-0), ``lh`` (0-1), ``la`` (1-0), ``-1`` (1-1).
    """
    index, is00, is01, is10 = data.low_scores
    beta, rho = theta[:-1], float(theta[-1])
    eta_h, eta_a, lam_h, lam_a = _poisson_parts(data, beta)
    x, y, w = data.home_goals, data.away_goals, data.weights
    loglik = float(w @ (x * eta_h - lam_h + y * eta_a - lam_a))
    d_home, d_away = x - lam_h, y - lam_a
    lh, la = lam_h[index], lam_a[index]
    both = -is00 * lh * la
    g_home = both + is01 * lh  # d g / d eta_home
    g_away = both + is10 * la  # d g / d eta_away
    g = g_home + is10 * la - (1.0 - is00 - is01 - is10)
    tau = 1.0 + rho * g
    ok = tau > TAU_FLOOR
    safe = np.where(ok, tau, TAU_FLOOR)
    wi = w[index]
    loglik += float(wi @ np.log(safe))
    scale = np.where(ok, 1.0 / safe, 0.0)
    d_home[index] += rho * g_home * scale
    d_away[index] += rho * g_away * scale
    return _finish(data, theta, loglik, d_home, d_away, [float(wi @ (g * scale))])


def bivariate_coefficients(home_goals: np.ndarray, away_goals: np.ndarray) -> np.ndarray:
    """``C(x, k) C(y, k) k!`` for ``k = 0..max(min(x, y))``, shape ``(n, K + 1)``, zero past ``min(x, y)``."""
    both = np.minimum(home_goals, away_goals).astype(int)
    k = np.arange(int(both.max(initial=0)) + 1)
    log_coef = (
        gammaln(home_goals[:, None] + 1)
        - gammaln(home_goals[:, None] - k + 1)
        + gammaln(away_goals[:, None] + 1)
        - gammaln(away_goals[:, None] - k + 1)
        - gammaln(k + 1)
    )
    return np.where(k[None, :] <= both[:, None], np.exp(np.where(k <= both[:, None], log_coef, 0.0)), 0.0)


def bivariate_poisson_nll(theta: np.ndarray, data: GoalData) -> tuple[float, np.ndarray]:
    """Bivariate Poisson (Karlis & Ntzoufras 2003): ``X = W1 + W3``, ``Y = W2 + W3``.

    ``log(lambda3) = D @ theta[p:]`` with ``D = data.extra_design``, by default a column of ones (a constant).
    ``P(x, y) = exp(-l1 - l2 - l3) l1^x/x! l2^y/y! sum_k C(x, k) C(y, k) k! (l3 / (l1 l2))^k``.
    """
    coef = data.bivariate_coefficients
    p = data.home_design.shape[1]
    beta, extra = theta[:p], theta[p:]
    eta_1, eta_2, lam_1, lam_2 = _poisson_parts(data, beta)
    design = data.extra_design if data.extra_design is not None else np.ones((len(lam_1), 1))
    lam_3 = np.exp(design @ extra)
    x, y, w = data.home_goals, data.away_goals, data.weights
    ratio = lam_3 / (lam_1 * lam_2)
    k = np.arange(coef.shape[1])
    # A wild line-search step can overflow here; the non-finite loss makes L-BFGS step back (or retry).
    with np.errstate(over="ignore", invalid="ignore"):
        terms = coef * ratio[:, None] ** k
    total = terms.sum(axis=1)
    k_mean = (terms @ k) / total  # d log(total) / d log(ratio)
    loglik = float(w @ (x * eta_1 - lam_1 + y * eta_2 - lam_2 - lam_3 + np.log(total)))
    d_extra = design.T @ (w * (k_mean - lam_3))
    return _finish(data, theta, loglik, x - lam_1 - k_mean, y - lam_2 - k_mean, list(d_extra))


def poisson_pmf(rate: np.ndarray, max_goals: int) -> np.ndarray:
    """``P(N = k)`` for ``k = 0..max_goals`` and every rate, shape ``(n, max_goals + 1)``."""
    k = np.arange(max_goals + 1)
    rate = np.asarray(rate, dtype=float)[:, None]
    return np.asarray(np.exp(k * np.log(rate) - rate - gammaln(k + 1)))


def independent_grid(rate_home: np.ndarray, rate_away: np.ndarray, max_goals: int) -> np.ndarray:
    """Joint score probabilities of two independent Poisson counts, shape ``(n, G + 1, G + 1)``."""
    return poisson_pmf(rate_home, max_goals)[:, :, None] * poisson_pmf(rate_away, max_goals)[:, None, :]


def valid_rho(rho: float, rate_home: np.ndarray, rate_away: np.ndarray, margin: float = 1e-6) -> np.ndarray:
    """``rho`` clipped per fixture to the range where all four Dixon-Coles factors are positive.

    ``1 - rho*lh*la > 0``, ``1 + rho*lh > 0``, ``1 + rho*la > 0`` and ``1 - rho > 0`` hold for
    ``max(-1/lh, -1/la) < rho < min(1/(lh*la), 1)``; ``margin`` keeps the factors at least that far from zero.
    """
    low = np.maximum(-(1 - margin) / rate_home, -(1 - margin) / rate_away)
    high = np.minimum((1 - margin) / (rate_home * rate_away), 1 - margin)
    return np.asarray(np.clip(rho, low, high))


def dixon_coles_grid(rate_home: np.ndarray, rate_away: np.ndarray, rho: float, max_goals: int) -> np.ndarray:
    """Dixon-Coles score grid (unnormalised; :class:`ScoreGrid` renormalises) with ``rho`` kept valid."""
    grid = independent_grid(rate_home, rate_away, max_goals)
    r = valid_rho(rho, rate_home, rate_away)
    grid[:, 0, 0] *= 1 - r * rate_home * rate_away
    grid[:, 0, 1] *= 1 + r * rate_home
    grid[:, 1, 0] *= 1 + r * rate_away
    grid[:, 1, 1] *= 1 - r
    return grid


def bivariate_grid(
    rate_1: np.ndarray, rate_2: np.ndarray, rate_3: float | np.ndarray, max_goals: int
) -> np.ndarray:
    """Bivariate Poisson score grid: ``P(x, y) = sum_k P3(k) P1(x - k) P2(y - k)``."""
    p1 = poisson_pmf(rate_1, max_goals)
    p2 = poisson_pmf(rate_2, max_goals)
    p3 = poisson_pmf(np.broadcast_to(np.asarray(rate_3, dtype=float), len(p1)), max_goals)
    grid = np.zeros((len(p1), max_goals + 1, max_goals + 1))
    for k in range(max_goals + 1):
        size = max_goals + 1 - k
        grid[:, k:, k:] += p3[:, k, None, None] * p1[:, :size, None] * p2[:, None, :size]
    return grid
