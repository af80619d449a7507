"""Leagues simulated from known team strengths, for tests, demos and parameter recovery.

Goals follow a Dixon-Coles model (log-linear Poisson rates with a low-score correction ``rho``),
optionally with a bivariate-Poisson common component, so fitted models can be checked against the truth.
The result is a canonical match frame; :func:`write_football_data_csv` writes it in football-data.co.uk's
CSV layout with the quirks real files have (BOM, CRLF, two-digit years, no ``Time`` column, trailing empty
columns, ``6.0`` floats, comma-only rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from scoreline import columns as c

TEAM_NAMES = (
    "Arsenal", "Aston Villa", "Bournemouth", "Brentford", "Brighton", "Chelsea", "Crystal Palace",
    "Everton", "Fulham", "Ipswich", "Leicester", "Liverpool", "Man City", "Man United", "Newcastle",
    "Nott'm Forest", "Southampton", "Tottenham", "West Ham", "Wolves", "Burnley", "Leeds",
    "Sheffield United", "Luton",
)  # fmt: skip
MAX_GOALS = 10
TRUE_PROBABILITY_COLUMNS = ("true_p_home", "true_p_draw", "true_p_away")


@dataclass(frozen=True)
class SimulatedLeague:
    """A simulated league: its matches and the parameters that generated them."""

    matches: pd.DataFrame
    attack: dict[str, float]
    defence: dict[str, float]
    home_advantage: float
    rho: float
    intercept: float
    covariance: float = 0.0
    teams: tuple[str, ...] = field(default_factory=tuple)


def dixon_coles_grid(
    home_rate: float, away_rate: float, rho: float, covariance: float = 0.0, max_goals: int = MAX_GOALS
) -> np.ndarray:
    """Joint probability of every score up to ``max_goals`` (rows home goals, columns away goals).

    With ``covariance`` > 0 the scores are bivariate Poisson (Karlis & Ntzoufras 2003) with marginal means
    ``home_rate`` and ``away_rate``; the Dixon-Coles correction applies to the four low scores.
    """
    from scipy.stats import poisson

    goals = np.arange(max_goals + 1)
    if covariance > 0:
        own_home, own_away = home_rate - covariance, away_rate - covariance
        common = poisson.pmf(goals, covariance)
        grid = np.zeros((max_goals + 1, max_goals + 1))
        for k, p_common in enumerate(common):
            home_part = np.zeros(max_goals + 1)
            away_part = np.zeros(max_goals + 1)
            home_part[k:] = poisson.pmf(goals[: max_goals + 1 - k], own_home)
            away_part[k:] = poisson.pmf(goals[: max_goals + 1 - k], own_away)
            grid += p_common * np.outer(home_part, away_part)
    else:
        grid = np.outer(poisson.pmf(goals, home_rate), poisson.pmf(goals, away_rate))
    grid[0, 0] *= 1 - home_rate * away_rate * rho
    grid[0, 1] *= 1 + home_rate * rho
    grid[1, 0] *= 1 + away_rate * rho
    grid[1, 1] *= 1 - rho
    return np.asarray(grid / grid.sum())


def _season_start(season: str) -> pd.Timestamp:
    return pd.Timestamp(year=2000 + int(season[:2]), month=8, day=10)


def _round_robin(n_teams: int) -> list[list[tuple[int, int]]]:
    """Double round robin by the circle method: a list of rounds of (home, away) index pairs."""
    teams = list(range(n_teams))
    rounds = []
    for r in range(n_teams - 1):
        pairs = [(teams[i], teams[n_teams - 1 - i]) for i in range(n_teams // 2)]
        rounds.append([(a, b) if (r + i) % 2 == 0 else (b, a) for i, (a, b) in enumerate(pairs)])
        teams = [teams[0], teams[-1], *teams[1:-1]]
    return rounds + [[(b, a) for a, b in pairs] for pairs in rounds]


def simulate_league(
    n_teams: int = 20,
    seasons: tuple[str, ...] = ("2324",),
    league: str = "E0",
    home_advantage: float = 0.25,
    rho: float = -0.1,
    intercept: float = 0.15,
    covariance: float = 0.0,
    strength_spread: float = 0.3,
    seed: int = 0,
) -> SimulatedLeague:
    """Simulate ``seasons`` of a double round-robin league with fixed team strengths.

    Rates: ``log(home_rate) = intercept + home_advantage + attack[home] + defence[away]`` and
    ``log(away_rate) = intercept + attack[away] + defence[home]``; attack and defence each sum to zero.
    Matches get kickoff dates a week apart per round (Saturday and Sunday), times, simple match statistics and
    the true outcome probabilities (``true_p_home``/``true_p_draw``/``true_p_away``).
    """
    if n_teams > len(TEAM_NAMES) or n_teams < 2 or n_teams % 2:
        raise ValueError(f"n_teams must be even and between 2 and {len(TEAM_NAMES)}, got {n_teams}")
    rng = np.random.default_rng(seed)
    teams = TEAM_NAMES[:n_teams]
    attack = rng.normal(0, strength_spread, n_teams)
    defence = rng.normal(0, strength_spread, n_teams)
    attack -= attack.mean()
    defence -= defence.mean()
    rows = []
    for season in seasons:
        start = _season_start(season)
        saturday = start + pd.Timedelta(days=(5 - start.weekday()) % 7)
        for round_no, pairs in enumerate(_round_robin(n_teams)):
            for slot, (h, a) in enumerate(pairs):
                day = saturday + pd.Timedelta(weeks=round_no, days=slot % 2)
                kickoff = day + pd.Timedelta(hours=12 + 3 * (slot % 3), minutes=30 * (slot % 2))
                home_rate = float(np.exp(intercept + home_advantage + attack[h] + defence[a]))
                away_rate = float(np.exp(intercept + attack[a] + defence[h]))
                grid = dixon_coles_grid(home_rate, away_rate, rho, covariance)
                flat = rng.choice(grid.size, p=grid.ravel())
                hg, ag = divmod(int(flat), MAX_GOALS + 1)
                hg_ht = int(rng.binomial(hg, 0.45))
                ag_ht = int(rng.binomial(ag, 0.45))
                p_home = float(np.tril(grid, -1).sum())
                p_draw = float(np.trace(grid))
                shots_h = int(rng.poisson(6 + 3 * home_rate))
                shots_a = int(rng.poisson(6 + 3 * away_rate))
                rows.append(
                    {
                        c.LEAGUE: league,
                        c.SEASON: season,
                        c.DATE: day.normalize(),
                        c.KICKOFF: kickoff,
                        c.HAS_TIME: True,
                        c.HOME: teams[h],
                        c.AWAY: teams[a],
                        c.HOME_GOALS: hg,
                        c.AWAY_GOALS: ag,
                        c.HOME_GOALS_HT: hg_ht,
                        c.AWAY_GOALS_HT: ag_ht,
                        c.RESULT: "H" if hg > ag else ("A" if ag > hg else "D"),
                        c.REFEREE: f"Ref {int(rng.integers(1, 15))}",
                        c.HOME_SHOTS: shots_h,
                        c.AWAY_SHOTS: shots_a,
                        c.HOME_SHOTS_ON_TARGET: int(rng.binomial(shots_h, 0.35)),
                        c.AWAY_SHOTS_ON_TARGET: int(rng.binomial(shots_a, 0.35)),
                        c.HOME_FOULS: int(rng.poisson(11)),
                        c.AWAY_FOULS: int(rng.poisson(11)),
                        c.HOME_CORNERS: int(rng.poisson(5.5)),
                        c.AWAY_CORNERS: int(rng.poisson(4.5)),
                        c.HOME_YELLOW: int(rng.poisson(1.7)),
                        c.AWAY_YELLOW: int(rng.poisson(1.9)),
                        c.HOME_RED: int(rng.binomial(1, 0.05)),
                        c.AWAY_RED: int(rng.binomial(1, 0.06)),
                        "true_p_home": p_home,
                        "true_p_draw": p_draw,
                        "true_p_away": 1.0 - p_home - p_draw,
                    }
                )
    matches = pd.DataFrame(rows).sort_values([c.KICKOFF, c.HOME], kind="stable").reset_index(drop=True)
    return SimulatedLeague(
        matches=matches,
        attack=dict(zip(teams, attack.tolist(), strict=True)),
        defence=dict(zip(teams, defence.tolist(), strict=True)),
        home_advantage=home_advantage,
        rho=rho,
        intercept=intercept,
        covariance=covariance,
        teams=teams,
    )


def _odds_from_probabilities(
    probabilities: np.ndarray, margin: float, noise: float, rng: np.random.Generator
) -> np.ndarray:
    """Decimal odds for ``probabilities`` (rows sum to 1) with a bookmaker ``margin`` and log-noise."""
    noisy = probabilities * np.exp(rng.normal(0, noise, probabilities.shape))
    noisy /= noisy.sum(axis=1, keepdims=True)
    return np.asarray(np.maximum(np.round(1 / (noisy * (1 + margin)), 2), 1.01))


def football_data_frame(matches: pd.DataFrame, seed: int = 0, with_time: bool = True) -> pd.DataFrame:
    """The simulated ``matches`` as a football-data.co.uk table (its column names, strings as in the files).

    Odds are derived from the true probabilities: Bet365 and Pinnacle opening (noisier) and closing (sharper),
    market average and maximum, over/under 2.5 and an Asian handicap line.
    """
    rng = np.random.default_rng(seed)
    truth = matches[list(TRUE_PROBABILITY_COLUMNS)].to_numpy()
    out = pd.DataFrame(
        {
            "Div": matches[c.LEAGUE],
            "Date": matches[c.DATE],
            "HomeTeam": matches[c.HOME],
            "AwayTeam": matches[c.AWAY],
            "FTHG": matches[c.HOME_GOALS],
            "FTAG": matches[c.AWAY_GOALS],
            "FTR": matches[c.RESULT],
            "HTHG": matches[c.HOME_GOALS_HT],
            "HTAG": matches[c.AWAY_GOALS_HT],
            "HTR": np.where(
                matches[c.HOME_GOALS_HT] > matches[c.AWAY_GOALS_HT],
                "H",
                np.where(matches[c.HOME_GOALS_HT] < matches[c.AWAY_GOALS_HT], "A", "D"),
            ),
            "Referee": matches[c.REFEREE],
        }
    )
    if with_time:
        out.insert(2, "Time", matches[c.KICKOFF].dt.strftime("%H:%M"))
    stats = {
        "HS": c.HOME_SHOTS, "AS": c.AWAY_SHOTS, "HST": c.HOME_SHOTS_ON_TARGET,
        "AST": c.AWAY_SHOTS_ON_TARGET, "HF": c.HOME_FOULS, "AF": c.AWAY_FOULS, "HC": c.HOME_CORNERS,
        "AC": c.AWAY_CORNERS, "HY": c.HOME_YELLOW, "AY": c.AWAY_YELLOW, "HR": c.HOME_RED, "AR": c.AWAY_RED,
    }  # fmt: skip
    for name, column in stats.items():
        out[name] = matches[column]
    for prefix, margin, noise in (("B365", 0.05, 0.08), ("PS", 0.025, 0.08), ("Avg", 0.055, 0.07)):
        odds = _odds_from_probabilities(truth, margin, noise, rng)
        for i, side in enumerate("HDA"):
            out[f"{prefix}{side}"] = odds[:, i]
    for prefix, margin, noise in (("B365C", 0.05, 0.03), ("PSC", 0.025, 0.03), ("AvgC", 0.055, 0.03)):
        odds = _odds_from_probabilities(truth, margin, noise, rng)
        for i, side in enumerate("HDA"):
            out[f"{prefix}{side}"] = odds[:, i]
    over = np.clip(0.5 + 0.2 * (truth[:, 0] - truth[:, 2]) ** 2 + rng.normal(0, 0.03, len(out)), 0.2, 0.8)
    ou = _odds_from_probabilities(np.column_stack([over, 1 - over]), 0.05, 0.02, rng)
    out["B365>2.5"], out["B365<2.5"] = ou[:, 0], ou[:, 1]
    out["AHh"] = np.round(-2 * (truth[:, 0] - truth[:, 2])) / 2
    ah = _odds_from_probabilities(np.full((len(out), 2), 0.5), 0.04, 0.03, rng)
    out["B365AHH"], out["B365AHA"] = ah[:, 0], ah[:, 1]
    return out


def write_football_data_csv(
    matches: pd.DataFrame,
    path: Path,
    *,
    two_digit_year: bool = False,
    with_time: bool = True,
    bom: bool = False,
    crlf: bool = False,
    trailing_empty_column: bool = False,
    floats_as_decimal: bool = False,
    comma_only_rows: int = 0,
    seed: int = 0,
) -> Path:
    """Write ``matches`` to ``path`` in football-data.co.uk's CSV layout, with the chosen quirks.

    ``floats_as_decimal`` writes integers as ``6.0`` (files re-saved by pandas); ``comma_only_rows`` appends
    that many rows of bare commas; ``trailing_empty_column`` ends the header with an empty column name.
    """
    table = football_data_frame(matches, seed=seed, with_time=with_time)
    table["Date"] = table["Date"].dt.strftime("%d/%m/%y" if two_digit_year else "%d/%m/%Y")
    if floats_as_decimal:
        for name in ("FTHG", "FTAG", "HTHG", "HTAG", "HS", "AS", "HST", "AST", "HF", "AF", "HC", "AC"):
            table[name] = table[name].astype(float)
    if trailing_empty_column:
        table[""] = ""
    newline = "\r\n" if crlf else "\n"
    text = table.to_csv(index=False, lineterminator=newline)
    text += ("," * (len(table.columns) - 1) + newline) * comma_only_rows
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def write_simulated_mirror(
    root: Path, seasons: Sequence[str], *, league: str = "E0", n_teams: int = 10, seed: int = 0
) -> Path:
    """A folder laid out as football-data's mirror (``root/<league>/<season>.csv``): one simulated league."""
    matches = simulate_league(n_teams=n_teams, seasons=tuple(seasons), league=league, seed=seed).matches
    for season in seasons:
        write_football_data_csv(matches[matches[c.SEASON] == season], root / league / f"{season}.csv", seed=1)
    return root
