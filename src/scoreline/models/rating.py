"""Rating models: Elo or pi-rating differences mapped to home/draw/away by an ordered logit.

Hvattum & Arntzen (2010) showed an ordered logit on the Elo difference is a strong, simple forecaster;
Constantinou & Fenton's (2013) pi-rating difference, expressed in goals, carries even more of the signal, and
pi-ratings driven by a margin that blends goals with shots on target (``pi_shots``) more still.
"""

from __future__ import annotations

from numbers import Real
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import Interval, StrOptions

from scoreline.models.feature_model import FeatureModel
from scoreline.models.memo import FitMemo
from scoreline.models.ordered_logit import fit_ordered_logit, predict_ordered_logit

RATING_COVARIATES = {"elo": ("elo_diff",), "pi": ("pi_diff",), "pi_shots": ("pis_diff",)}


class RatingModel(FeatureModel):
    """Ordered logit on one rating system's pre-match difference (``rating``: elo, pi or pi_shots)."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **{k: v for k, v in FeatureModel._parameter_constraints.items() if k != "groups"},
        "rating": [StrOptions(set(RATING_COVARIATES))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "categorical": [tuple, list],
    }

    def __init__(
        self,
        rating: str = "pi",
        burn_in_days: int = 365,
        learn_days: int | None = 2190,
        alpha: float = 1e-4,
        categorical: tuple[str, ...] = (),
        memory: FitMemo | None = None,
    ) -> None:
        self.rating = rating
        self.burn_in_days = burn_in_days
        self.learn_days = learn_days
        self.alpha = alpha
        self.categorical = categorical
        self.memory = memory

    @property
    def groups(self) -> tuple[str, ...]:  # type: ignore[override]
        """The one feature group: the rating's."""
        return (self.rating,)

    def fit(self, X: pd.DataFrame, y: object = None) -> RatingModel:
        """Rate the training matches day by day and fit the ordered logit on their pre-match differences."""
        self._validate()
        table, outcome, rows = self._training_table(X)
        missing = [name for name in self.categorical if name not in rows.columns]
        if missing:
            raise ValueError(f"RatingModel needs the categorical column(s) {missing} in its training matches")
        self.covariates_ = list(RATING_COVARIATES[self.rating])
        self.levels_ = {name: sorted(rows[name].dropna().unique().tolist()) for name in self.categorical}
        # Ordered logit classes run away (0) < draw (1) < home (2); outcome indices are home 0 .. away 2.
        self.beta_, self.theta_ = fit_ordered_logit(self._design(table, rows), 2 - outcome, alpha=self.alpha)
        return self

    def _design(self, table: pd.DataFrame, rows: pd.DataFrame) -> np.ndarray:
        """The rating difference, plus one indicator per level of each ``categorical`` column (e.g. clusters).

        Missing or unseen levels get all-zero indicators (the baseline level).
        """
        parts = [table[self.covariates_].to_numpy(dtype=float)]
        for name, levels in self.levels_.items():
            values = pd.to_numeric(rows[name], errors="coerce").to_numpy(dtype=float)  # missing: NaN
            parts += [(values == level).astype(float)[:, None] for level in levels[1:]]
        return np.hstack(parts)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Home/draw/away probabilities from the ratings as they stood after the training matches."""
        table = self._prediction_table(X)
        return predict_ordered_logit(self._design(table, X), self.beta_, self.theta_)
