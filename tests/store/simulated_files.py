"""Parsed files built directly from simulated leagues, so store tests control every row they write."""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoreline import columns as c
from scoreline.simulate import football_data_frame
from scoreline.sources.football_data_parser import ParsedFile

ONE_X_TWO = {"B365": "bet365", "PS": "pinnacle", "Avg": "market_avg"}


def long_odds(matches: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """The simulated football-data odds of ``matches`` in the store's long format."""
    wide = football_data_frame(matches, seed=seed)
    key = matches[list(c.MATCH_KEY)].reset_index(drop=True)
    parts = []

    def add(column: str, bookmaker: str, market: str, timing: str, outcome: str, line: object) -> None:
        part = key.copy()
        part[c.BOOKMAKER] = bookmaker
        part[c.MARKET] = market
        part[c.LINE] = line
        part[c.TIMING] = timing
        part[c.OUTCOME] = outcome
        part[c.PRICE] = wide[column].to_numpy(dtype=float)
        parts.append(part)

    for prefix, bookmaker in ONE_X_TWO.items():
        for side, outcome in zip("HDA", c.OUTCOMES, strict=True):
            add(f"{prefix}{side}", bookmaker, c.MARKET_1X2, c.OPENING, outcome, np.nan)
            add(f"{prefix}C{side}", bookmaker, c.MARKET_1X2, c.CLOSING, outcome, np.nan)
    add("B365>2.5", "bet365", c.MARKET_OVER_UNDER, c.OPENING, "over", 2.5)
    add("B365<2.5", "bet365", c.MARKET_OVER_UNDER, c.OPENING, "under", 2.5)
    add("B365AHH", "bet365", c.MARKET_ASIAN_HANDICAP, c.OPENING, "home", wide["AHh"].to_numpy(dtype=float))
    add("B365AHA", "bet365", c.MARKET_ASIAN_HANDICAP, c.OPENING, "away", wide["AHh"].to_numpy(dtype=float))
    odds = pd.concat(parts, ignore_index=True)
    odds[c.LINE] = odds[c.LINE].astype(float)
    return odds.loc[:, list(c.ODDS_COLUMNS)]


def parsed_file(
    league_matches: pd.DataFrame,
    season: str,
    league: str = "E0",
    source_file: str | None = None,
    quarantined_lines: int = 0,
    seed: int = 0,
) -> ParsedFile:
    """One season of a simulated league as a parsed file; ``quarantined_lines`` extra bad lines at its end."""
    source_file = source_file or f"{league}/{season}.csv"
    season_matches = league_matches[league_matches[c.SEASON] == season].reset_index(drop=True)
    season_matches[c.LEAGUE] = league
    season_matches[c.SOURCE_FILE] = source_file
    season_matches[c.SOURCE_LINE] = np.arange(2, len(season_matches) + 2)
    matches = season_matches.loc[:, list(c.MATCH_COLUMNS)].copy()
    for name in (c.HOME_GOALS, c.AWAY_GOALS, c.HOME_GOALS_HT, c.AWAY_GOALS_HT, *c.STAT_COLUMNS):
        matches[name] = matches[name].astype("Int64")
    lines = np.arange(len(matches) + 2, len(matches) + 2 + quarantined_lines)
    quarantine = pd.DataFrame(
        {
            c.SOURCE_FILE: source_file,
            c.SOURCE_LINE: lines,
            c.LEAGUE: league,
            c.SEASON: season,
            c.FIELD: "FTHG",
            c.REASON: "not a whole number: 'x'",
            c.RAW: [f"{league},01/01/2024,Team A,Team B,x,1" for _ in lines],
        },
        columns=list(c.QUARANTINE_COLUMNS),
    )
    return ParsedFile(
        source_file=source_file,
        league=league,
        season=season,
        rows_read=len(matches) + quarantined_lines,
        matches=matches,
        odds=long_odds(season_matches, seed=seed),
        quarantine=quarantine,
    )
