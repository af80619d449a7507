"""Leagues whose teams play in planted styles, to check that clustering recovers them.

Each team has a style (multipliers on its shot volume, shots conceded, shot accuracy, conversion, corners,
fouls and cards) plus its own strength noise. Per match: shots are Poisson, shots on target binomial in
shots, goals binomial in shots on target, so goals are Poisson with rate shots x accuracy x conversion and
exact outcome probabilities follow. Two probability sets come with the matches: the true ones and a
"naive" market's, which ignores the styles' finishing (accuracy and conversion) multipliers, so clinical
styles beat the naive market's expected points by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoreline import columns as c
from scoreline.simulate import TEAM_NAMES, TRUE_PROBABILITY_COLUMNS, dixon_coles_grid

STYLE_FACTORS = ("shots", "shots_against", "accuracy", "conversion", "corners", "fouls", "cards")
# Planted styles: multipliers for STYLE_FACTORS.
DEFAULT_STYLES = (
    (1.30, 0.80, 1.00, 1.00, 1.35, 0.85, 0.85),  # dominant: many shots and corners, few fouls
    (0.80, 1.05, 1.00, 1.00, 0.85, 1.30, 1.45),  # physical: few shots, many fouls and cards
    (0.85, 1.00, 1.20, 1.35, 0.80, 1.00, 1.00),  # clinical: few but accurate, well-converted shots
    (1.10, 1.30, 0.90, 0.95, 1.05, 0.90, 0.90),  # open: shoots and concedes a lot
)
_BASE = {"shots": 12.0, "accuracy": 0.34, "conversion": 0.30, "corners": 5.0, "fouls": 11.5, "cards": 1.8}
_HOME_EDGE = 1.12


@dataclass(frozen=True)
class StyledLeagues:
    """Simulated matches (canonical columns plus ``true_p_*``, so
    :func:`scoreline.simulate.write_football_data_csv` can write them), each team-season's planted style,
    and true and naive outcome probabilities keyed by match."""

    matches: pd.DataFrame
    styles: pd.DataFrame  # league, season, team, style
    true_probabilities: pd.DataFrame  # match key + p_home, p_draw, p_away
    naive_probabilities: pd.DataFrame


def _round_robin(n_teams: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    pairs = [(h, a) for h in range(n_teams) for a in range(n_teams) if h != a]
    order = rng.permutation(len(pairs))
    return [pairs[i] for i in order]


def _outcome_probabilities(home_rate: float, away_rate: float) -> tuple[float, float, float]:
    grid = dixon_coles_grid(home_rate, away_rate, rho=0.0)
    p_home, p_draw = float(np.tril(grid, -1).sum()), float(np.trace(grid))
    return p_home, p_draw, 1.0 - p_home - p_draw


def simulate_styled_leagues(
    n_leagues: int = 2,
    n_teams: int = 16,
    seasons: tuple[str, ...] = ("2122", "2223", "2324"),
    styles: tuple[tuple[float, ...], ...] = DEFAULT_STYLES,
    strength_noise: float = 0.08,
    switch_probability: float = 0.0,
    seed: int = 0,
) -> StyledLeagues:
    """Double round robins in ``n_leagues`` leagues; teams get styles in turn (balanced), kept across seasons
    unless they switch (probability ``switch_probability`` per season, to a random other style)."""
    if n_teams > len(TEAM_NAMES):
        raise ValueError(f"at most {len(TEAM_NAMES)} teams per league, got {n_teams}")
    rng = np.random.default_rng(seed)
    factors = np.log(np.asarray(styles, dtype=float))
    rows, style_rows, true_p, naive_p = [], [], [], []
    for league_no in range(n_leagues):
        league = f"L{league_no + 1}"
        teams = [f"{name} {league}" for name in TEAM_NAMES[:n_teams]]
        style = np.arange(n_teams) % len(styles)
        noise = rng.normal(0, strength_noise, (n_teams, len(STYLE_FACTORS)))
        for season_no, season in enumerate(seasons):
            if season_no:
                switch = rng.random(n_teams) < switch_probability
                style = np.where(switch, (style + rng.integers(1, len(styles), n_teams)) % len(styles), style)
            mult = np.exp(factors[style] + noise)
            mult_naive = mult.copy()
            mult_naive[:, 2:4] = np.exp(noise[:, 2:4])  # the naive market ignores planted finishing skill
            style_rows += [
                {c.LEAGUE: league, c.SEASON: season, "team": t, "style": int(s)}
                for t, s in zip(teams, style, strict=True)
            ]
            start = pd.Timestamp(year=2000 + int(season[:2]), month=8, day=10)
            for i, (h, a) in enumerate(_round_robin(n_teams, rng)):
                day = start + pd.Timedelta(days=7 * (i // (n_teams // 2)) + i % 2)
                rates, naive_rates = [], []
                for own, other, edge in ((h, a, _HOME_EDGE), (a, h, 1.0)):
                    shots_rate = _BASE["shots"] * edge * mult[own, 0] * mult[other, 1]
                    finishing = _BASE["accuracy"] * mult[own, 2] * _BASE["conversion"] * mult[own, 3]
                    naive = _BASE["accuracy"] * mult_naive[own, 2] * _BASE["conversion"] * mult_naive[own, 3]
                    rates.append((shots_rate, finishing))
                    naive_rates.append(shots_rate * naive)
                stats = {}
                for side, own, (shots_rate, _) in (("home", h, rates[0]), ("away", a, rates[1])):
                    shots = int(rng.poisson(shots_rate))
                    sot = int(rng.binomial(shots, min(_BASE["accuracy"] * mult[own, 2], 0.95)))
                    stats[side] = {
                        "shots": shots,
                        "sot": sot,
                        "goals": int(rng.binomial(sot, min(_BASE["conversion"] * mult[own, 3], 0.95))),
                        "corners": int(rng.poisson(_BASE["corners"] * mult[own, 4])),
                        "fouls": int(rng.poisson(_BASE["fouls"] * mult[own, 5])),
                        "yellow": int(rng.poisson(_BASE["cards"] * mult[own, 6])),
                        "red": int(rng.binomial(1, 0.05)),
                    }
                hg, ag = stats["home"]["goals"], stats["away"]["goals"]
                key = {c.LEAGUE: league, c.DATE: day, c.HOME: teams[h], c.AWAY: teams[a]}
                true_rates = (rates[0][0] * rates[0][1], rates[1][0] * rates[1][1])
                p_true = _outcome_probabilities(*true_rates)
                rows.append(
                    {
                        **key,
                        c.SEASON: season,
                        c.KICKOFF: day + pd.Timedelta(hours=15),
                        c.HAS_TIME: True,
                        c.HOME_GOALS: hg,
                        c.AWAY_GOALS: ag,
                        c.HOME_GOALS_HT: int(rng.binomial(hg, 0.45)),
                        c.AWAY_GOALS_HT: int(rng.binomial(ag, 0.45)),
                        c.RESULT: "H" if hg > ag else ("A" if ag > hg else "D"),
                        c.REFEREE: f"Ref {int(rng.integers(1, 15))}",
                        c.HOME_SHOTS: stats["home"]["shots"],
                        c.AWAY_SHOTS: stats["away"]["shots"],
                        c.HOME_SHOTS_ON_TARGET: stats["home"]["sot"],
                        c.AWAY_SHOTS_ON_TARGET: stats["away"]["sot"],
                        c.HOME_FOULS: stats["home"]["fouls"],
                        c.AWAY_FOULS: stats["away"]["fouls"],
                        c.HOME_CORNERS: stats["home"]["corners"],
                        c.AWAY_CORNERS: stats["away"]["corners"],
                        c.HOME_YELLOW: stats["home"]["yellow"],
                        c.AWAY_YELLOW: stats["away"]["yellow"],
                        c.HOME_RED: stats["home"]["red"],
                        c.AWAY_RED: stats["away"]["red"],
                        **dict(zip(TRUE_PROBABILITY_COLUMNS, p_true, strict=True)),
                    }
                )
                true_p.append({**key, **dict(zip(c.PROBABILITY_COLUMNS, p_true, strict=True))})
                naive_p.append(
                    {
                        **key,
                        **dict(zip(c.PROBABILITY_COLUMNS, _outcome_probabilities(*naive_rates), strict=True)),
                    }
                )
    matches = (
        pd.DataFrame(rows).sort_values([c.KICKOFF, c.LEAGUE, c.HOME], kind="stable").reset_index(drop=True)
    )
    return StyledLeagues(
        matches=matches,
        styles=pd.DataFrame(style_rows),
        true_probabilities=pd.DataFrame(true_p),
        naive_probabilities=pd.DataFrame(naive_p),
    )
