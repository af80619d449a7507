"""Stacking ensemble: base models combined on out-of-time predictions only.

The last ``out_of_time_days`` of the training period are cut by date into ``n_folds`` consecutive blocks.
For each block, every base model is fitted on the matches before it and predicts it: these out-of-time
predictions are the only data the combiner ever sees. The base models are then refitted on the whole period
for prediction. Give the ensemble every past match: feature models rate teams from all of it, while goal
models (those with a score grid) are fitted on its last ``goal_model_days`` only. Every base model sees the
leagues the ensemble is given: in the backtest the test league alone, so an ensemble's Dixon-Coles lacks the
division below that the stand-alone model's promoted-team prior learns from.

The default combiner (``combiner="pool"``) is a log-linear opinion pool: the ensemble's log-probabilities are
a weighted mean of the base models' (weights non-negative, summing to one) plus outcome biases (draw and away;
home fixed at 0), fitted by log loss. ``combiner="logistic"`` is a multinomial logistic regression on the base
log-probabilities, free to sharpen or flatten them. The out-of-time blocks are long (a base model fitted at a
block's start predicts all of it), so their predictions are staler than those of base models refitted every
round in use; a logistic combiner learns that staleness and mis-scales fresh predictions, while the pool's
weights sum to one and so keep the base models' own sharpness.

Fitted base models are memoised per process by (name, seed, content of the training frame), a few at a time:
ensembles sharing base models on the same matches (``ensemble`` and ``ensemble_market`` in one backtest round)
fit each of them once. Fits are deterministic, so sharing changes no prediction.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import log_softmax, softmax
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from scoreline import columns as c
from scoreline.models.base import CLASSES, GOAL_MODEL_WINDOW_DAYS, MatchModel, needs_opening_prices, played
from scoreline.models.feature_model import frame_digest, outcome_index

_MEMO_SIZE = 16  # the catalogue's ensembles: 2-3 base models x 3 fits each, so a second ensemble reuses all
_fitted: OrderedDict[tuple[str, int, str], Any] = OrderedDict()


def _log_probabilities(predictions: list[np.ndarray]) -> np.ndarray:
    return np.asarray(np.log(np.clip(np.hstack(predictions), 1e-6, 1.0)))


def _pool_log_probabilities(
    log_probabilities: np.ndarray, weights: np.ndarray, bias: np.ndarray
) -> np.ndarray:
    """Normalised log-probabilities of the pool: ``(n, 3 * m)`` base log-probabilities (model-major), ``m``
    weights and 3 outcome biases."""
    per_model = log_probabilities.reshape(len(log_probabilities), len(weights), len(CLASSES))
    return np.asarray(log_softmax(np.einsum("nmk,m->nk", per_model, weights) + bias, axis=1))


class LogLinearPool:
    """Weights (non-negative, summing to one) and outcome biases minimising the log loss of the pooled
    log-probabilities; a combiner with the ``fit``/``predict_proba`` shape of a classifier."""

    def fit(self, log_probabilities: np.ndarray, outcomes: np.ndarray) -> LogLinearPool:
        """Fit by L-BFGS over unconstrained parameters (weights as a softmax, home bias fixed at 0)."""
        n_models = log_probabilities.shape[1] // len(CLASSES)
        rows = np.arange(len(outcomes))

        def loss(theta: np.ndarray) -> float:
            weights, bias = softmax(theta[:n_models]), np.concatenate([[0.0], theta[n_models:]])
            pooled = _pool_log_probabilities(log_probabilities, weights, bias)
            return float(-pooled[rows, outcomes].mean())

        theta = minimize(loss, np.zeros(n_models + len(CLASSES) - 1), method="L-BFGS-B").x
        self.weights_ = softmax(theta[:n_models])
        self.bias_ = np.concatenate([[0.0], theta[n_models:]])
        self.classes_ = np.arange(len(CLASSES))
        return self

    def predict_proba(self, log_probabilities: np.ndarray) -> np.ndarray:
        """Pooled probabilities, in ``columns.OUTCOMES`` order."""
        return np.exp(_pool_log_probabilities(log_probabilities, self.weights_, self.bias_))


class EnsembleModel(MatchModel):
    """Stacked ensemble of catalogue models (``base_models`` names, with their default parameters); ``C`` is
    the logistic combiner's inverse regularisation strength."""

    def __init__(
        self,
        base_models: tuple[str, ...] = ("dixon_coles", "pi_rating", "lgbm"),
        n_folds: int = 2,
        out_of_time_days: int = 730,
        min_train_days: int = 365,
        goal_model_days: int | None = GOAL_MODEL_WINDOW_DAYS,
        combiner: str = "pool",
        C: float = 1.0,
        random_state: int = 0,
    ) -> None:
        self.base_models = base_models
        self.n_folds = n_folds
        self.out_of_time_days = out_of_time_days
        self.min_train_days = min_train_days
        self.goal_model_days = goal_model_days
        self.combiner = combiner
        self.C = C
        self.random_state = random_state

    @property
    def needs_opening_prices(self) -> bool:
        """Whether any base model predicts from the fixtures' opening prices."""
        if hasattr(self, "models_"):
            return any(needs_opening_prices(model) for model in self.models_)
        from scoreline.models.catalogue import uses_market

        return any(uses_market(name) for name in self.base_models)

    def _fit_base(self, name: str, train: pd.DataFrame) -> Any:
        """Base model ``name`` (catalogue defaults, this ensemble's seed) fitted on ``train``, memoised."""
        from scoreline.models.catalogue import make_model

        model = make_model(name)
        if "random_state" in model.get_params():
            model.set_params(random_state=self.random_state)
        if self.goal_model_days is not None and callable(getattr(model, "predict_grid", None)):
            days = pd.to_datetime(train[c.DATE])
            train = train[days > days.max() - pd.Timedelta(days=self.goal_model_days)]
        key = (name, self.random_state, frame_digest(train))
        if key in _fitted:
            _fitted.move_to_end(key)
            return _fitted[key]
        _fitted[key] = model.fit(train)
        if len(_fitted) > _MEMO_SIZE:
            _fitted.popitem(last=False)
        return _fitted[key]

    def _combiner(self) -> LogLinearPool | LogisticRegression:
        if self.combiner == "pool":
            return LogLinearPool()
        if self.combiner == "logistic":
            return LogisticRegression(C=self.C, max_iter=1000)
        raise ValueError(f"combiner must be 'pool' or 'logistic', got {self.combiner!r}")

    def _fold_starts(self, days: pd.Series) -> list[pd.Timestamp]:
        """First day of each out-of-time block: equal shares of the last ``out_of_time_days``, which start at
        least ``min_train_days`` after the first match."""
        first, last = days.min(), days.max()
        start = max(
            first + pd.Timedelta(days=self.min_train_days), last - pd.Timedelta(days=self.out_of_time_days)
        )
        if start >= last:
            raise ValueError(
                f"the ensemble needs more than {self.min_train_days} days of training matches "
                f"to fit its combiner out of time; got {first.date()} to {last.date()}"
            )
        edges = pd.date_range(start, last, periods=self.n_folds + 1)
        return list(edges[:-1])

    def fit(self, X: pd.DataFrame, y: object = None) -> EnsembleModel:
        """Collect out-of-time base predictions, fit the combiner on them, then refit the base models."""
        history = played(X)
        days = pd.to_datetime(history[c.DATE])
        starts = self._fold_starts(days)
        ends = [*starts[1:], days.max() + pd.Timedelta(days=1)]
        stacked, outcomes = [], []
        for start, end in zip(starts, ends, strict=True):
            train, block = history[days < start], history[(days >= start) & (days < end)]
            if block.empty:
                continue
            stacked.append(
                _log_probabilities([self._fit_base(n, train).predict_proba(block) for n in self.base_models])
            )
            outcomes.append(outcome_index(block[c.RESULT]))
        self.combiner_ = self._combiner().fit(np.vstack(stacked), np.concatenate(outcomes))
        self.models_ = [self._fit_base(name, history) for name in self.base_models]
        self.classes_ = CLASSES.copy()
        self.n_out_of_time_ = int(sum(len(o) for o in outcomes))
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """The combiner's probabilities, in ``columns.OUTCOMES`` order."""
        check_is_fitted(self, "combiner_")
        features = _log_probabilities([model.predict_proba(X) for model in self.models_])
        probabilities = np.zeros((len(X), 3))
        probabilities[:, self.combiner_.classes_] = self.combiner_.predict_proba(features)
        return probabilities
