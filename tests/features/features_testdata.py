"""Small match frames for the feature tests."""

from __future__ import annotations

import pandas as pd

from scoreline import columns as c
from scoreline.simulate import simulate_league


def two_divisions(
    n_teams: int = 6, seasons: tuple[str, ...] = ("2223", "2324"), seed: int = 0
) -> pd.DataFrame:
    """E0 and E1 (distinct team names, one country group) plus D1 reusing E0's names (another group)."""
    top = simulate_league(n_teams, seasons, league="E0", seed=seed).matches
    second = simulate_league(n_teams, seasons, league="E1", seed=seed + 1).matches
    second = second.assign(**{c.HOME: second[c.HOME] + " B", c.AWAY: second[c.AWAY] + " B"})
    german = simulate_league(n_teams, seasons, league="D1", seed=seed + 2).matches
    frame = pd.concat([top, second, german], ignore_index=True)
    return frame.sort_values([c.KICKOFF, c.LEAGUE, c.HOME], kind="stable").reset_index(drop=True)
