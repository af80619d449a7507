"""Bivariate Poisson goal model (Karlis & Ntzoufras 2003) with a constant common component ``lambda3``."""

from __future__ import annotations

import numpy as np

from scoreline.models._goal_likelihood import GoalData, bivariate_grid, bivariate_poisson_nll
from scoreline.models._team_strength import TeamStrengthModel

LOG_LAMBDA3_BOUNDS = (-12.0, 1.0)


class BivariatePoissonGoalModel(TeamStrengthModel):
    """Home goals ``W1 + W3`` and away goals ``W2 + W3`` with independent Poisson ``W1, W2, W3``.

    ``W1`` and ``W2`` have the log-linear team-strength rates (see
    :mod:`scoreline.models._team_strength` for rates, prior, unseen teams and time decay); the common
    component ``W3`` has a constant rate ``lambda3_`` (the goals' covariance), so expected goals are
    ``rate + lambda3_``. Learned ``lambda3_`` besides the attributes of
    :class:`~scoreline.models._team_strength.TeamStrengthModel`.
    """

    _n_extra = 1

    def _objective(self, theta: np.ndarray, data: GoalData) -> tuple[float, np.ndarray]:
        return bivariate_poisson_nll(theta, data)

    def _extra_start(self) -> list[float]:
        return [np.log(0.1)]

    def _extra_bounds(self) -> list[tuple[float, float]]:
        return [LOG_LAMBDA3_BOUNDS]

    def _store_extra(self, extra: np.ndarray) -> None:
        self.lambda3_ = float(np.exp(extra[0]))

    def _grid(self, rate_home: np.ndarray, rate_away: np.ndarray) -> np.ndarray:
        return bivariate_grid(rate_home, rate_away, self.lambda3_, self.max_goals)
