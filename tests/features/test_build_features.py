"""build_features: season carry-over, promoted teams, league groups, cutoff, versions, inputs untouched."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scoreline import columns as c
from scoreline.features import GROUP_COLUMNS, KEY_COLUMNS, FeatureParams, build_features, league_group
from scoreline.features.elo import ELO_COLUMNS
from scoreline.features.pi import PI_COLUMNS
from scoreline.simulate import simulate_league
from tests.features.features_testdata import two_divisions
from tests.features.test_leakage_guard import odds_from_matches


def first_of_season(matches: pd.DataFrame, season: str) -> dict[str, tuple[int, str]]:
    """Each team's first match of ``season``: team -> (row label, side)."""
    firsts: dict[str, tuple[int, str]] = {}
    for label, row in matches[matches[c.SEASON] == season].iterrows():
        for side in ("home", "away"):
            firsts.setdefault(row[side], (label, side))
    return firsts


@pytest.mark.parametrize(
    ("code", "group"),
    [
        ("E0", "E"),
        ("EC", "E"),
        ("E3", "E"),
        ("SC2", "SC"),
        ("D1", "D"),
        ("SP2", "SP"),
        ("N1", "N"),
        ("ENG5", "ENG"),
    ],
)
def test_league_groups(code: str, group: str) -> None:
    assert league_group(code) == group


def test_season_regression_moves_ratings_towards_the_league_mean() -> None:
    matches = simulate_league(6, ("2223", "2324"), seed=4).matches
    kept = build_features(matches, groups=("elo",), params={"elo": {"season_regression": 0.0}})
    half = build_features(matches, groups=("elo",), params={"elo": {"season_regression": 0.5}})
    full = build_features(matches, groups=("elo",), params={"elo": {"season_regression": 1.0}})
    for label, side in first_of_season(matches, "2324").values():
        # Elo is zero-sum in a closed league, so the league mean stays 1500.
        end_of_season = kept.loc[label, f"elo_{side}"]
        assert half.loc[label, f"elo_{side}"] == pytest.approx(1500 + 0.5 * (end_of_season - 1500))
        assert full.loc[label, f"elo_{side}"] == pytest.approx(1500)
    first = matches[c.SEASON] == "2223"
    pd.testing.assert_frame_equal(kept[first], half[first])


def promotion_frame() -> pd.DataFrame:
    """Season 1: E0 {A,B,C,D}, E1 {E,F,G,H}; season 2: E swaps with D and newcomer X joins E1."""
    rng = np.random.default_rng(0)
    rows = []
    leagues = {
        ("2223", "E0"): "ABCD",
        ("2223", "E1"): "EFGH",
        ("2324", "E0"): "ABCE",
        ("2324", "E1"): "DFGHX",
        ("2223", "D1"): "ABCD",  # same names in Germany: different teams
    }
    for (season, league), teams in leagues.items():
        start = pd.Timestamp(f"20{season[:2]}-08-05")
        pairs = [(h, a) for h in teams for a in teams if h != a]
        for i, (h, a) in enumerate(pairs):
            day = start + pd.Timedelta(days=7 * (i // 2))
            rows.append((league, season, day, h, a, *rng.integers(0, 4, 2)))
    frame = pd.DataFrame(
        rows, columns=[c.LEAGUE, c.SEASON, c.DATE, c.HOME, c.AWAY, c.HOME_GOALS, c.AWAY_GOALS]
    )
    return frame.assign(**{c.KICKOFF: frame[c.DATE] + pd.Timedelta(hours=15)})


def test_promoted_team_keeps_its_rating_and_newcomers_start_from_the_bottom_three() -> None:
    matches = promotion_frame()
    got = build_features(matches, groups=("elo", "pi"), params={"elo": {"season_regression": 0.0}})
    english = matches[c.LEAGUE].str.startswith("E")
    firsts = first_of_season(matches[english], "2324")
    last_1 = {team: got.loc[label, f"elo_{side}"] for team, (label, side) in firsts.items()}
    # E (promoted) starts season 2 in E0 from its own end-of-E1 rating, not from 1500.
    assert last_1["E"] != pytest.approx(1500)
    # X is new: it starts from the mean of E1's three lowest end-of-season ratings (E, F, G, H).
    # X is new: it starts from the mean of E1's three lowest end-of-season ratings (of E, F, G, H; with no
    # regression, a team's first season-2 rating is its end-of-season-1 rating).
    e1_end = sorted(last_1[team] for team in "EFGH")
    assert last_1["X"] == pytest.approx(np.mean(e1_end[:3]))
    # Germany's "A" is not England's "A": its first D1 match is at the initial rating.
    german_first = matches.index[(matches[c.LEAGUE] == "D1")][0]
    assert got.loc[german_first, "elo_home"] == 1500 and got.loc[german_first, "pi_home_rating"] == 0
    english_a_late = matches.index[english & (matches[c.HOME] == "A") & (matches[c.SEASON] == "2324")][0]
    assert got.loc[english_a_late, "elo_home"] != 1500


def test_cutoff_freezes_ratings_and_form_for_later_fixtures() -> None:
    matches = simulate_league(6, ("2324",), seed=5).matches
    cutoff = matches[c.KICKOFF].iloc[len(matches) // 2]
    later = (matches[c.KICKOFF] >= cutoff).to_numpy()
    with_cutoff = build_features(matches, cutoff=cutoff)
    unplayed = matches.copy()
    unplayed.loc[later, [c.HOME_GOALS, c.AWAY_GOALS, *c.STAT_COLUMNS]] = np.nan
    pd.testing.assert_frame_equal(
        with_cutoff.drop(columns="form_season_stage"),
        build_features(unplayed).drop(columns="form_season_stage"),
        check_dtype=False,
    )
    no_cutoff = build_features(matches)
    earlier_days = matches[c.DATE] < cutoff.normalize()
    pd.testing.assert_frame_equal(with_cutoff[earlier_days], no_cutoff[earlier_days])
    # Every team keeps one Elo rating over all its fixtures after the cutoff's day.
    after = with_cutoff[matches[c.DATE] > cutoff.normalize()]
    long = pd.concat(
        [
            after[[c.HOME, "elo_home"]].set_axis(["team", "elo"], axis=1),
            after[[c.AWAY, "elo_away"]].set_axis(["team", "elo"], axis=1),
        ]
    )
    assert (long.groupby("team")["elo"].nunique() == 1).all()
    assert with_cutoff.attrs["cutoff"] == pd.Timestamp(cutoff).isoformat()


def test_inputs_are_not_mutated_and_output_keeps_index_and_order() -> None:
    matches = two_divisions().iloc[::-1]
    before = matches.copy(deep=True)
    got = build_features(matches)
    pd.testing.assert_frame_equal(matches, before)
    assert got.index.equals(matches.index)
    assert tuple(got.columns[: len(KEY_COLUMNS)]) == KEY_COLUMNS
    assert set(ELO_COLUMNS) | set(PI_COLUMNS) <= set(got.columns)
    assert got.attrs["groups"] == ["elo", "pi", "pi_shots", "form"]  # no odds: no market group


def test_feature_set_version_tracks_groups_and_parameters() -> None:
    matches = simulate_league(4, ("2324",), seed=0).matches
    base = build_features(matches).attrs["feature_set_version"]
    assert len(base) == 12
    assert build_features(matches).attrs["feature_set_version"] == base
    assert build_features(matches, params={"elo": {"k": 30}}).attrs["feature_set_version"] != base
    assert build_features(matches, groups=("elo",)).attrs["feature_set_version"] != base
    assert build_features(matches, params=FeatureParams()).attrs["feature_set_version"] == base


def test_bad_input_is_refused_with_a_clear_error() -> None:
    matches = simulate_league(4, ("2324",), seed=0).matches
    with pytest.raises(ValueError, match="lacks column"):
        build_features(matches.drop(columns=[c.SEASON]))
    broken = matches.copy()
    broken.loc[3, c.HOME] = None
    with pytest.raises(ValueError, match="row 3: field 'home' is missing"):
        build_features(broken)
    with pytest.raises(ValueError, match="unknown feature group"):
        build_features(matches, groups=("elo", "xg"))
    with pytest.raises(ValueError, match="season_regression"):
        build_features(matches, params={"pi": {"season_regression": 1.5}})


@pytest.mark.parametrize("group", ["elo", "pi", "pi_shots", "form", "market"])
def test_each_group_adds_exactly_its_declared_columns(group: str) -> None:
    matches = simulate_league(n_teams=6, seasons=("2324",), seed=2).matches
    frame = build_features(matches, odds_from_matches(matches), groups=[group])
    assert tuple(frame.columns) == (*KEY_COLUMNS, *GROUP_COLUMNS[group])
