"""The match timeline every sequential feature walks: matches in kickoff order, batched by day.

Teams are identified across the leagues of one country (see :func:`league_group`), so a promoted or relegated
team keeps one rating. A match *counts* (its result may update anything) only when it has a result and kicked
off before the cutoff; everything else gets pre-match values only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoreline import columns as c

REQUIRED_COLUMNS = (c.LEAGUE, c.SEASON, c.DATE, c.HOME, c.AWAY, c.HOME_GOALS, c.AWAY_GOALS)
# football-data codes whose letters alone do not name the country group.
_GROUP_ALIASES = {"EC": "E"}
_TRAILING_DIGITS = re.compile(r"\d+$")


def league_group(league: str) -> str:
    """The country group of a league code: its letters without trailing digits, ``EC`` folded into ``E``.

    football-data: E0/E1/E2/E3/EC -> E, SC0-SC3 -> SC, D1/D2 -> D, SP1/SP2 -> SP, I1/I2 -> I, F1/F2 -> F,
    N1 -> N, B1 -> B, P1 -> P, T1 -> T, G1 -> G. Soccer Prediction Challenge: ENG1-ENG5 -> ENG, GER1-3 -> GER.
    """
    letters = _TRAILING_DIGITS.sub("", str(league))
    return _GROUP_ALIASES.get(letters, letters)


def check_matches(matches: pd.DataFrame) -> None:
    """Raise a clear error when ``matches`` lacks a column the features need or has unusable keys."""
    missing = [name for name in REQUIRED_COLUMNS if name not in matches.columns]
    if missing:
        raise ValueError(f"match frame lacks column(s) {missing}; have {list(matches.columns)}")
    for name in (c.LEAGUE, c.SEASON, c.DATE, c.HOME, c.AWAY):
        bad = matches[name].isna().to_numpy()
        if bad.any():
            row = matches.index[np.flatnonzero(bad)[0]]
            raise ValueError(f"match frame row {row!r}: field {name!r} is missing ({int(bad.sum())} rows)")


def as_datetime(values: pd.Series) -> pd.Series:
    """``values`` as datetimes; a datetime64 column is returned as it is (``pd.to_datetime`` would scan it to
    decide on caching, which costs milliseconds per call in the walk-forward's thousands of fits)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    return pd.to_datetime(values)


def match_days(matches: pd.DataFrame) -> pd.Series:
    """The kickoff day of each match (``date`` normalised to midnight)."""
    return as_datetime(matches[c.DATE]).dt.normalize()


def kickoffs(matches: pd.DataFrame) -> pd.Series:
    """Kickoff timestamps: the ``kickoff`` column where present, else the match day."""
    day = match_days(matches)
    if c.KICKOFF not in matches.columns:
        return day
    return as_datetime(matches[c.KICKOFF]).fillna(day)


def counted_mask(matches: pd.DataFrame, cutoff: pd.Timestamp | None) -> np.ndarray:
    """Matches whose result may be used: goals known and kickoff strictly before ``cutoff``."""
    goals = matches[[c.HOME_GOALS, c.AWAY_GOALS]].apply(pd.to_numeric, errors="coerce")
    counted = goals.notna().all(axis=1).to_numpy()
    if cutoff is not None:
        counted &= (kickoffs(matches) < pd.Timestamp(cutoff)).to_numpy()
    return np.asarray(counted)


def season_ordinals(matches: pd.DataFrame) -> np.ndarray:
    """Season labels as integers ordered by each label's first match day (so ``9394`` precedes ``0001``)."""
    first = match_days(matches).groupby(matches[c.SEASON].astype(str).to_numpy()).min().sort_values()
    rank = pd.Series(np.arange(len(first)), index=first.index)
    return np.asarray(matches[c.SEASON].astype(str).map(rank).to_numpy(dtype=np.int64))


def team_keys(matches: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Team identities ``group|name`` for the home and away sides."""
    leagues = matches[c.LEAGUE].astype(str)
    group = leagues.map({league: league_group(league) for league in leagues.unique()})
    return group + "|" + matches[c.HOME].astype(str), group + "|" + matches[c.AWAY].astype(str)


@dataclass(frozen=True)
class EncodedMatches:
    """The match frame as integer arrays, in INPUT order, shared by every group."""

    day: np.ndarray  # days since the epoch
    kickoff: np.ndarray  # nanoseconds since the epoch
    home: np.ndarray  # team ids (country group + name)
    away: np.ndarray
    league: np.ndarray
    season: np.ndarray  # season ordinals
    counted: np.ndarray
    home_goals: np.ndarray  # float, NaN where the match does not count
    away_goals: np.ndarray
    n_teams: int
    n_leagues: int

    def __len__(self) -> int:
        return len(self.day)


def encode_matches(matches: pd.DataFrame, cutoff: pd.Timestamp | None) -> EncodedMatches:
    """Encode ``matches`` for the numba kernels (the input frame is not modified)."""
    check_matches(matches)
    n = len(matches)
    home_key, away_key = team_keys(matches)
    team_codes, teams = pd.factorize(pd.concat([home_key, away_key], ignore_index=True))
    league_codes, leagues = pd.factorize(matches[c.LEAGUE].astype(str))
    counted = counted_mask(matches, cutoff)
    goals = matches[[c.HOME_GOALS, c.AWAY_GOALS]].apply(pd.to_numeric, errors="coerce").to_numpy(float)
    goals[~counted] = np.nan
    return EncodedMatches(
        day=match_days(matches).to_numpy().astype("datetime64[D]").astype(np.int64),
        kickoff=kickoffs(matches).to_numpy().astype("datetime64[ns]").astype(np.int64),
        home=team_codes[:n].astype(np.int64),
        away=team_codes[n:].astype(np.int64),
        league=league_codes.astype(np.int64),
        season=season_ordinals(matches),
        counted=counted,
        home_goals=goals[:, 0],
        away_goals=goals[:, 1],
        n_teams=len(teams),
        n_leagues=len(leagues),
    )


@dataclass(frozen=True)
class Timeline:
    """Encoded matches in processing order (day, kickoff, league, home); ``order[i]``: input position."""

    order: np.ndarray
    day_bounds: np.ndarray  # start offset of each day in processing order, plus the end
    home: np.ndarray
    away: np.ndarray
    league: np.ndarray
    season: np.ndarray
    home_goals: np.ndarray
    away_goals: np.ndarray
    counted: np.ndarray
    n_teams: int
    n_leagues: int


def build_timeline(encoded: EncodedMatches) -> Timeline:
    """Sort encoded matches by day, kickoff, league and home team and mark where each day starts."""
    n = len(encoded)
    order = np.lexsort((encoded.home, encoded.league, encoded.kickoff, encoded.day))
    days = encoded.day[order]
    starts = np.flatnonzero(np.r_[True, days[1:] != days[:-1]]) if n else np.zeros(0, dtype=np.int64)
    return Timeline(
        order=order,
        day_bounds=np.r_[starts, n].astype(np.int64),
        home=encoded.home[order],
        away=encoded.away[order],
        league=encoded.league[order],
        season=encoded.season[order],
        home_goals=encoded.home_goals[order],
        away_goals=encoded.away_goals[order],
        counted=encoded.counted[order],
        n_teams=encoded.n_teams,
        n_leagues=encoded.n_leagues,
    )


def to_input_order(values: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Undo the processing order: row ``i`` of the result belongs to input position ``i``."""
    out = np.empty_like(values)
    out[order] = values
    return out
