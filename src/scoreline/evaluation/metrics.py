"""Scores of 1X2 probability forecasts: RPS, log loss, Brier, accuracy, calibration.

Every function takes ``probs``, an ``(n, 3)`` array of probabilities in the order home/draw/away
(``columns.OUTCOMES``), and ``outcomes``, an ``(n,)`` array of outcome indices (0 home, 1 draw, 2 away;
``columns.RESULT_TO_INDEX`` maps "H"/"D"/"A"). Per-match functions (``*_scores``) return ``(n,)`` arrays, used
by the paired tests in :mod:`scoreline.evaluation.stats`; the others return the mean over matches.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoreline import columns as c

N_OUTCOMES = len(c.OUTCOMES)
DEFAULT_BINS = 10
LOG_LOSS_FLOOR = 1e-15  # probabilities are clipped here so a confident miss costs ~34.5, not infinity


def _check(probs: np.ndarray, outcomes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    probs = np.asarray(probs, dtype=float)
    outcomes = np.asarray(outcomes)
    if probs.ndim != 2 or probs.shape[1] != N_OUTCOMES:
        raise ValueError(f"probs must have shape (n, {N_OUTCOMES}), got {probs.shape}")
    if outcomes.shape != (len(probs),):
        raise ValueError(f"outcomes must have shape ({len(probs)},), got {outcomes.shape}")
    if len(outcomes) and (outcomes.min() < 0 or outcomes.max() >= N_OUTCOMES):
        raise ValueError(f"outcome indices must be in 0..{N_OUTCOMES - 1}")
    return probs, outcomes.astype(int)


def one_hot(outcomes: np.ndarray) -> np.ndarray:
    """``(n, 3)`` indicator matrix of the observed outcomes."""
    return np.eye(N_OUTCOMES)[np.asarray(outcomes, dtype=int)]


def outcome_indices(results: pd.Series | np.ndarray) -> np.ndarray:
    """Outcome indices from result letters "H"/"D"/"A"; raises on anything else."""
    mapped = pd.Series(np.asarray(results, dtype=object)).map(c.RESULT_TO_INDEX)
    if mapped.isna().any():
        bad = pd.Series(np.asarray(results, dtype=object))[mapped.isna()].unique()[:5]
        raise ValueError(f"results must be one of H/D/A, got {list(bad)}")
    return mapped.to_numpy(dtype=int)


def rps_scores(probs: np.ndarray, outcomes: np.ndarray) -> np.ndarray:
    """Ranked probability score per match (Epstein 1969; Constantinou & Fenton 2012).

    ``RPS = 1/(r-1) * sum_{i<r} (P_i - O_i)^2`` over the cumulative forecast ``P`` and cumulative outcome
    ``O`` with ``r = 3`` ordered outcomes (home < draw < away): half the sum of the two squared cumulative
    differences. 0 is a perfect forecast, 1 the worst.
    """
    probs, outcomes = _check(probs, outcomes)
    cumulative = np.cumsum(probs - one_hot(outcomes), axis=1)[:, :-1]
    return np.asarray((cumulative**2).sum(axis=1) / (N_OUTCOMES - 1))


def log_loss_scores(probs: np.ndarray, outcomes: np.ndarray) -> np.ndarray:
    """Negative natural log of the probability given to the observed outcome (clipped at 1e-15)."""
    probs, outcomes = _check(probs, outcomes)
    observed = probs[np.arange(len(probs)), outcomes]
    return np.asarray(-np.log(np.clip(observed, LOG_LOSS_FLOOR, 1.0)))


def brier_scores(probs: np.ndarray, outcomes: np.ndarray) -> np.ndarray:
    """Multi-class Brier score per match: sum over the 3 outcomes of squared errors (0 best, 2 worst)."""
    probs, outcomes = _check(probs, outcomes)
    return np.asarray(((probs - one_hot(outcomes)) ** 2).sum(axis=1))


def rps(probs: np.ndarray, outcomes: np.ndarray) -> float:
    """Mean ranked probability score."""
    return float(np.mean(rps_scores(probs, outcomes)))


def log_loss(probs: np.ndarray, outcomes: np.ndarray) -> float:
    """Mean log loss."""
    return float(np.mean(log_loss_scores(probs, outcomes)))


def brier(probs: np.ndarray, outcomes: np.ndarray) -> float:
    """Mean multi-class Brier score."""
    return float(np.mean(brier_scores(probs, outcomes)))


def accuracy(probs: np.ndarray, outcomes: np.ndarray) -> float:
    """Share of matches whose most probable outcome happened (ties go to the first: home, then draw)."""
    probs, outcomes = _check(probs, outcomes)
    return float(np.mean(np.argmax(probs, axis=1) == outcomes))


def _binned(probs: np.ndarray, outcomes: np.ndarray, n_bins: int) -> tuple[np.ndarray, ...]:
    """Per outcome (rows) and equal-width bin (columns): count, summed forecast and summed hits."""
    probs, outcomes = _check(probs, outcomes)
    bins = np.clip(np.floor(probs * n_bins).astype(int), 0, n_bins - 1)  # [k/n, (k+1)/n); 1.0 in the last
    hits = one_hot(outcomes)
    shape = (N_OUTCOMES, n_bins)
    count, predicted, observed = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for k in range(N_OUTCOMES):
        count[k] = np.bincount(bins[:, k], minlength=n_bins)
        predicted[k] = np.bincount(bins[:, k], weights=probs[:, k], minlength=n_bins)
        observed[k] = np.bincount(bins[:, k], weights=hits[:, k], minlength=n_bins)
    return count, predicted, observed


def reliability_curve(probs: np.ndarray, outcomes: np.ndarray, n_bins: int = DEFAULT_BINS) -> pd.DataFrame:
    """Reliability-diagram data: per outcome and equal-width probability bin, the mean forecast and frequency.

    Bins split [0, 1] into ``n_bins`` equal intervals (the last one closed). Returns one row per non-empty bin
    with ``outcome`` (home/draw/away), ``bin``, ``bin_low``, ``bin_high``, ``count``, ``mean_predicted``
    and ``observed_frequency``.
    """
    count, predicted, observed = _binned(probs, outcomes, n_bins)
    outcome, bin_no = np.nonzero(count)
    n = count[outcome, bin_no]
    return pd.DataFrame(
        {
            "outcome": np.asarray(c.OUTCOMES)[outcome],
            "bin": bin_no,
            "bin_low": bin_no / n_bins,
            "bin_high": (bin_no + 1) / n_bins,
            "count": n.astype(int),
            "mean_predicted": predicted[outcome, bin_no] / n,
            "observed_frequency": observed[outcome, bin_no] / n,
        }
    )


def calibration_errors(probs: np.ndarray, outcomes: np.ndarray, n_bins: int = DEFAULT_BINS) -> np.ndarray:
    """Expected calibration error per outcome (home, draw, away).

    For each outcome separately, forecasts are put in ``n_bins`` equal-width bins on [0, 1]; the ECE is the
    count-weighted mean over bins of ``|mean forecast - observed frequency|`` (Naeini et al. 2015), i.e.
    ``sum_bins |sum forecast - sum hits| / n``.
    """
    count, predicted, observed = _binned(probs, outcomes, n_bins)
    return np.asarray(np.abs(predicted - observed).sum(axis=1) / count.sum(axis=1))


def expected_calibration_error(probs: np.ndarray, outcomes: np.ndarray, n_bins: int = DEFAULT_BINS) -> float:
    """Mean of the three per-outcome expected calibration errors (see :func:`calibration_errors`)."""
    return float(np.mean(calibration_errors(probs, outcomes, n_bins)))


def summary(probs: np.ndarray, outcomes: np.ndarray, n_bins: int = DEFAULT_BINS) -> dict[str, float | int]:
    """``{"n", "rps", "logloss", "brier", "accuracy", "ece"}`` for one set of forecasts."""
    return {
        "n": len(outcomes),
        "rps": rps(probs, outcomes),
        "logloss": log_loss(probs, outcomes),
        "brier": brier(probs, outcomes),
        "accuracy": accuracy(probs, outcomes),
        "ece": expected_calibration_error(probs, outcomes, n_bins),
    }
