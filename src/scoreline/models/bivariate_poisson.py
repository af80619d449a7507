"""Bivariate Poisson goal model (Karlis & Ntzoufras 2003): a common component ``lambda3`` couples goals."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from scoreline.models._goal_likelihood import GoalData, bivariate_grid, bivariate_poisson_nll
from scoreline.models._team_strength import (
    DEFAULT_PRIOR_WEIGHT,
    DEFAULT_XI,
    STRENGTH_BOUND,
    ExtraParameters,
    TeamStrengthModel,
)
from scoreline.models.grid import MAX_GOALS

LOG_LAMBDA3_BOUNDS = (-12.0, 1.0)


class BivariatePoissonGoalModel(TeamStrengthModel):
    """Home goals ``W1 + W3`` and away goals ``W2 + W3`` with independent Poisson ``W1, W2, W3``.

    ``W1`` and ``W2`` have the log-linear team-strength rates (see :mod:`scoreline.models._team_strength` for
    rates, prior, unseen teams and time decay); expected goals are ``rate + lambda3`` and ``lambda3`` is the
    goals' covariance. ``home_effect=False``: ``lambda3`` is a constant (learned ``lambda3_``).
    ``home_effect=True``: ``log(lambda3) = log(lambda3_) + home_covariance_[home team]`` (Karlis & Ntzoufras'
    home-team effect on the covariance), the effects summing to zero with the same ridge prior
    (``prior_weight``) as the strengths; unseen home teams get effect zero. ``home_covariance_`` is all zeros
    without the home effect.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **TeamStrengthModel._parameter_constraints,
        "home_effect": ["boolean"],
    }

    def __init__(
        self,
        xi: float = DEFAULT_XI,
        prior_weight: float = DEFAULT_PRIOR_WEIGHT,
        reference_date: str | pd.Timestamp | None = None,
        max_goals: int = MAX_GOALS,
        random_state: int | None = 0,
        home_effect: bool = False,
    ) -> None:
        super().__init__(xi, prior_weight, reference_date, max_goals, random_state)
        self.home_effect = home_effect

    def _objective(self, theta: np.ndarray, data: GoalData) -> tuple[float, np.ndarray]:
        return bivariate_poisson_nll(theta, data)

    def _extra(self, teams: np.ndarray, home_idx: np.ndarray, basis: np.ndarray) -> ExtraParameters:
        start, bounds = [np.log(0.1)], [LOG_LAMBDA3_BOUNDS]
        if not self.home_effect:
            return ExtraParameters(start, bounds)
        n = len(teams)
        design = np.column_stack([np.ones(len(home_idx)), basis[home_idx]])
        penalty = np.zeros((n, n))
        penalty[1:, 1:] = self.prior_weight * basis.T @ basis
        return ExtraParameters(
            start + [0.0] * (n - 1), bounds + [(-STRENGTH_BOUND, STRENGTH_BOUND)] * (n - 1), penalty, design
        )

    def _store_extra(self, extra: np.ndarray, teams: np.ndarray, basis: np.ndarray) -> None:
        self.lambda3_ = float(np.exp(extra[0]))
        effects = basis @ extra[1:] if self.home_effect else np.zeros(len(teams))
        self.home_covariance_ = pd.Series(effects, index=teams, name="home_covariance")

    def _grid(self, rate_home: np.ndarray, rate_away: np.ndarray, home: np.ndarray) -> np.ndarray:
        effect = self.home_covariance_.reindex(home.astype(str)).fillna(0.0).to_numpy()
        return bivariate_grid(rate_home, rate_away, self.lambda3_ * np.exp(effect), self.max_goals)
