"""Team playing-style profiles from match statistics: per season and per half-season, raw and z-scored.

A profile is one row per team and period (``season``, or ``H1``/``H2``: the first and second half of the
team's own matches that season) with per-match averages of what the team did and conceded. Ratios
(conversion, shot accuracy) are ratios of totals, not means of per-match ratios. Z-scores are taken within
league, season and period so that leagues and eras with different levels of shots or fouls compare.
All functions are pure: they never mutate their inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd

from scoreline import columns as c

TEAM: Final = "team"
PERIOD: Final = "period"
VENUE: Final = "venue"  # "home" or "away" in team-match rows
MATCHES: Final = "matches"
POINTS: Final = "points"  # points per match (reported beside the profile, not a style feature)
SEASON_PERIOD: Final = "season"
HALF_PERIODS: Final = ("H1", "H2")
PROFILE_KEY: Final = (c.LEAGUE, c.SEASON, PERIOD, TEAM)

# Per-match quantities of one team in one match (team-match rows), "for" = by the team, "against" = by its
# opponent. Fouls are fouls committed; cards are yellow plus red cards shown to the team.
_FOR_AGAINST: Final = {
    "goals": (c.HOME_GOALS, c.AWAY_GOALS),
    "shots": (c.HOME_SHOTS, c.AWAY_SHOTS),
    "sot": (c.HOME_SHOTS_ON_TARGET, c.AWAY_SHOTS_ON_TARGET),
    "corners": (c.HOME_CORNERS, c.AWAY_CORNERS),
    "fouls": (c.HOME_FOULS, c.AWAY_FOULS),
    "yellow": (c.HOME_YELLOW, c.AWAY_YELLOW),
    "red": (c.HOME_RED, c.AWAY_RED),
}
# Profile features: per-match means of team-match quantities, plus ratios of totals.
MEAN_FEATURES: Final = (
    "goals_for",
    "goals_against",
    "shots_for",
    "shots_against",
    "sot_for",
    "sot_against",
    "corners_for",
    "corners_against",
    "fouls_for",
    "fouls_against",
    "cards_for",
)
RATIO_FEATURES: Final = {
    "conversion": ("goals_for", "shots_for"),  # goals per shot
    "shot_accuracy": ("sot_for", "shots_for"),  # share of shots on target
    "conversion_against": ("goals_against", "shots_against"),
}
SPLIT_FEATURES: Final = tuple(
    f"{venue}_{name}" for venue in ("home", "away") for name in ("goals_for", "goals_against", "shots_for")
)
PROFILE_FEATURES: Final = (*MEAN_FEATURES, *RATIO_FEATURES, *SPLIT_FEATURES)
# What the clusterer uses by default: how a team plays, at home and away together. Goals are kept out on
# purpose (they are largely strength and luck), so "does the style explain results" is a real question.
STYLE_FEATURES: Final = (
    "shots_for",
    "shots_against",
    "sot_for",
    "sot_against",
    "shot_accuracy",
    "conversion",
    "corners_for",
    "corners_against",
    "fouls_for",
    "cards_for",
)


def team_match_rows(matches: pd.DataFrame) -> pd.DataFrame:
    """One row per team per played match: the team's view (``*_for``/``*_against``), venue and points.

    Matches without a result are dropped. Statistics stay NaN where the source lacks them.
    """
    played = matches[matches[c.HOME_GOALS].notna() & matches[c.AWAY_GOALS].notna()]
    base = played[[c.LEAGUE, c.SEASON, c.DATE, c.KICKOFF]].reset_index(drop=True)
    sides = []
    for venue, team_col, opp_col, own, other in (
        ("home", c.HOME, c.AWAY, 0, 1),
        ("away", c.AWAY, c.HOME, 1, 0),
    ):
        side = base.copy()
        side[TEAM] = played[team_col].to_numpy()
        side["opponent"] = played[opp_col].to_numpy()
        side[VENUE] = venue
        for name, pair in _FOR_AGAINST.items():
            side[f"{name}_for"] = pd.to_numeric(played[pair[own]], errors="coerce").to_numpy(dtype=float)
            side[f"{name}_against"] = pd.to_numeric(played[pair[other]], errors="coerce").to_numpy(
                dtype=float
            )
        side["cards_for"] = side["yellow_for"] + side["red_for"].fillna(0.0)
        diff = side["goals_for"] - side["goals_against"]
        side[POINTS] = np.select([diff > 0, diff == 0], [3.0, 1.0], 0.0)
        sides.append(side)
    rows = pd.concat(sides, ignore_index=True)
    return rows.sort_values([c.LEAGUE, c.SEASON, TEAM, c.KICKOFF], kind="stable").reset_index(drop=True)


def _period_labels(rows: pd.DataFrame) -> np.ndarray:
    """``H1`` for the first half of each team's matches in a season (by kickoff), ``H2`` for the rest."""
    order = rows.groupby([c.LEAGUE, c.SEASON, TEAM], sort=False).cumcount().to_numpy()
    size = rows.groupby([c.LEAGUE, c.SEASON, TEAM], sort=False)[TEAM].transform("size").to_numpy()
    return np.where(order < (size + 1) // 2, HALF_PERIODS[0], HALF_PERIODS[1])


def _aggregate(rows: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """Per-match means and ratios of totals of team-match ``rows`` grouped by ``key``."""
    grouped = rows.groupby(key, sort=True)
    out = grouped[list(MEAN_FEATURES)].mean()
    for name, (numerator, denominator) in RATIO_FEATURES.items():
        # Totals over matches where both are recorded.
        both = rows[numerator].notna() & rows[denominator].notna()
        num = rows[numerator].where(both).groupby([rows[k] for k in key], sort=True).sum(min_count=1)
        den = rows[denominator].where(both).groupby([rows[k] for k in key], sort=True).sum(min_count=1)
        out[name] = (num / den.where(den > 0)).reindex(out.index)
    for venue in ("home", "away"):
        venue_rows = rows[rows[VENUE] == venue].groupby(key, sort=True)
        split = venue_rows[["goals_for", "goals_against", "shots_for"]].mean().add_prefix(f"{venue}_")
        split = split.reindex(out.index)
        out[split.columns] = split
    out[MATCHES] = grouped.size()
    out[POINTS] = grouped[POINTS].mean()
    return out.reset_index()


def team_profiles(matches: pd.DataFrame, periods: Sequence[str] = ("season", "half")) -> pd.DataFrame:
    """Raw per-match profiles: one row per league, season, period and team.

    ``periods``: ``"season"`` gives period ``season``; ``"half"`` gives periods ``H1`` and ``H2``. Columns:
    ``PROFILE_KEY``, ``PROFILE_FEATURES``, ``matches`` (played matches) and ``points`` (per match).
    """
    return profiles_from_rows(team_match_rows(matches), periods)


def profiles_from_rows(rows: pd.DataFrame, periods: Sequence[str] = ("season", "half")) -> pd.DataFrame:
    """:func:`team_profiles` from team-match rows (:func:`team_match_rows`), to reuse rows across calls."""
    unknown = set(periods) - {"season", "half"}
    if unknown:
        raise ValueError(f"unknown periods {sorted(unknown)}; use 'season' and/or 'half'")
    frames = []
    if "season" in periods:
        frames.append(_aggregate(rows.assign(**{PERIOD: SEASON_PERIOD}), list(PROFILE_KEY)))
    if "half" in periods:
        frames.append(_aggregate(rows.assign(**{PERIOD: _period_labels(rows)}), list(PROFILE_KEY)))
    columns = [*PROFILE_KEY, *PROFILE_FEATURES, MATCHES, POINTS]
    if not frames:
        return pd.DataFrame(columns=columns)
    profiles = pd.concat(frames, ignore_index=True)[columns]
    return profiles.sort_values(list(PROFILE_KEY), kind="stable").reset_index(drop=True)


def standardize(profiles: pd.DataFrame, features: Sequence[str] = PROFILE_FEATURES) -> pd.DataFrame:
    """``profiles`` with ``features`` z-scored within league, season and period (population sd).

    A feature that does not vary within a group gets 0 there; missing values stay missing.
    """
    groups = profiles.groupby([c.LEAGUE, c.SEASON, PERIOD], sort=False)[list(features)]
    mean = groups.transform("mean")
    sd = groups.transform(lambda x: x.std(ddof=0))
    z = ((profiles[list(features)] - mean) / sd.where(sd > 0)).where(sd > 0, 0.0)
    z = z.where(profiles[list(features)].notna())
    return profiles.assign(**{name: z[name] for name in features})
