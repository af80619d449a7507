"""The contract every scoreline match model follows.

A model is a scikit-learn estimator (:class:`MatchModel`, a ``BaseEstimator``):

* ``__init__`` takes keyword hyper-parameters only and stores them unchanged (so ``get_params``,
  ``set_params`` and ``sklearn.base.clone`` work). Randomness is seeded by a ``random_state`` parameter.
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

:func:`predict_frame` returns the probabilities as a frame with ``p_home``/``p_draw``/``p_away``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from scoreline import columns as c
from scoreline.models.grid import ScoreGrid

CLASSES = np.array(c.OUTCOMES)
GOAL_MODEL_WINDOW_DAYS = 730  # goal models learn from two seasons, as the reference Dixon-Coles (penaltyblog)


def needs_opening_prices(estimator: Any) -> bool:
    """Whether ``estimator`` predicts from each fixture's opening 1X2 prices (``odds.OPENING_PRICE_COLUMNS``).

    Models with the market feature group and ensembles holding one say so with a ``needs_opening_prices``
    property; every other estimator ignores the prices.
    """
    return bool(getattr(estimator, "needs_opening_prices", False))


class ConvergenceError(RuntimeError):
    """A model's optimiser did not converge (after its retries); the message says which fit and why."""


class MatchModel(BaseEstimator, ABC):
    """Base class of all match models: see the module docstring for the contract."""

    classes_: np.ndarray

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
