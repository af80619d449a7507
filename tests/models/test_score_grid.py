"""Markets from a known score grid equal hand-worked values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scoreline.models._goal_likelihood import bivariate_grid, dixon_coles_grid, independent_grid
from scoreline.models.grid import MAX_GOALS, ScoreGrid
from scoreline.simulate import dixon_coles_grid as simulated_grid

HOME_RATE, AWAY_RATE = 1.5, 0.8
# truncation at 15 goals and renormalisation move probabilities by < 1e-11: tolerances are 1e-9


def poisson(k: int, rate: float) -> float:
    return rate**k * math.exp(-rate) / math.factorial(k)


def difference(d: int) -> float:
    """P(home goals - away goals == d) for independent Poisson(1.5) and Poisson(0.8), by summation."""
    return sum(poisson(a + d, HOME_RATE) * poisson(a, AWAY_RATE) for a in range(40) if a + d >= 0)


@pytest.fixture(scope="module")
def grid() -> ScoreGrid:
    # two fixtures: the known one and its mirror, to check vectorisation
    return ScoreGrid(
        independent_grid(np.array([HOME_RATE, AWAY_RATE]), np.array([AWAY_RATE, HOME_RATE]), MAX_GOALS)
    )


def test_one_x_two(grid: ScoreGrid) -> None:
    draw = difference(0)
    home = sum(difference(d) for d in range(1, 40))
    np.testing.assert_allclose(grid.outcome_probabilities()[0], [home, draw, 1 - home - draw], atol=1e-9)
    np.testing.assert_allclose(grid.outcome_probabilities()[1], [1 - home - draw, draw, home], atol=1e-9)


def test_totals_and_over_under_lines(grid: ScoreGrid) -> None:
    total = HOME_RATE + AWAY_RATE  # the sum of independent Poissons is Poisson(2.3)
    p = [poisson(k, total) for k in range(4)]
    over_25 = 1 - p[0] - p[1] - p[2]
    assert grid.totals(2.5).over[0] == pytest.approx(over_25, abs=1e-9)
    assert grid.totals(2.5).push[0] == 0
    whole = grid.totals(2.0)
    assert (whole.over[0], whole.push[0], whole.under[0]) == pytest.approx(
        (over_25, p[2], p[0] + p[1]), abs=1e-9
    )
    quarter = grid.over(2.25)  # half the stake on over 2, half on over 2.5
    assert quarter.win[0] == pytest.approx(over_25, abs=1e-9)
    assert quarter.half_loss[0] == pytest.approx(p[2], abs=1e-9)
    assert quarter.loss[0] == pytest.approx(p[0] + p[1], abs=1e-9)
    assert quarter.half_win[0] == 0 and quarter.push[0] == 0
    under = grid.over(
        2.75
    ).opposite()  # under 2.75: 2 goals or fewer win, 3 goals lose half (push on 3, loss on 2.5)
    assert under.win[0] == pytest.approx(p[0] + p[1] + p[2], abs=1e-9)
    assert under.half_loss[0] == pytest.approx(p[3], abs=1e-9)
    assert under.half_win[0] == 0
    with pytest.raises(ValueError, match="quarter"):
        grid.totals(2.25)


def test_both_teams_to_score(grid: ScoreGrid) -> None:
    expected = (1 - math.exp(-HOME_RATE)) * (1 - math.exp(-AWAY_RATE))
    np.testing.assert_allclose(grid.both_teams_to_score(), [expected, expected], atol=1e-9)


def test_asian_handicap_quarter_lines(grid: ScoreGrid) -> None:
    home_by_2 = sum(difference(d) for d in range(2, 40))
    ah = grid.asian_handicap(-0.25)  # home gives a quarter: draw loses half the stake
    assert ah.win[0] == pytest.approx(home_by_2 + difference(1), abs=1e-9)
    assert ah.half_loss[0] == pytest.approx(difference(0), abs=1e-9)
    assert ah.loss[0] == pytest.approx(1 - home_by_2 - difference(1) - difference(0), abs=1e-9)
    assert ah.half_win[0] == 0 and ah.push[0] == 0
    fair = 1 + (ah.loss[0] + 0.5 * ah.half_loss[0]) / ah.win[0]
    assert ah.fair_price[0] == pytest.approx(fair, rel=1e-12)
    # at the fair price the bet breaks even
    profit = ah.win * (ah.fair_price - 1) + ah.half_win * (ah.fair_price - 1) / 2 - ah.half_loss / 2 - ah.loss
    np.testing.assert_allclose(profit, 0, atol=1e-9)
    minus_075 = grid.asian_handicap(-0.75)  # win by one: half win, half push
    assert minus_075.win[0] == pytest.approx(home_by_2, abs=1e-9)
    assert minus_075.half_win[0] == pytest.approx(difference(1), abs=1e-9)
    level = grid.asian_handicap(0.0)  # draw no bet
    assert level.push[0] == pytest.approx(difference(0), abs=1e-9)
    away = grid.asian_handicap(-1.0).opposite()
    assert away.push[0] == pytest.approx(difference(1), abs=1e-9)
    for line in (-1.75, -0.5, 0.25, 1.0, 2.75):
        s = grid.asian_handicap(line)
        np.testing.assert_allclose(s.win + s.half_win + s.push + s.half_loss + s.loss, 1.0, atol=1e-9)
    with pytest.raises(ValueError, match=r"0\.25"):
        grid.asian_handicap(-0.3)


def test_correct_scores_and_expected_goals(grid: ScoreGrid) -> None:
    assert grid.correct_score(2, 1)[0] == pytest.approx(
        poisson(2, HOME_RATE) * poisson(1, AWAY_RATE), abs=1e-9
    )
    assert grid.correct_score(MAX_GOALS + 1, 0)[0] == 0
    likely = grid.most_likely_scores(2)
    assert (likely.home_goals[0, 0], likely.away_goals[0, 0]) == (1, 0)
    assert (likely.home_goals[1, 0], likely.away_goals[1, 0]) == (0, 1)
    assert likely.probability[0, 0] >= likely.probability[0, 1]
    np.testing.assert_allclose(grid.expected_goals[0], [HOME_RATE, AWAY_RATE], atol=1e-9)
    np.testing.assert_allclose(
        grid.total_goal_distribution[0, :3], [poisson(k, 2.3) for k in range(3)], atol=1e-9
    )
    assert len(grid[1:]) == 1 and grid[1].home_win[0] == pytest.approx(grid.away_win[0])


def test_model_grids_match_the_simulator() -> None:
    rates = np.array([1.7, 0.6]), np.array([1.1, 2.2])
    dc = ScoreGrid(dixon_coles_grid(*rates, rho=-0.12, max_goals=10))
    bp = ScoreGrid(bivariate_grid(rates[0] - 0.2, rates[1] - 0.2, 0.2, max_goals=10))
    for i in range(2):
        np.testing.assert_allclose(
            dc.probabilities[i], simulated_grid(rates[0][i], rates[1][i], -0.12), atol=1e-14
        )
        expected = simulated_grid(rates[0][i], rates[1][i], 0.0, covariance=0.2)
        np.testing.assert_allclose(bp.probabilities[i], expected, atol=1e-14)


def test_dixon_coles_grid_never_negative_for_extreme_rates() -> None:
    grid = dixon_coles_grid(np.array([6.0, 0.05]), np.array([5.0, 0.05]), rho=0.9, max_goals=MAX_GOALS)
    assert np.all(grid > 0)
    grid = dixon_coles_grid(np.array([6.0]), np.array([0.3]), rho=-0.9, max_goals=MAX_GOALS)
    assert np.all(grid > 0)


def test_invalid_grids_are_rejected() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        ScoreGrid(np.array([[0.5, -0.1], [0.3, 0.3]]))
    with pytest.raises(ValueError, match="shape"):
        ScoreGrid(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="positive"):
        ScoreGrid(np.zeros((1, 3, 3)))
    np.testing.assert_allclose(ScoreGrid(np.full((3, 3), 2.0)).probabilities.sum(), 1.0)


def test_most_likely_scores_break_ties_by_home_goals_then_away_goals() -> None:
    # Rates of 1: P(0-0) = P(0-1) = P(1-0) = P(1-1) = exp(-2), the four most likely scores, all tied.
    grid = ScoreGrid(independent_grid(np.array([1.0, 2.0]), np.array([1.0, 0.5]), MAX_GOALS))
    likely = grid.most_likely_scores(3)
    assert list(zip(likely.home_goals[0], likely.away_goals[0], strict=True)) == [(0, 0), (0, 1), (1, 0)]
    np.testing.assert_allclose(likely.probability[0], math.exp(-2.0))
    flat = grid.probabilities[1].ravel()
    assert likely.probability[1, 0] == flat.max() and likely.probability[1, 2] <= likely.probability[1, 1]


def test_most_likely_scores_are_the_stable_descending_order() -> None:
    rng = np.random.default_rng(3)
    rates = rng.uniform(0.3, 3.0, size=(2, 40))
    grid = ScoreGrid(np.round(independent_grid(rates[0], rates[1], MAX_GOALS), 3))  # rounding makes ties
    flat = grid.probabilities.reshape(len(grid), -1)
    expected = np.argsort(-flat, axis=1, kind="stable")[:, :7]
    likely = grid.most_likely_scores(7)
    np.testing.assert_array_equal(likely.home_goals * (MAX_GOALS + 1) + likely.away_goals, expected)
    np.testing.assert_array_equal(likely.probability, np.take_along_axis(flat, expected, axis=1))
