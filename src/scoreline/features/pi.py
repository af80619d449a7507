"""Pi-ratings (Constantinou & Fenton 2013), pre-match, batched by day.

Every team has a home rating and an away rating (start 0). A rating ``r`` stands for an expected goal
difference ``sign(r) * (b ** (|r| / c) - 1)`` against an average team; a match's expected goal difference is
the home team's (home rating) minus the away team's (away rating). With error ``e = |observed - expected|``
and the diminishing-returns function ``psi(e) = c * log_b(1 + e)``, the home team's home rating changes by
``+-psi(e) * lambda`` (plus when it did better than expected) and its away rating by ``gamma`` times that
change; the away team symmetrically. Defaults are the paper's: ``lambda = 0.035``, ``gamma = 0.7``,
``b = 10``, ``c = 3``.

Constantinou, A. C. & Fenton, N. E. (2013). Determining the level of ability of football teams by dynamic
ratings based on the relative discrepancies in scores between adversaries. Journal of Quantitative Analysis in
Sports 9(1), 37-50. doi:10.1515/jqas-2012-0036
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from scoreline import columns as c
from scoreline.features.params import PiParams, PiShotsParams
from scoreline.features.ratings import PI, run_ratings
from scoreline.features.timeline import Timeline, to_input_order

PI_COLUMNS = ("pi_home_rating", "pi_away_rating", "pi_diff", "pi_expected_gd")
PI_SHOTS_COLUMNS = ("pis_home_rating", "pis_away_rating", "pis_diff", "pis_expected_gd")


def expected_goal_difference(rating: np.ndarray, base: float = 10.0, scale: float = 3.0) -> np.ndarray:
    """The paper's mapping from a rating to the goal difference it stands for."""
    return np.asarray(np.sign(rating) * (base ** (np.abs(rating) / scale) - 1.0))


def pi_features(
    timeline: Timeline,
    params: PiParams,
    index: pd.Index,
    columns: tuple[str, ...] = PI_COLUMNS,
) -> pd.DataFrame:
    """``pi_home_rating`` (home team's home rating), ``pi_away_rating`` (away team's away rating), their
    difference ``pi_diff`` and the expected goal difference ``pi_expected_gd``."""
    pre_home, pre_away = run_ratings(
        timeline,
        PI,
        params.initial,
        params.season_regression,
        (params.learning_rate, params.cross_rate, params.base, params.scale),
    )
    home = to_input_order(pre_home[:, 0], timeline.order)
    away = to_input_order(pre_away[:, 1], timeline.order)
    expected = expected_goal_difference(home, params.base, params.scale) - expected_goal_difference(
        away, params.base, params.scale
    )
    return pd.DataFrame(dict(zip(columns, (home, away, home - away, expected), strict=True)), index=index)


def blended_margin(matches: pd.DataFrame, params: PiShotsParams) -> np.ndarray:
    """Per match (input order): ``(1 - w) * goal difference + w * k * shots-on-target difference``, or the
    goal difference where shots on target are missing; NaN where the goals are."""
    goals = matches[[c.HOME_GOALS, c.AWAY_GOALS]].apply(pd.to_numeric, errors="coerce").to_numpy(float)
    goal_difference = goals[:, 0] - goals[:, 1]
    wanted = [c.HOME_SHOTS_ON_TARGET, c.AWAY_SHOTS_ON_TARGET]
    if not set(wanted) <= set(matches.columns):
        return goal_difference
    shots = matches[wanted].apply(pd.to_numeric, errors="coerce").to_numpy(float)
    blended = (1 - params.shots_weight) * goal_difference + params.shots_weight * params.goals_per_shot * (
        shots[:, 0] - shots[:, 1]
    )
    return np.where(np.isnan(blended), goal_difference, blended)


def pi_shots_features(
    matches: pd.DataFrame, timeline: Timeline, params: PiShotsParams, index: pd.Index
) -> pd.DataFrame:
    """Pi-ratings updated by the blended margin of :func:`blended_margin` instead of the goal difference:
    ``pis_home_rating``, ``pis_away_rating``, ``pis_diff``, ``pis_expected_gd``.

    The rating kernel reads only the difference of the two goal arrays, so the margin is passed as the home
    side's "goals" against zero; matches that do not count stay NaN and update nothing.
    """
    margin = blended_margin(matches, params)[timeline.order]
    margin[np.isnan(timeline.home_goals)] = np.nan
    shots_timeline = replace(timeline, home_goals=margin, away_goals=np.where(np.isnan(margin), np.nan, 0.0))
    return pi_features(shots_timeline, params, index, PI_SHOTS_COLUMNS)
