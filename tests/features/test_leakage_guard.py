"""The leakage guard: every group passes it under random tampering, and leaky features are caught."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoreline import columns as c
from scoreline.features import LeakageError, OpeningOdds, assert_no_leakage, build_features
from scoreline.features.guard import PERTURBATIONS
from scoreline.simulate import football_data_frame
from tests.features.features_testdata import two_divisions

MATCHES = two_divisions()
DAYS = np.sort(pd.to_datetime(MATCHES[c.DATE]).unique())


def odds_from_matches(matches: pd.DataFrame) -> OpeningOdds:
    """Opening and closing 1X2 prices derived from each match row itself (so tampering moves them too)."""
    p = matches[["true_p_home", "true_p_draw", "true_p_away"]].to_numpy()
    goals = matches[c.HOME_GOALS].to_numpy(float) - matches[c.AWAY_GOALS].to_numpy(float)
    rows = []
    for timing, tilt in ((c.OPENING, 0.0), (c.CLOSING, 0.05)):  # closing prices lean towards the result
        q = p + tilt * np.column_stack([goals > 0, goals == 0, goals < 0])
        q = q / q.sum(axis=1, keepdims=True)
        for j, outcome in enumerate(c.OUTCOMES):
            rows.append(
                pd.DataFrame(
                    {
                        c.LEAGUE: matches[c.LEAGUE].to_numpy(),
                        c.DATE: matches[c.DATE].to_numpy(),
                        c.HOME: matches[c.HOME].to_numpy(),
                        c.AWAY: matches[c.AWAY].to_numpy(),
                        c.BOOKMAKER: "pinnacle",
                        c.MARKET: c.MARKET_1X2,
                        c.LINE: np.nan,
                        c.TIMING: timing,
                        c.OUTCOME: outcome,
                        c.PRICE: 1 / (q[:, j] * 1.04),
                    }
                )
            )
    return OpeningOdds.from_long(pd.concat(rows, ignore_index=True))


def group_fn(group: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def features(matches: pd.DataFrame) -> pd.DataFrame:
        odds = odds_from_matches(matches) if group == "market" else None
        return build_features(matches, odds=odds, groups=(group,))

    return features


@pytest.mark.parametrize("group", ["elo", "pi", "pi_shots", "form", "market"])
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(day=st.integers(1, len(DAYS) - 1), seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(PERTURBATIONS))
def test_tampering_on_or_after_a_day_changes_nothing_before_it(
    group: str, day: int, seed: int, kind: str
) -> None:
    assert_no_leakage(group_fn(group), MATCHES, days=[DAYS[day]], perturbations=[kind], seed=seed)


def test_every_group_together_with_a_cutoff_passes() -> None:
    cutoff = pd.Timestamp(DAYS[len(DAYS) // 2]) + pd.Timedelta(hours=14)

    def features(matches: pd.DataFrame) -> pd.DataFrame:
        return build_features(matches, odds=odds_from_matches(matches), cutoff=cutoff)

    assert_no_leakage(features, MATCHES, n_days=4, seed=1)


def with_extra(
    column: str, values: Callable[[pd.DataFrame], np.ndarray]
) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def features(matches: pd.DataFrame) -> pd.DataFrame:
        return build_features(matches, groups=("elo",)).assign(**{column: values(matches)})

    return features


def same_day_goal_total(matches: pd.DataFrame) -> np.ndarray:
    """Goals scored by the league on the match's day (includes same-day matches: a leak)."""
    day = pd.to_datetime(matches[c.DATE])
    return matches[c.HOME_GOALS].groupby([matches[c.LEAGUE], day]).transform("sum").to_numpy()


def naive_shift_form(matches: pd.DataFrame) -> np.ndarray:
    """Home team's mean goals in previous rows (shift(1) by row, not by day): leaks same-day results."""
    ordered = matches.sort_values(c.KICKOFF)
    goals = (
        ordered[c.HOME_GOALS]
        .astype(float)
        .groupby(ordered[c.LEAGUE])
        .transform(lambda s: s.shift(1).expanding().mean())
    )
    return goals.reindex(matches.index).to_numpy()


def season_total(matches: pd.DataFrame) -> np.ndarray:
    """Home team's goals over the whole season: reads the future."""
    return matches.groupby([c.SEASON, c.HOME])[c.HOME_GOALS].transform("sum").to_numpy()


@pytest.mark.parametrize(
    ("name", "leak"),
    [
        ("own_result", lambda m: m[c.HOME_GOALS].to_numpy() - m[c.AWAY_GOALS].to_numpy()),
        ("same_day", same_day_goal_total),
        ("row_shift", naive_shift_form),
        ("season_total", season_total),
    ],
)
def test_guard_catches_leaky_features(name: str, leak: Callable[[pd.DataFrame], np.ndarray]) -> None:
    with pytest.raises(LeakageError, match=f"feature '{name}'"):
        assert_no_leakage(with_extra(name, leak), MATCHES, n_days=3, seed=0)


def test_closing_odds_as_a_feature_are_caught() -> None:
    """A 'market' feature built from closing prices (which lean towards the result) is a leak."""

    def closing_feature(matches: pd.DataFrame) -> pd.DataFrame:
        table = football_data_frame(matches, seed=0)
        moved = (
            1 / table["PSCH"].to_numpy() + 0.01 * (matches[c.HOME_GOALS] > matches[c.AWAY_GOALS]).to_numpy()
        )
        return build_features(matches, groups=("elo",)).assign(closing_home=moved)

    with pytest.raises(LeakageError, match="closing_home"):
        assert_no_leakage(closing_feature, MATCHES, n_days=2, perturbations=["results"], seed=3)


def test_guard_rejects_unknown_perturbation() -> None:
    with pytest.raises(ValueError, match="unknown perturbation"):
        assert_no_leakage(group_fn("elo"), MATCHES, perturbations=["shuffle"])
