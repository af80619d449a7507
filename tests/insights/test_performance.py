"""Points versus expected points per cluster and matchup rates, on hand-made and planted data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scoreline import columns as c
from scoreline.insights.clustering import StyleClusterer
from scoreline.insights.performance import (
    attach_clusters,
    matchup_rates,
    points_vs_expected,
    team_expectations,
    wilson_interval,
)
from scoreline.insights.profiles import STYLE_FEATURES, standardize, team_profiles


def _frame() -> tuple[pd.DataFrame, pd.DataFrame]:
    dates = pd.to_datetime(["2023-08-01", "2023-08-08", "2023-08-15"])
    matches = pd.DataFrame(
        {c.LEAGUE: "E0", c.SEASON: "2324", c.DATE: dates, c.HOME: ["A", "B", "A"], c.AWAY: ["B", "A", "C"],
         c.HOME_GOALS: [2, 1, 0], c.AWAY_GOALS: [0, 1, 1], c.RESULT: ["H", "D", "A"],
         "home_cluster": [0, 1, 0], "away_cluster": [1, 0, 1]}
    )  # fmt: skip
    probabilities = pd.DataFrame(
        {c.LEAGUE: "E0", c.DATE: dates, c.HOME: ["A", "B", "A"], c.AWAY: ["B", "A", "C"],
         c.P_HOME: [0.5, 0.2, 0.6], c.P_DRAW: [0.3, 0.3, 0.25], c.P_AWAY: [0.2, 0.5, 0.15]}
    )  # fmt: skip
    return matches, probabilities


def test_wilson_interval_known_values() -> None:
    low, high = wilson_interval(0, 10)
    assert low == pytest.approx(0.0, abs=1e-12) and high == pytest.approx(0.2775, abs=1e-4)
    low, high = wilson_interval(5, 10)
    assert low == pytest.approx(0.2366, abs=1e-4) and high == pytest.approx(0.7634, abs=1e-4)
    assert np.isnan(wilson_interval(0, 0)[0])


def test_expected_points_from_probabilities_and_baseline() -> None:
    matches, probabilities = _frame()
    before = matches.copy()
    rows = team_expectations(matches, probabilities).set_index(["team", c.DATE])
    pd.testing.assert_frame_equal(matches, before)
    assert rows.loc[("A", pd.Timestamp("2023-08-01")), "expected_points"] == pytest.approx(3 * 0.5 + 0.3)
    assert rows.loc[("A", pd.Timestamp("2023-08-08")), "expected_points"] == pytest.approx(3 * 0.5 + 0.3)
    assert rows.loc[("C", pd.Timestamp("2023-08-15")), "expected_points"] == pytest.approx(3 * 0.15 + 0.25)
    assert rows.loc[("C", pd.Timestamp("2023-08-15")), "points"] == 3
    # Baseline: the league-season's mean points at the venue (home: 3, 1, 0 -> 4/3).
    baseline = team_expectations(matches).set_index(["team", c.DATE])
    assert baseline.loc[("B", pd.Timestamp("2023-08-08")), "expected_points"] == pytest.approx(4 / 3)
    assert baseline.loc[("A", pd.Timestamp("2023-08-08")), "expected_points"] == pytest.approx(
        (0 + 1 + 3) / 3
    )


def test_points_vs_expected_by_cluster() -> None:
    matches, probabilities = _frame()
    table = points_vs_expected(matches, {"market": probabilities}, names={0: "zero", 1: "one"}, n_boot=200)
    market = table[table["source"] == "market"].set_index("cluster")
    # Cluster 0: A home (3 vs 1.8), A away (1 vs 1.8), A home (0 vs 2.05); 2 team-seasons? one (A, 2324).
    assert market.loc[0, "team_matches"] == 3 and market.loc[0, "team_seasons"] == 1
    assert market.loc[0, "points"] == pytest.approx(4 / 3)
    assert market.loc[0, "expected"] == pytest.approx((1.8 + 1.8 + 2.05) / 3)
    assert market.loc[0, "difference"] == pytest.approx(4 / 3 - (1.8 + 1.8 + 2.05) / 3)
    assert market.loc[1, "name"] == "one" and market.loc[1, "team_seasons"] == 2
    assert set(table["source"]) == {"baseline", "market"}


def test_matchup_rates_count_draws_and_upsets() -> None:
    matches, probabilities = _frame()
    table = matchup_rates(matches, {"market": probabilities}, min_matches=1)
    market = table[table["source"] == "market"].set_index(["event", "home_cluster", "away_cluster"])
    draw = market.loc[("draw", 1, 0)]
    assert draw["matches"] == 1 and draw["events"] == 1 and draw["predicted"] == pytest.approx(0.3)
    upsets = market.xs("upset", level="event")
    # 0 v 1: A (favourite) won, then A lost to C (underdog): 1 upset of 2; predicted (0.2 + 0.15) / 2.
    assert upsets.loc[(0, 1), "events"] == 1 and upsets.loc[(0, 1), "matches"] == 2
    assert upsets.loc[(0, 1), "predicted"] == pytest.approx(0.175)
    assert table["q_value"].between(0, 1).all()
    assert (
        not (table["source"] == "baseline").any()
        or (table[table["source"] == "baseline"]["event"] == "draw").all()
    )


def test_planted_finishing_beats_the_naive_market(styled) -> None:
    profiles = standardize(team_profiles(styled.matches, periods=("season",)))
    labels = StyleClusterer(method="kmeans", n_clusters=4).fit(profiles[list(STYLE_FEATURES)]).labels_
    membership = profiles.assign(cluster=labels)
    matches = attach_clusters(styled.matches, membership)
    assert "home_cluster" not in styled.matches
    table = points_vs_expected(
        matches, {"true": styled.true_probabilities, "naive": styled.naive_probabilities}, n_boot=300
    )
    clinical = int(membership.merge(styled.styles, on=[c.LEAGUE, c.SEASON, "team"])
                   .query("style == 2")["cluster"].mode()[0])  # fmt: skip
    naive = table[table["source"] == "naive"].set_index("cluster")
    true = table[table["source"] == "true"].set_index("cluster")
    # The naive market ignores the clinical style's finishing: that cluster beats it clearly...
    assert naive.loc[clinical, "low"] > 0.15
    # ... while the true probabilities leave every cluster close to zero.
    assert true["difference"].abs().max() < 0.1
    assert (true["low"] < true["difference"]).all() and (true["difference"] < true["high"]).all()
