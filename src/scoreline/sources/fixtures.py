"""Parse football-data.co.uk's ``fixtures.csv``: the coming round(s) of every main league in one file.

The file has the season files' columns (``Div``, ``Date``, ``Time``, ``HomeTeam``, ``AwayTeam``, results
blank, pre-match odds such as ``B365H``/``PSH``/``AvgH``) and rows of many divisions, and is replaced on the
site every week. Only this file is supported: ``new_league_fixtures.csv`` (extra leagues) differs.

Each row goes through the season-file parser (:func:`parse_football_data`), so fixtures get the same checks,
team-name normalisation, long-format odds and quarantine reasons as season files: the lines of each
(division, season) are parsed together with every other line blanked out, which keeps the physical line
numbers of the whole file in the quarantine. The season of a row is derived from its date
(:func:`scoreline.sources.seasons.season_of_date`). Rows without a division code are quarantined here.
Never raises on bad content.
"""

from __future__ import annotations

import csv
import logging
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

import pandas as pd

from scoreline import columns as c
from scoreline.sources.football_data_parser import (
    FILE_FIELD,
    HEADER_FIELD,
    LINE_FIELD,
    MAX_RAW_CHARS,
    REQUIRED_COLUMNS,
    empty_matches,
    empty_odds,
    empty_quarantine,
    parse_football_data,
)
from scoreline.sources.odds_columns import normalise_column_name
from scoreline.sources.seasons import season_of_date

logger = logging.getLogger(__name__)

FIXTURES_FILE: Final = "fixtures.csv"
DIV_FIELD: Final = "Div"
FIXTURE_COLUMNS: Final = (
    c.LEAGUE, c.SEASON, c.DATE, c.KICKOFF, c.HAS_TIME, c.HOME, c.AWAY, c.SOURCE_FILE, c.SOURCE_LINE,
)  # fmt: skip
_LEAGUE_CODE = re.compile(r"[A-Z]{1,3}\d?")
_DATE_FORMATS: Final = (
    (re.compile(r"\d{1,2}/\d{1,2}/\d{2}"), "%d/%m/%y"),
    (re.compile(r"\d{1,2}/\d{1,2}/\d{4}"), "%d/%m/%Y"),
    (re.compile(r"\d{4}-\d{1,2}-\d{1,2}"), "%Y-%m-%d"),
)


@dataclass(frozen=True)
class ParsedFixtures:
    """The content of one ``fixtures.csv``: scheduled fixtures, their long-format odds, quarantined rows.

    ``leagues`` are the division codes the file lists (also those whose every row was rejected): a stored
    copy of the file replaces the scheduled fixtures of exactly these leagues.
    """

    source_file: str
    rows_read: int
    leagues: tuple[str, ...]
    fixtures: pd.DataFrame  # FIXTURE_COLUMNS, sorted by kickoff, league, home
    odds: pd.DataFrame  # columns.ODDS_COLUMNS
    quarantine: pd.DataFrame  # columns.QUARANTINE_COLUMNS


def empty_fixtures() -> pd.DataFrame:
    """A fixture frame with no rows and the canonical dtypes."""
    return empty_matches().loc[:, list(FIXTURE_COLUMNS)]


def _lines(content: bytes) -> tuple[list[bytes], bytes]:
    """Physical lines (BOM removed) and the separator, split exactly as the season-file parser splits them."""
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    separator = b"\n" if b"\n" in content or b"\r" not in content else b"\r"
    return content.split(separator), separator


def _fields(line: bytes) -> list[str]:
    text = line.decode("utf-8", errors="replace").removesuffix("\r")
    return [field.strip() for field in next(csv.reader([text]), [])]


def _date(text: str) -> date | None:
    for pattern, fmt in _DATE_FORMATS:
        if pattern.fullmatch(text):
            try:
                return datetime.strptime(text, fmt).date()
            except ValueError:
                return None
    return None


def _problem(source_file: str, line: int, field: str, reason: str, raw: str, league: str | None = None
             ) -> dict[str, object]:  # fmt: skip
    return {
        c.SOURCE_FILE: source_file, c.SOURCE_LINE: line, c.LEAGUE: league, c.SEASON: None, c.FIELD: field,
        c.REASON: reason, c.RAW: raw[:MAX_RAW_CHARS],
    }  # fmt: skip


def _quarantine(rows: list[dict[str, object]]) -> pd.DataFrame:
    if not rows:
        return empty_quarantine()
    return pd.DataFrame(rows, columns=list(c.QUARANTINE_COLUMNS)).astype({c.SOURCE_LINE: "int64"})


def parse_fixtures(
    content: bytes, source_file: str = FIXTURES_FILE, today: date | None = None
) -> ParsedFixtures:
    """Parse the bytes of a ``fixtures.csv`` into fixtures, odds and quarantine rows (never raises).

    ``today`` (default: today) gives the season of rows whose date is unreadable when no other row of their
    league has a readable one; such rows are rejected for their date anyway.
    """
    lines, separator = _lines(content)
    first = next((i for i, line in enumerate(lines) if line.strip(b" ,\t\r")), None)
    if first is None:
        problem = _problem(source_file, 0, FILE_FIELD, "empty file", "")
        return ParsedFixtures(source_file, 0, (), empty_fixtures(), empty_odds(), _quarantine([problem]))
    header = [normalise_column_name(name) for name in _fields(lines[first])]
    missing = [name for name in (DIV_FIELD, *REQUIRED_COLUMNS) if name not in header]
    if missing:
        reason = f"not a football-data fixtures.csv: header lacks {', '.join(missing)}"
        problem = _problem(
            source_file, first + 1, HEADER_FIELD, reason, lines[first].decode(errors="replace")
        )
        logger.warning("%s: %s", source_file, reason)
        return ParsedFixtures(source_file, 0, (), empty_fixtures(), empty_odds(), _quarantine([problem]))
    groups, problems = _group_lines(lines, first, header, source_file, today or date.today())
    parts = [
        parse_football_data(
            separator.join(line if i == first or i in members else b"" for i, line in enumerate(lines)),
            source_file,
            season,
            league,
            day_first_when_ambiguous=True,  # straight from football-data.co.uk, a week of fixtures
        )
        for (league, season), members in sorted(groups.items())
    ]
    fixtures = pd.concat([empty_fixtures(), *(p.matches.loc[:, list(FIXTURE_COLUMNS)] for p in parts)])
    odds = pd.concat([empty_odds(), *(p.odds for p in parts)], ignore_index=True)
    quarantine = pd.concat(
        [empty_quarantine(), _quarantine(problems), *(p.quarantine for p in parts)], ignore_index=True
    ).sort_values([c.SOURCE_LINE, c.FIELD], kind="stable")
    leagues = tuple(sorted({league for league, _ in groups}))
    fixtures = fixtures.sort_values([c.KICKOFF, c.LEAGUE, c.HOME], kind="stable").reset_index(drop=True)
    rows_read = len(problems) + sum(p.rows_read for p in parts)
    logger.debug("%s: %d rows, %d fixtures of %s, %d quarantine rows", source_file, rows_read,
                 len(fixtures), ",".join(leagues), len(quarantine))  # fmt: skip
    return ParsedFixtures(source_file, rows_read, leagues, fixtures, odds, quarantine.reset_index(drop=True))


def _group_lines(lines: list[bytes], first: int, header: list[str], source_file: str, today: date
                 ) -> tuple[dict[tuple[str, str], set[int]], list[dict[str, object]]]:  # fmt: skip
    """Data lines (0-based indexes) by (league, season), and quarantine rows of lines without a league."""
    div_at, date_at = header.index(DIV_FIELD), header.index("Date")
    by_league: dict[str, list[tuple[int, date | None]]] = {}
    problems = []
    for i in range(first + 1, len(lines)):
        line = lines[i]
        if not line.strip(b" ,\t\r"):
            continue
        raw = line.decode("utf-8", errors="replace").removesuffix("\r")
        if line.rstrip(b"\r") == lines[first].rstrip(b"\r"):
            problems.append(_problem(source_file, i + 1, LINE_FIELD, "repeated header line", raw))
            continue
        fields = _fields(line)
        div = fields[div_at] if len(fields) > div_at else ""
        if not _LEAGUE_CODE.fullmatch(div):
            reason = (
                f"{DIV_FIELD}: missing league code" if not div else f"{DIV_FIELD}: not a league code '{div}'"
            )
            problems.append(_problem(source_file, i + 1, DIV_FIELD, reason, raw))
            continue
        by_league.setdefault(div, []).append((i, _date(fields[date_at]) if len(fields) > date_at else None))
    groups: dict[tuple[str, str], set[int]] = {}
    for league, members in by_league.items():
        seasons = Counter(season_of_date(day) for _, day in members if day is not None)
        fallback = seasons.most_common(1)[0][0] if seasons else season_of_date(today)
        for i, day in members:
            groups.setdefault((league, season_of_date(day) if day else fallback), set()).add(i)
    return groups, problems
