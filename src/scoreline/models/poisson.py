"""Independent Poisson goal model (Maher 1982) with time decay and the team-strength prior."""

from __future__ import annotations

import numpy as np

from scoreline.models._goal_likelihood import GoalData, independent_grid, poisson_nll
from scoreline.models._team_strength import TeamStrengthModel


class PoissonGoalModel(TeamStrengthModel):
    """Home and away goals are independent Poisson counts with log-linear rates.

    See :mod:`scoreline.models._team_strength` for the rates, the prior, unseen teams and time decay; the
    hyper-parameters are those of :class:`~scoreline.models._team_strength.TeamStrengthModel`.
    """

    def _objective(self, theta: np.ndarray, data: GoalData) -> tuple[float, np.ndarray]:
        return poisson_nll(theta, data)

    def _grid(self, rate_home: np.ndarray, rate_away: np.ndarray, home: np.ndarray) -> np.ndarray:
        return independent_grid(rate_home, rate_away, self.max_goals)
