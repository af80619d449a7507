"""Form, rest and season-stage features against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from scoreline import columns as c
from scoreline.features import FormParams, build_features
from scoreline.features.form import form_columns
from scoreline.simulate import simulate_league
from tests.features.test_ratings_by_hand import five_matches


def test_form_of_five_matches_by_hand() -> None:
    got = build_features(five_matches(), groups=("form",), params={"form": {"halflife": 5.0, "last_n": 5}})
    w = 0.5 ** (1 / 5)  # weight of the previous match relative to the latest
    # Match 5, D (home) v A (away). A played 1 Aug home 2-0 (3 pts) and 5 Aug home 1-3 (0 pts).
    m5 = got.iloc[4]
    assert m5["form_goals_for_ewm_away"] == pytest.approx((1 + w * 2) / (1 + w))
    assert m5["form_goals_against_ewm_away"] == pytest.approx((3 + w * 0) / (1 + w))
    assert m5["form_goals_for_lastn_away"] == pytest.approx(1.5)
    assert m5["form_points_lastn_away"] == pytest.approx(1.5)
    assert m5["form_points_ewm_away"] == pytest.approx((0 + w * 3) / (1 + w))
    assert np.isnan(m5["form_goals_for_ewm_away_at_away"])  # A never played away
    assert m5["form_goals_for_ewm_home"] == pytest.approx(1.0)  # D: one draw 1-1 (away side)
    assert m5["form_points_lastn_home"] == pytest.approx(1.0)
    assert np.isnan(m5["form_goals_for_lastn_home_at_home"])  # D never played at home
    assert m5["form_rest_days_away"] == 4 and m5["form_rest_days_home"] == 7
    assert m5["form_played_season_away"] == 2 and m5["form_played_season_home"] == 1
    # Match 4 (5 Aug), C v B: C's match 3 on the same day is NOT visible; C has only its 1-1 draw.
    m4 = got.iloc[3]
    assert m4["form_goals_for_ewm_home"] == pytest.approx(1.0)
    assert m4["form_goals_against_lastn_home"] == pytest.approx(1.0)
    assert m4["form_played_season_home"] == 1 and m4["form_rest_days_home"] == 3
    assert m4["form_goals_for_lastn_away"] == pytest.approx(0.0)  # B lost 2-0
    # First matches have no history; no previous season, so no season stage.
    assert got.iloc[0][["form_goals_for_ewm_home", "form_rest_days_home"]].isna().all()
    assert got["form_season_stage"].isna().all()
    assert list(got.columns[6:]) == list(form_columns())


def test_last_n_keeps_only_the_latest_matches() -> None:
    matches = simulate_league(4, ("2324",), seed=3).matches
    got = build_features(matches, groups=("form",), params={"form": {"last_n": 2}})
    team = matches[c.HOME].iloc[-1]
    earlier = matches[
        (matches[c.DATE] < matches[c.DATE].iloc[-1]) & ((matches[c.HOME] == team) | (matches[c.AWAY] == team))
    ]
    goals = np.where(earlier[c.HOME] == team, earlier[c.HOME_GOALS], earlier[c.AWAY_GOALS])
    shots = np.where(earlier[c.HOME] == team, earlier[c.HOME_SHOTS], earlier[c.AWAY_SHOTS])
    assert got["form_goals_for_lastn_home"].iloc[-1] == pytest.approx(goals[-2:].mean())
    assert got["form_shots_for_lastn_home"].iloc[-1] == pytest.approx(shots[-2:].mean())


def test_season_stage_is_share_of_last_seasons_match_count() -> None:
    matches = simulate_league(6, ("2223", "2324"), seed=1).matches
    got = build_features(matches, groups=("form",))
    second = matches[c.SEASON] == "2324"
    days = matches.loc[second, c.DATE]
    played_before = days.map(lambda d: (days < d).sum())
    assert np.allclose(got.loc[second, "form_season_stage"], played_before / 30)
    assert got.loc[~second, "form_season_stage"].isna().all()
    # played this season restarts at zero in the new season
    first_day = days.min()
    assert (got.loc[second & (matches[c.DATE] == first_day), "form_played_season_home"] == 0).all()


def test_missing_statistics_give_nan_form_but_keep_goal_form() -> None:
    matches = simulate_league(4, ("2324",), seed=2).matches.drop(columns=[c.HOME_SHOTS, c.AWAY_SHOTS])
    got = build_features(matches, groups=("form",))
    assert got["form_shots_for_ewm_home"].isna().all()
    assert got["form_goals_for_ewm_home"].iloc[-1] > 0


def test_bad_form_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="last_n"):
        build_features(five_matches(), groups=("form",), params={"form": {"last_n": 0}})
    assert FormParams().halflife == 5.0
    with pytest.raises(ValueError, match="unknown form parameter"):
        build_features(five_matches(), groups=("form",), params={"form": {"window": 3}})
