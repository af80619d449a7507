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

The base models are held as ``estimators``, a list of ``(name, estimator)`` pairs, as in scikit-learn's
``StackingClassifier``: ``get_params(deep=True)`` shows their parameters as ``<name>__<parameter>`` and
``set_params`` reaches them; every fit fits clones of them. The catalogue
(:mod:`scoreline.models.catalogue`) builds the ensembles it names from its own entries.

With a :class:`~scoreline.models.memo.FitMemo` as ``memory``, fitted base models are shared through it, keyed
by their class, parameters and training matches: ensembles sharing base models on the same matches
(``ensemble`` and ``ensemble_market`` in one backtest round) fit each of them once. Fits are deterministic,
so sharing changes no prediction.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import log_softmax, softmax
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.metaestimators import _BaseComposition
from sklearn.utils.validation import check_is_fitted

from scoreline import columns as c
from scoreline.models.base import CLASSES, GOAL_MODEL_WINDOW_DAYS, MatchModel, needs_opening_prices, played
from scoreline.models.feature_model import frame_digest, outcome_index
from scoreline.models.memo import FitMemo, estimator_key


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


class EnsembleModel(MatchModel, _BaseComposition):
    """Stacked ensemble of ``estimators`` (``(name, estimator)`` pairs); ``C`` is the logistic combiner's
    inverse regularisation strength; an integer ``random_state`` is given to every base model that has one
    (``None``: each keeps its own)."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "estimators": [list],
        "n_folds": [Interval(Integral, 1, None, closed="left")],
        "out_of_time_days": [Interval(Integral, 1, None, closed="left")],
        "min_train_days": [Interval(Integral, 0, None, closed="left")],
        "goal_model_days": [Interval(Integral, 1, None, closed="left"), None],
        "combiner": [StrOptions({"pool", "logistic"})],
        "C": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
        "memory": [FitMemo, None],
    }

    def __init__(
        self,
        estimators: list[tuple[str, Any]],
        n_folds: int = 2,
        out_of_time_days: int = 730,
        min_train_days: int = 365,
        goal_model_days: int | None = GOAL_MODEL_WINDOW_DAYS,
        combiner: str = "pool",
        C: float = 1.0,
        random_state: int | None = None,
        memory: FitMemo | None = None,
    ) -> None:
        self.estimators = estimators
        self.n_folds = n_folds
        self.out_of_time_days = out_of_time_days
        self.min_train_days = min_train_days
        self.goal_model_days = goal_model_days
        self.combiner = combiner
        self.C = C
        self.random_state = random_state
        self.memory = memory

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Parameters, and with ``deep`` every base model and its parameters (``<name>__<parameter>``)."""
        return self._get_params("estimators", deep=deep)

    def set_params(self, **params: Any) -> EnsembleModel:
        """Set parameters, base models (by name) and their parameters (``<name>__<parameter>``)."""
        self._set_params("estimators", **params)
        return self

    @property
    def named_estimators(self) -> dict[str, Any]:
        """The (unfitted) base models by name."""
        return dict(self.estimators)

    @property
    def needs_opening_prices(self) -> bool:
        """Whether any base model predicts from the fixtures' opening prices."""
        return any(needs_opening_prices(estimator) for _, estimator in self.estimators)

    def _validate_estimators(self) -> None:
        if not self.estimators:
            raise ValueError("estimators must list at least one (name, estimator) pair, got none")
        pairs = [pair for pair in self.estimators if not (isinstance(pair, tuple) and len(pair) == 2)]
        if pairs:
            raise ValueError(f"estimators must be (name, estimator) pairs, got {pairs[0]!r}")
        names, bases = zip(*self.estimators, strict=True)
        self._validate_names(names)
        unfit = HasMethods(["fit", "predict_proba"])
        for name, base in zip(names, bases, strict=True):
            if not unfit.is_satisfied_by(base):
                raise ValueError(f"estimators: {name!r} must have fit and predict_proba, got {base!r}")

    def _fit_base(self, base: Any, train: pd.DataFrame) -> Any:
        """A clone of ``base`` (with this ensemble's seed, if set) fitted on ``train``, through ``memory``."""
        model = clone(base)
        if self.random_state is not None and "random_state" in model.get_params(deep=False):
            model.set_params(random_state=self.random_state)
        if self.goal_model_days is not None and callable(getattr(model, "predict_grid", None)):
            days = pd.to_datetime(train[c.DATE])
            train = train[days > days.max() - pd.Timedelta(days=self.goal_model_days)]
        if self.memory is None:
            return model.fit(train)
        key = ("ensemble base", estimator_key(model), frame_digest(train))
        return self.memory.get_or_compute(key, lambda: model.fit(train))

    def _combiner(self) -> LogLinearPool | LogisticRegression:
        if self.combiner == "pool":
            return LogLinearPool()
        return LogisticRegression(C=self.C, max_iter=1000)

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
        self._validate_params()
        self._validate_estimators()
        bases = [base for _, base in self.estimators]
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
                _log_probabilities([self._fit_base(base, train).predict_proba(block) for base in bases])
            )
            outcomes.append(outcome_index(block[c.RESULT]))
        self.combiner_ = self._combiner().fit(np.vstack(stacked), np.concatenate(outcomes))
        self.models_ = [self._fit_base(base, history) for base in bases]
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
