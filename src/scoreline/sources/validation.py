"""pandera schemas of the canonical frames the sources produce: the contract the store relies on.

The parser's row checks (football_data_parser) decide which source rows become matches; these schemas state
what every match, price and quarantine frame satisfies afterwards, whatever the source. The store validates
before writing (:func:`validate_matches` etc. raise ``pandera.errors.SchemaErrors`` listing every failure).
"""

from __future__ import annotations

from typing import Final

import pandas as pd
import pandera.pandas as pa

from scoreline import columns as c

_COUNT = pa.Column("Int64", pa.Check.ge(0), nullable=True)
# object, not str: pandera would check the type of every element in Python (30 s for the whole mirror's odds)
_TEXT = pa.Column(object, pa.Check.ne(""))
_LABEL = pa.Column(object)


def _result_matches_goals(frame: pd.DataFrame) -> pd.Series:
    home, away = frame[c.HOME_GOALS], frame[c.AWAY_GOALS]
    expected = pd.Series("D", index=frame.index).mask(home > away, "H").mask(home < away, "A")
    known = home.notna() & away.notna()
    result = frame[c.RESULT]
    return (known & (result == expected)).fillna(False) | (~known & result.isna())


MATCH_SCHEMA: Final = pa.DataFrameSchema(
    {
        c.LEAGUE: _TEXT,
        c.SEASON: _TEXT,
        c.DATE: pa.Column(
            "datetime64[ns]", pa.Check(lambda s: (s == s.dt.normalize()).all(), error="midnight")
        ),
        c.KICKOFF: pa.Column("datetime64[ns]"),
        c.HAS_TIME: pa.Column(bool),
        c.HOME: _TEXT,
        c.AWAY: _TEXT,
        c.HOME_GOALS: _COUNT,
        c.AWAY_GOALS: _COUNT,
        c.HOME_GOALS_HT: _COUNT,
        c.AWAY_GOALS_HT: _COUNT,
        c.RESULT: pa.Column(object, pa.Check.isin(["H", "D", "A"]), nullable=True),
        c.REFEREE: pa.Column(object, nullable=True),
        **{name: _COUNT for name in c.STAT_COLUMNS},
        c.SOURCE_FILE: _TEXT,
        c.SOURCE_LINE: pa.Column("int64", pa.Check.ge(2)),
    },
    checks=[
        pa.Check(lambda f: f[c.HOME] != f[c.AWAY], error="home and away differ"),
        pa.Check(lambda f: f[c.KICKOFF].dt.normalize() == f[c.DATE], error="kickoff is on the match date"),
        pa.Check(_result_matches_goals, error="result agrees with the goals (both missing without a result)"),
    ],
    unique=list(c.MATCH_KEY),
    strict=True,
    ordered=True,
    name="matches",
)

ODDS_SCHEMA: Final = pa.DataFrameSchema(
    {
        c.LEAGUE: _TEXT,
        c.DATE: pa.Column("datetime64[ns]"),
        c.HOME: _TEXT,
        c.AWAY: _TEXT,
        c.BOOKMAKER: _TEXT,
        c.MARKET: pa.Column(object, pa.Check.isin(list(c.MARKETS))),
        c.LINE: pa.Column(float, nullable=True),
        c.TIMING: pa.Column(object, pa.Check.isin([c.OPENING, c.CLOSING])),
        c.OUTCOME: pa.Column(object, pa.Check.isin(["home", "draw", "away", "over", "under"])),
        c.PRICE: pa.Column(float, pa.Check.gt(1)),
    },
    checks=[
        pa.Check(
            lambda f: (f[c.MARKET] == c.MARKET_1X2) | f[c.LINE].notna(), error="line given except for 1x2"
        ),
    ],
    unique=[c.LEAGUE, c.DATE, c.HOME, c.AWAY, c.BOOKMAKER, c.MARKET, c.LINE, c.TIMING, c.OUTCOME],
    strict=True,
    ordered=True,
    name="odds",
)

QUARANTINE_SCHEMA: Final = pa.DataFrameSchema(
    {
        c.SOURCE_FILE: _TEXT,
        c.SOURCE_LINE: pa.Column("int64", pa.Check.ge(0)),
        c.LEAGUE: _LABEL,
        c.SEASON: _LABEL,
        c.FIELD: _TEXT,
        c.REASON: _TEXT,
        c.RAW: _LABEL,
    },
    unique=[c.SOURCE_FILE, c.SOURCE_LINE, c.FIELD],
    strict=True,
    ordered=True,
    name="quarantine",
)


def validate_matches(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` if it is a valid match frame; raises ``SchemaErrors`` listing every failure otherwise."""
    return MATCH_SCHEMA.validate(frame, lazy=True)


def validate_odds(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` if it is a valid long-format odds frame; raises ``SchemaErrors`` otherwise."""
    return ODDS_SCHEMA.validate(frame, lazy=True)


def validate_quarantine(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` if it is a valid quarantine frame; raises ``SchemaErrors`` otherwise."""
    return QUARANTINE_SCHEMA.validate(frame, lazy=True)
