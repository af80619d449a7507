"""Sequential team ratings (Elo, pi-ratings) in one numba kernel, batched by day, with season carry-over.

Every match gets its teams' PRE-match ratings; results update ratings only after the whole day (same-day
matches never see each other). When a team plays its first match of a new season its rating moves towards the
mean of its last league at the end of last season by ``season_regression``; a team new to the data (or back
after a season or more away) starts from the mean of its new league's bottom three at the end of last season,
else from the ``initial`` rating. Teams are one per country group, so promotion and relegation keep ratings.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from scoreline.features.timeline import Timeline

ELO = 0
PI = 1
_NO_SEASON = -(2**40)
_BOTTOM = 3


@njit(cache=True)
def _league_end_stats(
    L: int,
    s_prev: int,
    state_i: np.ndarray,
    rating: np.ndarray,
    prev_rating: np.ndarray,
    stats_season: np.ndarray,
    stats_ok: np.ndarray,
    stats_mean: np.ndarray,
    stats_bottom: np.ndarray,
) -> None:
    """Mean and bottom-three mean of league ``L``'s teams at the end of season ``s_prev`` (cached)."""
    if stats_season[L] == s_prev:
        return
    n_teams, k = rating.shape
    rows = np.empty((n_teams, k))
    m = 0
    for t in range(n_teams):
        if state_i[t, 0] == L and state_i[t, 1] == s_prev:
            rows[m] = rating[t]
            m += 1
        elif state_i[t, 2] == L and state_i[t, 3] == s_prev:
            rows[m] = prev_rating[t]
            m += 1
    stats_season[L] = s_prev
    stats_ok[L] = m > 0
    if m == 0:
        return
    rows = rows[:m]
    strength = rows.sum(axis=1)
    bottom = np.argsort(strength)[: min(_BOTTOM, m)]
    for j in range(k):
        stats_mean[L, j] = rows[:, j].mean()
        stats_bottom[L, j] = rows[bottom, j].mean()


@njit(cache=True)
def _enter(
    t: int,
    L: int,
    s: int,
    initial: float,
    regression: float,
    state_i: np.ndarray,
    rating: np.ndarray,
    prev_rating: np.ndarray,
    stats_season: np.ndarray,
    stats_ok: np.ndarray,
    stats_mean: np.ndarray,
    stats_bottom: np.ndarray,
) -> None:
    """Bring team ``t`` into season ``s`` of league ``L``: regression to the mean or a prior rating."""
    last_league, last_season = state_i[t, 0], state_i[t, 1]
    if last_season >= s:
        state_i[t, 0] = L
        return
    if last_season != _NO_SEASON:
        prev_rating[t] = rating[t]
        state_i[t, 2] = last_league
        state_i[t, 3] = last_season
    if last_season != _NO_SEASON and last_season == s - 1:
        _league_end_stats(
            last_league, s - 1, state_i, rating, prev_rating, stats_season, stats_ok, stats_mean, stats_bottom
        )
        if stats_ok[last_league]:
            rating[t] = stats_mean[last_league] + (1.0 - regression) * (rating[t] - stats_mean[last_league])
    else:
        _league_end_stats(
            L, s - 1, state_i, rating, prev_rating, stats_season, stats_ok, stats_mean, stats_bottom
        )
        if stats_ok[L]:
            rating[t] = stats_bottom[L]
        else:
            rating[t] = initial
    state_i[t, 0] = L
    state_i[t, 1] = s


@njit(cache=True)
def _elo_update(
    i: int,
    pre_home: np.ndarray,
    pre_away: np.ndarray,
    hg: float,
    ag: float,
    home: int,
    away: int,
    delta: np.ndarray,
    p: np.ndarray,
) -> None:
    k0, home_advantage, exponent = p[0], p[1], p[2]
    expected = 1.0 / (1.0 + 10.0 ** ((pre_away[i, 0] - pre_home[i, 0] - home_advantage) / 400.0))
    score = 1.0 if hg > ag else (0.5 if hg == ag else 0.0)
    change = k0 * (1.0 + abs(hg - ag)) ** exponent * (score - expected)
    delta[home, 0] += change
    delta[away, 0] -= change


@njit(cache=True)
def _pi_update(
    i: int,
    pre_home: np.ndarray,
    pre_away: np.ndarray,
    hg: float,
    ag: float,
    home: int,
    away: int,
    delta: np.ndarray,
    p: np.ndarray,
) -> None:
    lam, gamma, base, scale = p[0], p[1], p[2], p[3]
    r_home = pre_home[i, 0]  # home team's home rating
    r_away = pre_away[i, 1]  # away team's away rating
    g_home = np.sign(r_home) * (base ** (abs(r_home) / scale) - 1.0)
    g_away = np.sign(r_away) * (base ** (abs(r_away) / scale) - 1.0)
    expected = g_home - g_away
    observed = hg - ag
    psi = scale * np.log(1.0 + abs(observed - expected)) / np.log(base)
    psi_home = psi if expected < observed else -psi
    psi_away = psi if expected > observed else -psi
    delta[home, 0] += psi_home * lam
    delta[home, 1] += psi_home * lam * gamma
    delta[away, 1] += psi_away * lam
    delta[away, 0] += psi_away * lam * gamma


@njit(cache=True)
def _rate(
    day_bounds: np.ndarray,
    home: np.ndarray,
    away: np.ndarray,
    league: np.ndarray,
    season: np.ndarray,
    hg: np.ndarray,
    ag: np.ndarray,
    counted: np.ndarray,
    n_teams: int,
    n_leagues: int,
    k: int,
    kind: int,
    initial: float,
    regression: float,
    p: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    n = home.shape[0]
    rating = np.full((n_teams, k), initial)
    prev_rating = np.full((n_teams, k), initial)
    state_i = np.full((n_teams, 4), _NO_SEASON, dtype=np.int64)  # last league, last season, prev league, prev
    stats_season = np.full(n_leagues, _NO_SEASON, dtype=np.int64)
    stats_ok = np.zeros(n_leagues, dtype=np.bool_)
    stats_mean = np.zeros((n_leagues, k))
    stats_bottom = np.zeros((n_leagues, k))
    delta = np.zeros((n_teams, k))
    pre_home = np.empty((n, k))
    pre_away = np.empty((n, k))
    for d in range(day_bounds.shape[0] - 1):
        start, end = day_bounds[d], day_bounds[d + 1]
        for i in range(start, end):
            for t in (home[i], away[i]):
                _enter(
                    t,
                    league[i],
                    season[i],
                    initial,
                    regression,
                    state_i,
                    rating,
                    prev_rating,
                    stats_season,
                    stats_ok,
                    stats_mean,
                    stats_bottom,
                )
        for i in range(start, end):
            pre_home[i] = rating[home[i]]
            pre_away[i] = rating[away[i]]
        for i in range(start, end):
            if counted[i]:
                if kind == ELO:
                    _elo_update(i, pre_home, pre_away, hg[i], ag[i], home[i], away[i], delta, p)
                else:
                    _pi_update(i, pre_home, pre_away, hg[i], ag[i], home[i], away[i], delta, p)
        for i in range(start, end):
            for t in (home[i], away[i]):
                rating[t] += delta[t]
                delta[t] = 0.0
    return pre_home, pre_away


def run_ratings(
    timeline: Timeline, kind: int, initial: float, regression: float, params: tuple[float, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Pre-match ratings of the home and away teams, in the timeline's processing order.

    For Elo the arrays have one column; for pi-ratings two (home rating, away rating).
    """
    if not 0.0 <= regression <= 1.0:
        raise ValueError(f"season_regression must lie in [0, 1], got {regression}")
    width = 1 if kind == ELO else 2
    pre_home, pre_away = _rate(
        timeline.day_bounds,
        timeline.home,
        timeline.away,
        timeline.league,
        timeline.season,
        timeline.home_goals,
        timeline.away_goals,
        timeline.counted,
        timeline.n_teams,
        max(timeline.n_leagues, 1),
        width,
        kind,
        float(initial),
        float(regression),
        np.asarray(params, dtype=np.float64),
    )
    return np.asarray(pre_home), np.asarray(pre_away)
