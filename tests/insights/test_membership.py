"""Leakage-safe cluster membership: past seasons only, aligned labels, and a feature-guard property test."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoreline import columns as c
from scoreline.insights.clustering import cluster_agreement
from scoreline.insights.membership import AWAY_CLUSTER, FEATURE_COLUMNS, HOME_CLUSTER, cluster_features
from scoreline.insights.simulate_styles import simulate_styled_leagues

SMALL = simulate_styled_leagues(n_leagues=1, n_teams=8, seasons=("2122", "2223", "2324"), seed=3).matches
FAST = {"method": "kmeans", "n_clusters": 3, "min_matches": 5}
BASE_FEATURES = cluster_features(SMALL, **FAST)
DATES = sorted(SMALL[c.DATE].unique())
STAT_NAMES = (c.HOME_GOALS, c.AWAY_GOALS, c.HOME_SHOTS, c.AWAY_SHOTS, c.HOME_FOULS, c.AWAY_CORNERS)


def test_features_come_from_past_seasons_and_track_planted_styles(styled) -> None:
    features = cluster_features(styled.matches, method="kmeans")
    assert features.index.equals(styled.matches.index)
    assert list(features.columns) == list(FEATURE_COLUMNS)
    first = styled.matches[c.SEASON] == "2122"
    assert features[first].isna().all().all()  # no past season: no cluster
    later = styled.matches[~first].join(features)
    assert later[list(FEATURE_COLUMNS)].notna().all().all()
    truth = later.merge(styled.styles.rename(columns={"team": c.HOME}), on=[c.LEAGUE, c.SEASON, c.HOME])
    # Styles are kept across seasons, and labels are aligned from fit to fit: one partition for all seasons.
    assert cluster_agreement(truth["style"], truth[HOME_CLUSTER].astype(int)) > 0.8


def test_a_team_without_history_has_no_cluster() -> None:
    newcomer = SMALL[SMALL[c.SEASON] == "2324"].head(1).assign(**{c.HOME: "Newcomer FC"})
    features = cluster_features(pd.concat([SMALL, newcomer], ignore_index=True), **FAST)
    assert pd.isna(features[HOME_CLUSTER].iloc[-1]) and pd.notna(features[AWAY_CLUSTER].iloc[-1])


def test_cutoff_hides_later_matches() -> None:
    cutoff = pd.Timestamp("2023-01-01")  # inside season 2223
    features = cluster_features(SMALL, cutoff=cutoff, **FAST)
    # 2324's fit may only use matches before the cutoff: same as dropping everything after it.
    pruned = cluster_features(SMALL[SMALL[c.DATE] < cutoff], **FAST)
    early = SMALL[c.DATE] < cutoff
    pd.testing.assert_frame_equal(features[early], pruned)


def test_past_data_does_change_later_features() -> None:
    """The guard below can fail: features do depend on the past."""
    teams = sorted(SMALL[c.HOME].unique())
    rotate = dict(zip(teams, teams[1:] + teams[:1], strict=True))
    first = SMALL[c.SEASON] == "2122"
    swapped = SMALL.copy()
    for side in (c.HOME, c.AWAY):
        swapped.loc[first, side] = SMALL.loc[first, side].map(rotate)
    changed = cluster_features(swapped, **FAST)
    season_2223 = SMALL[c.SEASON] == "2223"
    assert not changed[season_2223].equals(BASE_FEATURES[season_2223])


@st.composite
def edits_at_or_after(draw: st.DrawFn) -> tuple[pd.Timestamp, pd.DataFrame]:
    """A time T and the match frame with matches at or after T changed, added or deleted."""
    cut = draw(st.integers(1, len(DATES) - 1))
    T = pd.Timestamp(DATES[cut])
    frame = SMALL.copy()
    late = list(frame.index[frame[c.DATE] >= T])
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["change", "add", "delete"]))
        if op == "change" and late:
            row = draw(st.sampled_from(late))
            frame.loc[row, draw(st.sampled_from(STAT_NAMES))] = draw(st.integers(0, 40))
        elif op == "delete" and late:
            row = draw(st.sampled_from(late))
            frame = frame.drop(index=row)
            late.remove(row)
        else:
            template = frame.loc[draw(st.sampled_from(list(frame.index)))].copy()
            template[c.DATE] = T + pd.Timedelta(days=draw(st.integers(0, 800)))
            template[c.KICKOFF] = template[c.DATE]
            template[c.SEASON] = draw(st.sampled_from(["2122", "2223", "2324", "2425", "1920"]))
            template[c.HOME] = draw(st.sampled_from([*SMALL[c.HOME].unique()[:3], "Newcomer FC"]))
            template[c.HOME_SHOTS] = draw(st.integers(0, 40))
            index = int(frame.index.max()) + 1
            frame.loc[index] = template
            late.append(index)
    return T, frame


@pytest.mark.slow
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits_at_or_after())
def test_edits_at_or_after_T_leave_features_before_T_unchanged(
    case: tuple[pd.Timestamp, pd.DataFrame],
) -> None:
    T, edited = case
    after = cluster_features(edited, **FAST)
    before_T = SMALL.index[SMALL[c.DATE] < T]
    pd.testing.assert_frame_equal(after.loc[before_T], BASE_FEATURES.loc[before_T])


@pytest.mark.parametrize("max_past_seasons", [1, None])
def test_window_of_past_seasons(max_past_seasons: int | None) -> None:
    features = cluster_features(SMALL, max_past_seasons=max_past_seasons, **FAST)
    assert features[SMALL[c.SEASON] == "2324"].notna().all().all()
