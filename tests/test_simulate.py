import numpy as np

from scoreline import columns as c
from scoreline.simulate import dixon_coles_grid, simulate_league


def test_grid_is_a_distribution_with_requested_means() -> None:
    grid = dixon_coles_grid(1.6, 1.1, rho=0.0, covariance=0.3, max_goals=15)
    assert abs(grid.sum() - 1) < 1e-12
    goals = np.arange(16)
    assert abs(grid.sum(axis=1) @ goals - 1.6) < 1e-6
    assert abs(grid.sum(axis=0) @ goals - 1.1) < 1e-6


def test_every_team_plays_every_other_twice_per_season() -> None:
    league = simulate_league(n_teams=6, seasons=("2324",), seed=1).matches
    assert len(league) == 6 * 5
    assert not league.duplicated([c.HOME, c.AWAY]).any()
    assert (league.groupby(c.HOME).size() == 5).all()
    assert np.allclose(league[["true_p_home", "true_p_draw", "true_p_away"]].sum(axis=1), 1)
