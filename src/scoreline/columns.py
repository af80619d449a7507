"""Canonical column names, spelled once for the whole project.

A *match frame* (`MatchFrame`) holds one row per fixture with the columns below; an *odds frame* holds one
row per quoted price in long format. Every module refers to columns through these constants.
"""

from __future__ import annotations

from typing import Final

# --- match key -------------------------------------------------------------------------------
LEAGUE: Final = "league"  # football-data division code, e.g. "E0"
SEASON: Final = "season"  # football-data season code, e.g. "2425" for 2024/25
DATE: Final = "date"  # kickoff date (datetime64[ns], midnight); the natural key uses it
KICKOFF: Final = "kickoff"  # kickoff date plus time where known (else midnight)
HAS_TIME: Final = "has_time"  # True when the kickoff time is known
HOME: Final = "home"
AWAY: Final = "away"
MATCH_KEY: Final = (LEAGUE, DATE, HOME, AWAY)

# --- result ----------------------------------------------------------------------------------
HOME_GOALS: Final = "home_goals"
AWAY_GOALS: Final = "away_goals"
HOME_GOALS_HT: Final = "home_goals_ht"
AWAY_GOALS_HT: Final = "away_goals_ht"
RESULT: Final = "result"  # "H", "D", "A"; missing for fixtures without a result

# --- match statistics (nullable) ---------------------------------------------------------------
REFEREE: Final = "referee"
HOME_SHOTS: Final = "home_shots"
AWAY_SHOTS: Final = "away_shots"
HOME_SHOTS_ON_TARGET: Final = "home_shots_on_target"
AWAY_SHOTS_ON_TARGET: Final = "away_shots_on_target"
HOME_FOULS: Final = "home_fouls"
AWAY_FOULS: Final = "away_fouls"
HOME_CORNERS: Final = "home_corners"
AWAY_CORNERS: Final = "away_corners"
HOME_YELLOW: Final = "home_yellow"
AWAY_YELLOW: Final = "away_yellow"
HOME_RED: Final = "home_red"
AWAY_RED: Final = "away_red"
STAT_COLUMNS: Final = (
    HOME_SHOTS,
    AWAY_SHOTS,
    HOME_SHOTS_ON_TARGET,
    AWAY_SHOTS_ON_TARGET,
    HOME_FOULS,
    AWAY_FOULS,
    HOME_CORNERS,
    AWAY_CORNERS,
    HOME_YELLOW,
    AWAY_YELLOW,
    HOME_RED,
    AWAY_RED,
)

# --- provenance ------------------------------------------------------------------------------
SOURCE_FILE: Final = "source_file"
SOURCE_LINE: Final = "source_line"  # 1-based physical line number in the source file (header = 1)

MATCH_COLUMNS: Final = (
    LEAGUE,
    SEASON,
    DATE,
    KICKOFF,
    HAS_TIME,
    HOME,
    AWAY,
    HOME_GOALS,
    AWAY_GOALS,
    HOME_GOALS_HT,
    AWAY_GOALS_HT,
    RESULT,
    REFEREE,
    *STAT_COLUMNS,
    SOURCE_FILE,
    SOURCE_LINE,
)

# --- odds (long format) ----------------------------------------------------------------------
BOOKMAKER: Final = "bookmaker"  # e.g. "pinnacle", "bet365", "market_avg", "market_max"
MARKET: Final = "market"  # one of MARKETS
LINE: Final = "line"  # goal line for over/under, handicap for Asian handicap; NaN for 1X2
TIMING: Final = "timing"  # "opening" or "closing"
OUTCOME: Final = "outcome"  # "home", "draw", "away", "over", "under"
PRICE: Final = "price"  # decimal odds, > 1
MARKET_1X2: Final = "1x2"
MARKET_OVER_UNDER: Final = "over_under"
MARKET_ASIAN_HANDICAP: Final = "asian_handicap"
MARKETS: Final = (MARKET_1X2, MARKET_OVER_UNDER, MARKET_ASIAN_HANDICAP)
OPENING: Final = "opening"
CLOSING: Final = "closing"
ODDS_COLUMNS: Final = (LEAGUE, DATE, HOME, AWAY, BOOKMAKER, MARKET, LINE, TIMING, OUTCOME, PRICE)

# --- quarantine ------------------------------------------------------------------------------
FIELD: Final = "field"
REASON: Final = "reason"
RAW: Final = "raw"  # the offending line's text, as read
QUARANTINE_COLUMNS: Final = (SOURCE_FILE, SOURCE_LINE, LEAGUE, SEASON, FIELD, REASON, RAW)

# --- predictions -----------------------------------------------------------------------------
OUTCOMES: Final = ("home", "draw", "away")  # column order of every predict_proba
P_HOME: Final = "p_home"
P_DRAW: Final = "p_draw"
P_AWAY: Final = "p_away"
PROBABILITY_COLUMNS: Final = (P_HOME, P_DRAW, P_AWAY)
RESULT_TO_INDEX: Final = {"H": 0, "D": 1, "A": 2}
