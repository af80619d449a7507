"""football-data.co.uk season codes: ``YYyy`` of the start and end year, e.g. ``"2324"`` for 2023/24."""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from typing import Final

import numpy as np
import pandas as pd

_SEASON = re.compile(r"\d{4}")
CENTURY_PIVOT: Final = 70  # two-digit years from 70 are 19xx, below 20xx
SEASON_START_MONTH: Final = 7  # a match in July or later belongs to the season starting that year


def is_season_code(code: str) -> bool:
    """True for codes like ``"2324"`` (two consecutive two-digit years)."""
    return bool(_SEASON.fullmatch(code)) and (int(code[:2]) + 1) % 100 == int(code[2:])


def season_start_year(code: str) -> int:
    """The calendar year a season starts in (``"2324"`` -> 2023, ``"9900"`` -> 1999)."""
    if not is_season_code(code):
        raise ValueError(f"not a season code (expected e.g. '2324'): {code!r}")
    short = int(code[:2])
    return short + (1900 if short >= CENTURY_PIVOT else 2000)


def season_code(start_year: int) -> str:
    """The code of the season starting in ``start_year`` (2023 -> ``"2324"``)."""
    return f"{start_year % 100:02d}{(start_year + 1) % 100:02d}"


def season_of_date(day: date) -> str:
    """The code of the season ``day`` falls in: seasons start in July (2024-08-17 -> ``"2425"``)."""
    return season_code(day.year - (day.month < SEASON_START_MONTH))


_cached_season_code = cache(season_code)


def seasons_of_dates(days: pd.DatetimeIndex | np.ndarray) -> np.ndarray:
    """:func:`season_of_date` of every day, as an object array of codes; vectorised in numpy (pandas'
    ``.year``/``.month`` cost more than the rest of a 50-fixture request's frame). Timezone-aware days count
    by their local wall time, as a kickoff's date does; a missing day (NaT) is an error."""
    if isinstance(days, pd.DatetimeIndex) and days.tz is not None:
        days = days.tz_localize(None)
    months = np.asarray(days, dtype="datetime64[M]")
    if np.isnat(months).any():
        raise ValueError("cannot tell the season of a missing date (NaT)")
    count = months.astype(np.int64)  # months since 1970-01
    start = count // 12 + 1970 - (count % 12 + 1 < SEASON_START_MONTH)
    return np.array([_cached_season_code(year) for year in start.tolist()], dtype=object)


def parse_season_range(spec: str) -> list[str]:
    """Season codes from ``"2324"``, ``"1516,1617"`` or ``"1516-2425"`` (inclusive), or a mix of them."""
    seasons: list[str] = []
    for part in (piece.strip() for piece in spec.split(",")):
        if not part:
            continue
        if "-" in part:
            first, last = (piece.strip() for piece in part.split("-", 1))
            start, end = season_start_year(first), season_start_year(last)
            if end < start:
                raise ValueError(f"season range runs backwards: {part!r}")
            seasons += [season_code(year) for year in range(start, end + 1)]
        else:
            season_start_year(part)
            seasons.append(part)
    if not seasons:
        raise ValueError(f"no seasons in {spec!r}")
    return list(dict.fromkeys(seasons))
