"""Team profiles: per-match averages, ratios of totals, half-season split, z-scores within league-season."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scoreline import columns as c
from scoreline.insights.profiles import (
    PROFILE_FEATURES,
    STYLE_FEATURES,
    standardize,
    team_match_rows,
    team_profiles,
)


def _match(day: int, home: str, away: str, hg: int, ag: int, hs: float, as_: float, **stats: float) -> dict:
    date = pd.Timestamp("2023-08-01") + pd.Timedelta(days=day)
    row = {
        c.LEAGUE: "E0",
        c.SEASON: "2324",
        c.DATE: date,
        c.KICKOFF: date,
        c.HOME: home,
        c.AWAY: away,
        c.HOME_GOALS: hg,
        c.AWAY_GOALS: ag,
        c.HOME_SHOTS: hs,
        c.AWAY_SHOTS: as_,
    }
    for name in c.STAT_COLUMNS:
        row.setdefault(name, stats.get(name, 1.0))
    return row


@pytest.fixture
def four_matches() -> pd.DataFrame:
    return pd.DataFrame(
        [
            _match(0, "A", "B", 2, 0, 10, 4, home_shots_on_target=5, away_shots_on_target=1, home_fouls=8),
            _match(7, "B", "A", 1, 1, 6, 10, home_shots_on_target=2, away_shots_on_target=4, away_fouls=12),
            _match(14, "A", "B", 0, 1, np.nan, 8),  # A's shots unknown in this match
            _match(21, "B", "A", 3, 0, 12, 2, home_red=np.nan),
        ]
    )


def test_team_match_rows_take_each_teams_view(four_matches: pd.DataFrame) -> None:
    rows = team_match_rows(four_matches)
    a = rows[rows["team"] == "A"].reset_index(drop=True)
    assert list(a["venue"]) == ["home", "away", "home", "away"]
    assert list(a["goals_for"]) == [2, 1, 0, 0]
    assert list(a["goals_against"]) == [0, 1, 1, 3]
    assert list(a["points"]) == [3, 1, 0, 0]
    # Cards: yellow + red, a missing red counts as none.
    b_cards = rows[(rows["team"] == "B") & (rows[c.DATE] == pd.Timestamp("2023-08-22"))]["cards_for"]
    assert b_cards.tolist() == [1.0]


def test_profiles_average_per_match_and_take_ratios_of_totals(four_matches: pd.DataFrame) -> None:
    before = four_matches.copy()
    profiles = team_profiles(four_matches)
    pd.testing.assert_frame_equal(four_matches, before)  # input untouched
    a = profiles[(profiles["team"] == "A") & (profiles["period"] == "season")].iloc[0]
    assert a["matches"] == 4
    assert a["goals_for"] == pytest.approx(3 / 4)
    assert a["shots_for"] == pytest.approx((10 + 10 + 2) / 3)  # mean over matches with the stat
    # Conversion: goals / shots over matches where both are recorded (the 0-goal match without shots is out).
    assert a["conversion"] == pytest.approx((2 + 1 + 0) / (10 + 10 + 2))
    assert a["shot_accuracy"] == pytest.approx((5 + 4 + 1) / (10 + 10 + 2))
    assert a["fouls_for"] == pytest.approx((8 + 12 + 1 + 1) / 4)
    assert a["home_goals_for"] == pytest.approx(1.0) and a["away_goals_for"] == pytest.approx(0.5)
    assert a["points"] == pytest.approx(4 / 4)
    halves = profiles[(profiles["team"] == "A") & (profiles["period"] != "season")].set_index("period")
    assert halves.loc["H1", "matches"] == 2 and halves.loc["H2", "matches"] == 2
    assert halves.loc["H1", "goals_for"] == pytest.approx(1.5)
    assert halves.loc["H2", "goals_against"] == pytest.approx(2.0)


def test_standardize_within_league_season_and_period(styled) -> None:
    profiles = team_profiles(styled.matches)
    z = standardize(profiles)
    grouped = z.groupby([c.LEAGUE, c.SEASON, "period"])[list(PROFILE_FEATURES)]
    np.testing.assert_allclose(grouped.mean().to_numpy(), 0.0, atol=1e-9)
    np.testing.assert_allclose(grouped.std(ddof=0).to_numpy(), 1.0, atol=1e-9)
    assert len(profiles) == 2 * 16 * 3 * 3  # leagues x teams x seasons x (season, H1, H2)
    assert set(STYLE_FEATURES) <= set(PROFILE_FEATURES)


def test_unknown_period_is_rejected(four_matches: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="unknown periods"):
        team_profiles(four_matches, periods=("month",))
