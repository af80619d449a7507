"""Stacking ensemble: base models combined and calibrated on out-of-time predictions only.

The training period is cut by date into ``n_folds + 1`` consecutive blocks. For each later block, every base
model is fitted on the blocks before it and predicts it: these out-of-time predictions are the only data the
combiner (a multinomial logistic regression on the base models' log-probabilities, which also calibrates) ever
sees. The base models are then refitted on the whole period for prediction.

Fitted base models are memoised per process by (name, seed, content of the training frame), a few at a time:
ensembles sharing base models on the same matches (``ensemble`` and ``ensemble_market`` in one backtest round)
fit each of them once. Fits are deterministic, so sharing changes no prediction.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from scoreline import columns as c
from scoreline.models.base import CLASSES, MatchModel, needs_opening_prices, played
from scoreline.models.feature_model import frame_digest, outcome_index

_MEMO_SIZE = 16  # >= base models x (n_folds + 1), so a second ensemble on the same matches reuses all
_fitted: OrderedDict[tuple[str, int, str], Any] = OrderedDict()


def _log_probabilities(predictions: list[np.ndarray]) -> np.ndarray:
    return np.asarray(np.log(np.clip(np.hstack(predictions), 1e-6, 1.0)))


class EnsembleModel(MatchModel):
    """Stacked ensemble of catalogue models (``base_models`` names, with their default parameters)."""

    def __init__(
        self,
        base_models: tuple[str, ...] = ("dixon_coles", "pi_rating", "lgbm"),
        n_folds: int = 2,
        min_train_days: int = 365,
        C: float = 1.0,
        random_state: int = 0,
    ) -> None:
        self.base_models = base_models
        self.n_folds = n_folds
        self.min_train_days = min_train_days
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

        key = (name, self.random_state, frame_digest(train))
        if key in _fitted:
            _fitted.move_to_end(key)
            return _fitted[key]
        model = make_model(name)
        if "random_state" in model.get_params():
            model.set_params(random_state=self.random_state)
        _fitted[key] = model.fit(train)
        if len(_fitted) > _MEMO_SIZE:
            _fitted.popitem(last=False)
        return _fitted[key]

    def _fold_starts(self, days: pd.Series) -> list[pd.Timestamp]:
        """First day of each out-of-time block: equal shares of the period after ``min_train_days``."""
        first, last = days.min(), days.max()
        start = first + pd.Timedelta(days=self.min_train_days)
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
        combiner = LogisticRegression(C=self.C, max_iter=1000)
        self.combiner_ = combiner.fit(np.vstack(stacked), np.concatenate(outcomes))
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
