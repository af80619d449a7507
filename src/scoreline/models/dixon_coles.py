"""Dixon & Coles (1997) goal model: Poisson with a low-score correction ``rho`` and time-decay weights."""

from __future__ import annotations

import numpy as np

from scoreline.models._goal_likelihood import GoalData, dixon_coles_grid, dixon_coles_nll
from scoreline.models._team_strength import ExtraParameters, TeamStrengthModel

RHO_BOUNDS = (-1.0, 1.0)


class DixonColesGoalModel(TeamStrengthModel):
    """Independent Poisson rates times ``tau(x, y)`` on the scores 0-0, 0-1, 1-0 and 1-1.

    ``tau`` is ``1 - rho*lh*la``, ``1 + rho*lh``, ``1 + rho*la``, ``1 - rho`` respectively. ``rho`` is fitted
    within ``RHO_BOUNDS``; in predictions it is clipped per fixture to the range where all four factors are
    positive (:func:`~scoreline.models._goal_likelihood.valid_rho`), so probabilities are never negative.
    Learned ``rho_`` besides the attributes of
    :class:`~scoreline.models._team_strength.TeamStrengthModel` (see that module for rates, prior, unseen
    teams and time decay).
    """

    def _objective(self, theta: np.ndarray, data: GoalData) -> tuple[float, np.ndarray]:
        return dixon_coles_nll(theta, data)

    def _extra(self, teams: np.ndarray, home_idx: np.ndarray, basis: np.ndarray) -> ExtraParameters:
        return ExtraParameters(start=[-0.05], bounds=[RHO_BOUNDS])

    def _store_extra(self, extra: np.ndarray, teams: np.ndarray, basis: np.ndarray) -> None:
        self.rho_ = float(extra[0])

    def _grid(self, rate_home: np.ndarray, rate_away: np.ndarray, home: np.ndarray) -> np.ndarray:
        return dixon_coles_grid(rate_home, rate_away, self.rho_, self.max_goals)
