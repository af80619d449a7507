"""Recent form, rest and season progress, pre-match (numba loops over a long team-match table).

Each match gives two team rows (home side, away side) holding the team's statistics *for* and *against*.
Per team, in kickoff order, a row gets the exponentially weighted mean (half-life in matches) and the mean of
the last N matches of every statistic from its EARLIER days only: rows of the same day are all read before any
of them updates. Only counted matches (result known, kickoff before the cutoff) update anything; a missing
statistic (e.g. no shots in older files) is skipped for that statistic alone. Form carries over seasons.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numba import njit

from scoreline import columns as c
from scoreline.features.params import FormParams
from scoreline.features.timeline import EncodedMatches

# statistic -> (home team's column(s), away team's column(s)); "for" is the team's own, "against" the other's.
_STATS: dict[str, tuple[str | tuple[str, ...], str | tuple[str, ...]]] = {
    "goals": (c.HOME_GOALS, c.AWAY_GOALS),
    "shots": (c.HOME_SHOTS, c.AWAY_SHOTS),
    "sot": (c.HOME_SHOTS_ON_TARGET, c.AWAY_SHOTS_ON_TARGET),
    "corners": (c.HOME_CORNERS, c.AWAY_CORNERS),
    "cards": ((c.HOME_YELLOW, c.HOME_RED), (c.AWAY_YELLOW, c.AWAY_RED)),
}
FORM_STATS = (*(f"{name}_{side}" for name in _STATS for side in ("for", "against")), "points")
_KINDS = ("ewm", "lastn")


def form_columns() -> tuple[str, ...]:
    """Every column of the form group, in output order."""
    overall = [f"form_{s}_{k}_{side}" for side in ("home", "away") for s in FORM_STATS for k in _KINDS]
    venue = [
        f"form_{s}_{k}_{side}_at_{side}" for side in ("home", "away") for s in FORM_STATS for k in _KINDS
    ]
    schedule = [f"form_{name}_{side}" for name in ("rest_days", "played_season") for side in ("home", "away")]
    return (*overall, *venue, *schedule, "form_season_stage")


@njit(cache=True)
def _ewm_lastn(key, day, values, alpha, last_n):  # type: ignore[no-untyped-def]
    n, m = values.shape
    ewm = np.full((n, m), np.nan)
    lastn = np.full((n, m), np.nan)
    num = np.zeros(m)
    den = np.zeros(m)
    buf = np.zeros((last_n, m))
    count = np.zeros(m, dtype=np.int64)
    i = 0
    while i < n:
        if i == 0 or key[i] != key[i - 1]:
            num[:] = 0.0
            den[:] = 0.0
            count[:] = 0
        j = i
        while j < n and key[j] == key[i] and day[j] == day[i]:
            j += 1
        for s in range(m):
            if den[s] > 0:
                ewm_value = num[s] / den[s]
                used = min(count[s], last_n)
                mean = buf[:used, s].mean()
                for r in range(i, j):
                    ewm[r, s] = ewm_value
                    lastn[r, s] = mean
        for r in range(i, j):
            for s in range(m):
                x = values[r, s]
                if not np.isnan(x):
                    num[s] = num[s] * (1.0 - alpha) + x
                    den[s] = den[s] * (1.0 - alpha) + 1.0
                    buf[count[s] % last_n, s] = x
                    count[s] += 1
        i = j
    return ewm, lastn


@njit(cache=True)
def _schedule(key, day, season, counted):  # type: ignore[no-untyped-def]
    """Days since the team's last counted match and counted matches this season, both from earlier days."""
    n = key.shape[0]
    rest = np.full(n, np.nan)
    played = np.zeros(n)
    last_day = 0
    has_last = False
    cur_season = -1
    in_season = 0
    i = 0
    while i < n:
        if i == 0 or key[i] != key[i - 1]:
            has_last = False
            cur_season = -1
            in_season = 0
        j = i
        while j < n and key[j] == key[i] and day[j] == day[i]:
            j += 1
        for r in range(i, j):
            if has_last:
                rest[r] = day[r] - last_day
            played[r] = in_season if season[r] == cur_season else 0
        for r in range(i, j):
            if counted[r]:
                if season[r] != cur_season:
                    cur_season = season[r]
                    in_season = 0
                in_season += 1
                last_day = day[r]
                has_last = True
        i = j
    return rest, played


@njit(cache=True)
def _season_stage(league, day, season, counted):  # type: ignore[no-untyped-def]
    """Counted league matches of this season on earlier days over the league's previous season's count."""
    n = league.shape[0]
    stage = np.full(n, np.nan)
    cur_season = -1
    cur_count = 0
    prev_count = 0
    i = 0
    while i < n:
        if i == 0 or league[i] != league[i - 1]:
            cur_season = -1
            cur_count = 0
            prev_count = 0
        j = i
        while j < n and league[j] == league[i] and day[j] == day[i]:
            j += 1
        for r in range(i, j):
            if season[r] > cur_season >= 0:
                prev_count = cur_count if season[r] == cur_season + 1 else 0
                cur_count = 0
                cur_season = season[r]
            elif cur_season < 0:
                cur_season = season[r]
            if season[r] == cur_season and prev_count > 0:
                stage[r] = min(cur_count / prev_count, 1.0)
        for r in range(i, j):
            if counted[r] and season[r] == cur_season:
                cur_count += 1
        i = j
    return stage


def _stat(matches: pd.DataFrame, spec: str | tuple[str, ...]) -> np.ndarray:
    names = (spec,) if isinstance(spec, str) else spec
    total = np.zeros(len(matches))
    for name in names:
        if name not in matches.columns:
            return np.full(len(matches), np.nan)
        total = total + pd.to_numeric(matches[name], errors="coerce").to_numpy(dtype=float)
    return total


def _long_values(matches: pd.DataFrame, counted: np.ndarray) -> np.ndarray:
    """``(2n, len(FORM_STATS))`` values: rows ``0..n-1`` the home sides, ``n..2n-1`` the away sides."""
    home_cols, away_cols = [], []
    for home_spec, away_spec in _STATS.values():
        h, a = _stat(matches, home_spec), _stat(matches, away_spec)
        home_cols += [h, a]
        away_cols += [a, h]
    hg, ag = _stat(matches, c.HOME_GOALS), _stat(matches, c.AWAY_GOALS)
    home_cols.append(np.where(hg > ag, 3.0, np.where(hg == ag, 1.0, 0.0)))
    away_cols.append(np.where(ag > hg, 3.0, np.where(hg == ag, 1.0, 0.0)))
    values = np.vstack([np.column_stack(home_cols), np.column_stack(away_cols)])
    values[~np.r_[counted, counted]] = np.nan
    return values


def _by_key(key: np.ndarray, day: np.ndarray, tiebreak: np.ndarray) -> np.ndarray:
    return np.lexsort((tiebreak, day, key))


def form_features(matches: pd.DataFrame, encoded: EncodedMatches, params: FormParams) -> pd.DataFrame:
    """The form group for every match of ``matches`` (same index), from earlier days' counted matches only."""
    if params.last_n < 1 or params.halflife <= 0:
        raise ValueError(f"form needs last_n >= 1 and halflife > 0, got {params}")
    n = len(matches)
    team = np.r_[encoded.home, encoded.away]
    venue = np.r_[np.zeros(n, dtype=np.int64), np.ones(n, dtype=np.int64)]
    days2, kick2 = np.r_[encoded.day, encoded.day], np.r_[encoded.kickoff, encoded.kickoff]
    counted2, season2 = np.r_[encoded.counted, encoded.counted], np.r_[encoded.season, encoded.season]
    values = _long_values(matches, encoded.counted)
    alpha = 1.0 - 0.5 ** (1.0 / params.halflife)
    out: dict[str, np.ndarray] = {}
    for key, venue_specific in ((team, False), (team * 2 + venue, True)):
        order = _by_key(key, days2, kick2)
        ewm_sorted, lastn_sorted = _ewm_lastn(key[order], days2[order], values[order], alpha, params.last_n)
        for kind, sorted_values in zip(_KINDS, (ewm_sorted, lastn_sorted), strict=True):
            unsorted = np.empty_like(sorted_values)
            unsorted[order] = sorted_values
            for side, rows in (("home", slice(0, n)), ("away", slice(n, 2 * n))):
                tail = f"_{side}_at_{side}" if venue_specific else f"_{side}"
                for s, stat in enumerate(FORM_STATS):
                    out[f"form_{stat}_{kind}{tail}"] = unsorted[rows, s]
    order = _by_key(team, days2, kick2)
    rest_sorted, played_sorted = _schedule(team[order], days2[order], season2[order], counted2[order])
    rest, played = np.empty(2 * n), np.empty(2 * n)
    rest[order], played[order] = rest_sorted, played_sorted
    league_order = _by_key(encoded.league, encoded.day, encoded.kickoff)
    stage = np.empty(n)
    stage[league_order] = _season_stage(
        encoded.league[league_order],
        encoded.day[league_order],
        encoded.season[league_order],
        encoded.counted[league_order],
    )
    out |= {
        "form_rest_days_home": rest[:n],
        "form_rest_days_away": rest[n:],
        "form_played_season_home": played[:n],
        "form_played_season_away": played[n:],
        "form_season_stage": stage,
    }
    return pd.DataFrame({name: out[name] for name in form_columns()}, index=matches.index)
