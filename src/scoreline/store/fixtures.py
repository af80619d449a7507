"""Scheduled fixtures in the store: one fixtures file replaces its leagues' scheduled set in one transaction.

Fixtures (football-data's ``fixtures.csv``, published ahead of each round) are kept apart from matches: a
match enters the ``matches`` table only from a season file, so the season file that later brings the result
stores it as an ordinary match (no cross-file duplicate), and the fixture stops being *upcoming* because
:meth:`scoreline.store.Store.read_fixtures` leaves out fixtures whose match has a result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import pandas as pd
import sqlalchemy as sa

from scoreline import columns as c
from scoreline.sources.fixtures import FIXTURE_COLUMNS
from scoreline.store import schema
from scoreline.store.bulk import insert_frame
from scoreline.store.prepare import as_datetime

SCHEDULE_COLUMNS = (c.LEAGUE, c.SEASON, c.DATE, c.KICKOFF, c.HAS_TIME, c.HOME, c.AWAY)


class ParsedFixturesLike(Protocol):
    """What the store needs of a parsed fixtures file (``scoreline.sources.fixtures.ParsedFixtures``)."""

    @property
    def source_file(self) -> str: ...
    @property
    def rows_read(self) -> int: ...
    @property
    def leagues(self) -> tuple[str, ...]: ...
    @property
    def fixtures(self) -> pd.DataFrame: ...
    @property
    def odds(self) -> pd.DataFrame: ...
    @property
    def quarantine(self) -> pd.DataFrame: ...


@dataclass(frozen=True)
class FixturesWriteResult:
    """What one :meth:`Store.write_fixtures` call did.

    ``skipped``: the file was stored last with the same content hash, nothing was written. ``removed``: the
    scheduled fixtures of ``leagues`` the write replaced.
    """

    source_file: str
    skipped: bool
    leagues: tuple[str, ...]
    fixtures: int = 0
    odds_rows: int = 0
    quarantined: int = 0
    removed: int = 0


def check_fixtures(parsed: ParsedFixturesLike) -> None:
    """``ValueError`` naming the file when its frames disagree (columns, repeated fixtures, orphan odds)."""
    name, fixtures, odds = parsed.source_file, parsed.fixtures, parsed.odds
    for frame, expected, what in (
        (fixtures, FIXTURE_COLUMNS, "fixtures"),
        (odds, c.ODDS_COLUMNS, "odds"),
        (parsed.quarantine, c.QUARANTINE_COLUMNS, "quarantine"),
    ):
        if sorted(frame.columns) != sorted(expected):
            raise ValueError(f"{name}: {what} frame has columns {list(frame.columns)}, not {list(expected)}")
    key = list(c.MATCH_KEY)
    repeated = fixtures.duplicated(key, keep=False)
    if repeated.any():
        lines = fixtures.loc[repeated, c.SOURCE_LINE].tolist()
        raise ValueError(f"{name}: the same fixture appears more than once (lines {lines})")
    outside = sorted(set(fixtures[c.LEAGUE]) - set(parsed.leagues))
    if outside:
        raise ValueError(f"{name}: fixtures of leagues {outside} that the file does not list")
    if not odds.empty:
        keys = fixtures[key].assign(**{c.DATE: as_datetime(fixtures[c.DATE])})
        found = (
            odds[key]
            .assign(**{c.DATE: as_datetime(odds[c.DATE])})
            .merge(keys.drop_duplicates(), how="left", on=key, indicator=True)
        )
        orphans = found[found["_merge"] == "left_only"]
        if not orphans.empty:
            first = orphans.iloc[0]
            raise ValueError(
                f"{name}: {len(orphans)} odds rows for fixtures not in the file, e.g. "
                f"{first[c.LEAGUE]} {first[c.HOME]} v {first[c.AWAY]}"
            )


def replace_fixtures(
    conn: sa.Connection, parsed: ParsedFixturesLike, content_sha256: str, fetched_at: datetime
) -> FixturesWriteResult:
    """In the caller's transaction: replace the scheduled fixtures of ``parsed.leagues`` with the file's."""
    name, leagues = parsed.source_file, tuple(parsed.leagues)
    files = schema.fixture_files
    previous = conn.execute(
        sa.select(files.c.sha256).where(files.c[c.SOURCE_FILE] == name)
    ).scalar_one_or_none()
    if previous == content_sha256:
        return FixturesWriteResult(name, skipped=True, leagues=leagues)
    fixtures, odds = schema.fixtures, schema.fixture_odds
    removed = conn.execute(
        sa.select(sa.func.count()).select_from(fixtures).where(fixtures.c[c.LEAGUE].in_(list(leagues)))
    ).scalar_one()
    for table in (fixtures, odds):
        conn.execute(sa.delete(table).where(table.c[c.LEAGUE].in_(list(leagues))))
    for table in (schema.quarantine, files):
        conn.execute(sa.delete(table).where(table.c[c.SOURCE_FILE] == name))
    rows = parsed.fixtures.loc[:, list(FIXTURE_COLUMNS)].assign(**{schema.FETCHED_AT: fetched_at})
    insert_frame(conn, fixtures, _with_dates(rows))
    odds_rows = insert_frame(conn, odds, _with_dates(parsed.odds.loc[:, list(c.ODDS_COLUMNS)]))
    quarantine = parsed.quarantine.loc[:, list(c.QUARANTINE_COLUMNS)]
    insert_frame(conn, schema.quarantine, quarantine)
    conn.execute(
        sa.insert(files).values(
            source_file=name,
            sha256=content_sha256,
            leagues=",".join(leagues),
            rows_read=parsed.rows_read,
            fixtures=len(rows),
            odds_rows=odds_rows,
            quarantined=len(quarantine),
            fetched_at=fetched_at,
        )
    )
    return FixturesWriteResult(
        name,
        skipped=False,
        leagues=leagues,
        fixtures=len(rows),
        odds_rows=odds_rows,
        quarantined=len(quarantine),
        removed=int(removed),
    )


def _with_dates(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(**{name: as_datetime(frame[name]) for name in (c.DATE, c.KICKOFF) if name in frame})


def with_scheduled(matches: pd.DataFrame, fixtures: pd.DataFrame) -> pd.DataFrame:
    """``matches`` plus the ``fixtures`` whose match key is not among them, as ``SCHEDULE_COLUMNS``.

    Sorted by kickoff, league and home team. A fixture the season files already hold (with or without its
    result) is that match, so it is not listed twice.
    """
    key = list(c.MATCH_KEY)
    known = matches.loc[:, list(SCHEDULE_COLUMNS)]
    scheduled = fixtures.loc[:, list(SCHEDULE_COLUMNS)]
    if not scheduled.empty and not known.empty:
        present = scheduled[key].merge(known[key].drop_duplicates(), how="left", on=key, indicator=True)
        scheduled = scheduled[(present["_merge"] == "left_only").to_numpy()]
    parts = [frame for frame in (known, scheduled) if not frame.empty]
    if not parts:
        return known.reset_index(drop=True)
    combined = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    return combined.sort_values([c.KICKOFF, c.LEAGUE, c.HOME], kind="stable").reset_index(drop=True)
