"""The contract every scoreline match model follows.

A model is a scikit-learn classifier (:class:`MatchModel`: ``ClassifierMixin`` + ``BaseEstimator``):

* ``__init__`` takes keyword hyper-parameters only and stores them unchanged (so ``get_params``,
  ``set_params`` and ``sklearn.base.clone`` work). Randomness is seeded by a ``random_state`` parameter.
  Every parameter is declared in the class's ``_parameter_constraints`` (scikit-learn's parameter
  validation) and checked once, at the start of ``fit``: a bad value raises a ``ValueError`` naming it.
  Composite models hold their parts as estimators (e.g. ``EnsembleModel(estimators=[(name, model), ...])``).
  A model keeps no state outside itself; work shared between fits goes through an explicit
  :class:`~scoreline.models.memo.FitMemo` given as its ``memory`` parameter, by the caller that runs them.
* ``fit(X, y=None) -> self``: ``X`` is a *match frame* of past matches (canonical columns of
  :mod:`scoreline.columns`: league, season, date, kickoff, home, away, home_goals, away_goals, result, ...
  plus any feature columns a model uses). Rows without a result (missing goals) are ignored. ``y`` is
  ignored: the target is in ``X``. ``fit`` never mutates ``X``. Learned attributes end in ``_``;
  ``classes_`` is ``np.array(["home", "draw", "away"])``.
* ``predict_proba(X) -> np.ndarray`` of shape ``(n, 3)``: probabilities of home win, draw, away win (order
  :data:`scoreline.columns.OUTCOMES`), finite, in ``[0, 1]``, rows summing to one. Teams unseen in training
  never raise (each model documents what it predicts for them).
* ``predict(X)`` returns the most likely outcome label.

Goal models (:class:`GoalModel`) also predict the full score distribution, ``predict_grid(X) ->``
:class:`~scoreline.models.grid.ScoreGrid`, from which every goal market is priced; their ``predict_proba`` is
the grid's 1X2.

:func:`predict_frame` returns the probabilities as a frame with ``p_home``/``p_draw``/``p_away``;
:func:`check_probabilities` is the one check (tolerance :data:`PROBABILITY_TOLERANCE`) that a model's answer
is valid, used by the backtest and by serving alike.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import Tags

from scoreline import columns as c
from scoreline.models.grid import ScoreGrid

CLASSES = np.array(c.OUTCOMES)
GOAL_MODEL_WINDOW_DAYS = 730  # goal models learn from two seasons, as the reference Dixon-Coles (penaltyblog)
# How far a row's probabilities may miss summing to one (numpy.allclose(sums, 1, atol=1e-6) with its default
# rtol): float32 networks' rounding passes, a model that forgot to normalise does not.
PROBABILITY_TOLERANCE = 1.1e-5


def needs_opening_prices(estimator: Any) -> bool:
    """Whether ``estimator`` predicts from each fixture's opening 1X2 prices (``odds.OPENING_PRICE_COLUMNS``).

    Models with the market feature group and ensembles holding one say so with a ``needs_opening_prices``
    property; every other estimator ignores the prices.
    """
    return bool(getattr(estimator, "needs_opening_prices", False))


class ConvergenceError(RuntimeError):
    """A model's optimiser did not converge (after its retries); the message says which fit and why."""


def check_probabilities(probs: np.ndarray, n: int, *, allow_missing: bool = False) -> None:
    """Raise ``ValueError`` unless ``probs`` is ``(n, 3)`` home/draw/away probabilities: finite, in
    ``[0, 1]``, each row summing to one within :data:`PROBABILITY_TOLERANCE`. With ``allow_missing``, rows
    holding a NaN (a model that cannot price a fixture) pass unchecked."""
    if probs.shape != (n, len(CLASSES)):
        raise ValueError(f"probabilities have shape {probs.shape}, expected ({n}, {len(CLASSES)})")
    missing = np.isnan(probs).any(axis=1)
    if missing.any() and not allow_missing:
        raise ValueError(f"probabilities missing (NaN) in {int(missing.sum())} row(s)")
    rows = probs[~missing]
    if not np.isfinite(rows).all():
        raise ValueError("probabilities include infinite values")
    if ((rows < 0) | (rows > 1)).any():
        raise ValueError("probabilities outside [0, 1]")
    error = np.abs(rows.sum(axis=1) - 1.0).max(initial=0.0)
    if error > PROBABILITY_TOLERANCE:
        raise ValueError(f"probabilities do not sum to one (off by up to {error:.3g})")


class MatchModel(ClassifierMixin, BaseEstimator, ABC):
    """Base class of all match models: see the module docstring for the contract."""

    classes_: np.ndarray

    def __sklearn_tags__(self) -> Tags:
        """A classifier of match frames: the target is in ``X`` (no ``y``); team names are strings; rows
        without a result (missing goals) are allowed."""
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.input_tags.allow_nan = True
        return tags

    @abstractmethod
    def fit(self, X: pd.DataFrame, y: object = None) -> MatchModel:
        """Learn from the played matches in ``X``; return ``self``."""

    @abstractmethod
    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Home/draw/away probabilities, shape ``(len(X), 3)``."""

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """The most likely outcome (``"home"``, ``"draw"`` or ``"away"``) of every fixture."""
        return np.asarray(CLASSES[np.argmax(self.predict_proba(X), axis=1)])


class GoalModel(MatchModel):
    """A match model that predicts the joint distribution of the score."""

    @abstractmethod
    def predict_grid(self, X: pd.DataFrame) -> ScoreGrid:
        """Score probabilities of every fixture in ``X``."""

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return self.predict_grid(X).outcome_probabilities()


def played(X: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``X`` with a result (both goal counts present), as a new frame."""
    missing = [name for name in (c.HOME, c.AWAY, c.HOME_GOALS, c.AWAY_GOALS) if name not in X.columns]
    if missing:
        raise ValueError(f"match frame lacks column(s) {missing}")
    return X.loc[X[c.HOME_GOALS].notna() & X[c.AWAY_GOALS].notna()]


def predict_frame(model: MatchModel, X: pd.DataFrame) -> pd.DataFrame:
    """``model``'s probabilities for ``X`` as a frame (``p_home``, ``p_draw``, ``p_away``), ``X``'s index."""
    return pd.DataFrame(model.predict_proba(X), index=X.index, columns=list(c.PROBABILITY_COLUMNS))
