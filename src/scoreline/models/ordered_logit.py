"""Ordered logistic regression for match outcomes (away < draw < home).

``P(outcome <= k) = sigmoid(theta_k - x @ beta)`` with cut points ``theta_0 < theta_1``: one linear score
moves probability monotonically from away wins through draws to home wins, which is how Hvattum & Arntzen
(2010) map a rating difference to 1X2 probabilities. A small L2 penalty keeps the fit finite on separable
data.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit

from scoreline.models.base import ConvergenceError

_EPS = 1e-12


def _probabilities(eta: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Columns (away, draw, home) for linear scores ``eta`` and cut points ``theta``."""
    below_draw = expit(theta[0] - eta)
    below_home = expit(theta[1] - eta)
    return np.column_stack([below_draw, below_home - below_draw, 1.0 - below_home])


def _unpack(params: np.ndarray, n_features: int) -> tuple[np.ndarray, np.ndarray]:
    beta = params[:n_features]
    theta = np.array([params[n_features], params[n_features] + np.exp(params[n_features + 1])])
    return beta, theta


def _objective(
    params: np.ndarray, x: np.ndarray, y: np.ndarray, weights: np.ndarray, alpha: float
) -> tuple[float, np.ndarray]:
    """Weighted negative log-likelihood (per unit weight) plus L2 on ``beta``, with its gradient."""
    n_features = x.shape[1]
    beta, theta = _unpack(params, n_features)
    eta = x @ beta
    s0, s1 = expit(theta[0] - eta), expit(theta[1] - eta)
    d0, d1 = s0 * (1 - s0), s1 * (1 - s1)
    # For each class: probability, d p / d theta0, d p / d theta1 (d p / d eta = -(dtheta0 + dtheta1)).
    p = np.where(y == 0, s0, np.where(y == 1, s1 - s0, 1 - s1))
    dp_t0 = np.where(y == 0, d0, np.where(y == 1, -d0, 0.0))
    dp_t1 = np.where(y == 0, 0.0, np.where(y == 1, d1, -d1))
    p = np.maximum(p, _EPS)
    total = weights.sum()
    loss = -(weights * np.log(p)).sum() / total + alpha * beta @ beta
    g_t0 = -(weights * dp_t0 / p).sum() / total
    g_t1 = -(weights * dp_t1 / p).sum() / total
    g_beta = (weights * (dp_t0 + dp_t1) / p) @ x / total + 2 * alpha * beta
    gap = np.exp(params[n_features + 1])
    grad = np.concatenate([g_beta, [g_t0 + g_t1, g_t1 * gap]])
    return float(loss), grad


def fit_ordered_logit(
    x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None, alpha: float = 1e-4
) -> tuple[np.ndarray, np.ndarray]:
    """Fit coefficients ``beta`` and cut points ``theta``; ``y`` is 0 for away wins, 1 draws, 2 home wins."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=int)
    if x.ndim != 2 or len(x) != len(y):
        raise ValueError(f"x must be (n, k) and y (n,), got {x.shape} and {y.shape}")
    if len(np.unique(y)) < 3:
        raise ValueError("ordered logit needs away wins, draws and home wins in the training data")
    weights = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    start = np.concatenate([np.zeros(x.shape[1]), [-0.5, np.log(1.0)]])
    result = minimize(_objective, start, args=(x, y, weights, alpha), jac=True, method="L-BFGS-B")
    if not result.success:
        raise ConvergenceError(f"ordered logit did not converge: {result.message}")
    return _unpack(result.x, x.shape[1])


def predict_ordered_logit(x: np.ndarray, beta: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Home/draw/away probabilities (columns in ``columns.OUTCOMES`` order) for covariates ``x``."""
    away_draw_home = _probabilities(np.asarray(x, dtype=float) @ beta, theta)
    return np.asarray(away_draw_home[:, ::-1])
