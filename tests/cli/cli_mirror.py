"""A small football-data mirror written from a simulated league, for the CLI tests."""

from __future__ import annotations

from pathlib import Path

from scoreline import columns as c
from scoreline.simulate import simulate_league, write_football_data_csv

LEAGUES = ("E0", "SP1")
SEASONS = ("2223", "2324")
MATCHES_PER_FILE = 56  # eight teams, double round robin


def write_mirror(root: Path) -> Path:
    """``<root>/<DIV>/<SEASON>.csv`` for two leagues and two seasons."""
    league = simulate_league(n_teams=8, seasons=SEASONS, seed=5, strength_spread=0.15)
    for code in LEAGUES:
        for season in SEASONS:
            matches = league.matches[league.matches[c.SEASON] == season].assign(**{c.LEAGUE: code})
            write_football_data_csv(matches, root / code / f"{season}.csv", bom=True)
    return root
