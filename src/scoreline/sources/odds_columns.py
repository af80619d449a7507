"""Which football-data.co.uk header columns are bookmaker prices, and what they mean.

A price column is ``<bookmaker code><C?><suffix>``: ``C`` marks closing prices (``B365CH``, ``PSCH``,
``AvgC>2.5``, ``MaxCAHH``), no ``C`` opening (pre-match) prices. Suffixes: ``H``/``D``/``A`` (1X2),
``>2.5``/``<2.5`` (over/under the goal line in the name), ``AHH``/``AHA`` (Asian handicap home/away).
Files re-saved by pandas renamed ``B365>2.5``/``B365<2.5`` to ``B365_2_5``/``B365_2_5_1``; both are read.

Asian handicap lines live in their own columns: ``AHh`` (opening line of the market, 2019/20 on), ``AHCh``
(closing line), ``BbAHh`` (Betbrain line, 2005/06-2018/19) and ``<code>AH`` (one bookmaker's own line, e.g.
``B365AH``, ``GBAH``, ``LBAH`` in 2003-2005 files).

Bookmaker codes (:data:`BOOKMAKERS`): the ones named in the brief plus the older and newer codes found in
football-data files. A code not listed is still read when its columns form a complete set (H, D and A for
1X2; any ``>x.y``/``<x.y`` or ``AHH``/``AHA`` column), named by the lower-cased code.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from scoreline import columns as c

BOOKMAKERS: Final[dict[str, str]] = {
    "B365": "bet365",
    "PS": "pinnacle",  # 1X2 columns PSH/PSCH
    "P": "pinnacle",  # over/under and Asian handicap columns P>2.5, PAHH, PCAHH
    "Avg": "market_avg",
    "BbAv": "market_avg",  # Betbrain average, 2005/06-2018/19
    "Max": "market_max",
    "BbMx": "market_max",  # Betbrain maximum, 2005/06-2018/19
    "BW": "bwin",
    "IW": "interwetten",
    "WH": "william_hill",
    "VC": "bet_victor",
    "BV": "bet_victor",  # BetVictor's code from 2025/26
    "1XB": "1xbet",
    "BF": "betfair",
    "BFE": "betfair_exchange",
    "BFD": "betfred",  # 2025/26; "BFD" alone is Betfair's draw price
    "BMGM": "betmgm",
    "CL": "coral",
    "LB": "ladbrokes",
    "GB": "gamebookers",
    "SB": "sportingbet",
    "SJ": "stan_james",
    "SO": "sporting_odds",
    "SY": "stanleybet",
    "BS": "blue_square",
}
PINNACLE_SHORT_CODE: Final = "P"  # only for over/under and Asian handicap columns

OPENING_LINE_COLUMN: Final = "AHh"
CLOSING_LINE_COLUMN: Final = "AHCh"
BETBRAIN_LINE_COLUMN: Final = "BbAHh"
BETBRAIN_CODES: Final = ("BbAv", "BbMx")
# numbers of bookmakers Betbrain averaged over: not prices
BOOKMAKER_COUNT_COLUMNS: Final = frozenset({"Bb1X2", "BbOU", "BbAH"})
MAX_GOAL_LINE: Final = 15.0  # over/under columns name their line (>2.5); a larger one is not a price column

_SUFFIX = re.compile(
    r"(?P<closing>C?)(?:(?P<side>[HDA])|(?P<ou>[<>])(?P<goals>\d+(?:\.\d+)?)|AH(?P<ah>[HA]))"
)
_GENERIC = re.compile(r"(?P<code>[A-Za-z0-9]+?)" + _SUFFIX.pattern)
_PANDAS_OU = re.compile(r"(?P<code>.+?)_(?P<whole>\d+)_(?P<frac>\d+)(?P<under>_1)?")
_SIDES: Final = {"H": "home", "D": "draw", "A": "away"}


@dataclass(frozen=True)
class OddsColumn:
    """One price column: what it quotes, and (Asian handicap) which column holds its line."""

    column: str
    bookmaker: str
    market: str
    timing: str
    outcome: str
    line: float | None = None  # fixed goal line (over/under)
    line_column: str | None = None  # column holding the handicap line (Asian handicap)


def is_goal_line(goals: float) -> bool:
    """An over/under line a bookmaker could quote: a quarter goal from 0.25 to :data:`MAX_GOAL_LINE`."""
    return 0 < goals <= MAX_GOAL_LINE and (goals / 0.25).is_integer()


def normalise_column_name(name: str) -> str:
    """A header name as upstream spells it: stripped, pandas' ``X_2_5``/``X_2_5_1`` as ``X>2.5``/``X<2.5``."""
    name = name.strip()
    match = _PANDAS_OU.fullmatch(name)
    if match:
        sign = "<" if match["under"] else ">"
        return f"{match['code']}{sign}{match['whole']}.{match['frac']}"
    return name


def _line_column_for(code: str, closing: bool, header: set[str]) -> str | None:
    """The column holding the handicap line for Asian handicap prices of ``code``."""
    if closing:
        return CLOSING_LINE_COLUMN if CLOSING_LINE_COLUMN in header else None
    own = f"{code}AH"
    if own in header:
        return own
    preferred = (BETBRAIN_LINE_COLUMN, OPENING_LINE_COLUMN) if code in BETBRAIN_CODES else (
        OPENING_LINE_COLUMN, BETBRAIN_LINE_COLUMN)  # fmt: skip
    return next((name for name in preferred if name in header), None)


def _spec(column: str, code: str, match: re.Match[str], header: set[str]) -> OddsColumn | None:
    closing = bool(match["closing"])
    timing = c.CLOSING if closing else c.OPENING
    bookmaker = BOOKMAKERS.get(code, code.lower())
    if match["side"]:
        if code == PINNACLE_SHORT_CODE:
            return None
        return OddsColumn(column, bookmaker, c.MARKET_1X2, timing, _SIDES[match["side"]])
    if match["ou"]:
        goals = float(match["goals"])
        if not is_goal_line(goals):
            return None
        outcome = "over" if match["ou"] == ">" else "under"
        return OddsColumn(column, bookmaker, c.MARKET_OVER_UNDER, timing, outcome, line=goals)
    line_column = _line_column_for(code, closing, header)
    if line_column is None:
        return None
    outcome = _SIDES[match["ah"]]
    return OddsColumn(column, bookmaker, c.MARKET_ASIAN_HANDICAP, timing, outcome, line_column=line_column)


def _known_code_spec(column: str, header: set[str]) -> OddsColumn | None:
    for code in sorted(BOOKMAKERS, key=len, reverse=True):
        if column.startswith(code):
            match = _SUFFIX.fullmatch(column[len(code) :])
            if match:
                return _spec(column, code, match, header)
    return None


def _generic_spec(column: str, header: set[str]) -> OddsColumn | None:
    match = _GENERIC.fullmatch(column)
    if not match:
        return None
    if match["side"]:  # an unknown code counts as 1X2 only with all three sides present
        stem = column[:-1]
        if not all(f"{stem}{side}" in header for side in _SIDES):
            return None
    return _spec(column, match["code"], match, header)


def line_columns(header: Sequence[str]) -> set[str]:
    """Header columns that hold Asian handicap lines."""
    fixed = {OPENING_LINE_COLUMN, CLOSING_LINE_COLUMN, BETBRAIN_LINE_COLUMN}
    own = {f"{code}AH" for code in BOOKMAKERS}
    return {name for name in header if name in fixed or name in own}


def classify_odds_columns(header: Sequence[str], non_odds: set[str]) -> tuple[list[OddsColumn], list[str]]:
    """Price columns of ``header`` and the names recognised as neither prices, lines nor ``non_odds``."""
    names = set(header)
    lines = line_columns(header)
    specs: list[OddsColumn] = []
    unknown: list[str] = []
    for column in header:
        if column in non_odds or column in lines or column in BOOKMAKER_COUNT_COLUMNS:
            continue
        if not column or column.startswith("Unnamed"):
            continue  # empty trailing columns and pandas' names for them
        spec = _known_code_spec(column, names) or _generic_spec(column, names)
        if spec is None:
            unknown.append(column)
        else:
            specs.append(spec)
    return specs, unknown
