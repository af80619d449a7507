"""Check a parsed file and shape its rows as the store's tables, before any transaction starts.

Matches keep their canonical columns; each gets a ``position`` in the file, which becomes its ``match_id``
once the store knows the file's id. Odds are narrowed to ``position`` plus the price columns: the match key
(league, date, home, away) is replaced by the match it belongs to, so the odds table does not repeat four
strings on each of its millions of rows. The join and the consistency checks run in an in-memory DuckDB on
Arrow data, the format both backends' bulk inserts read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Protocol

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from scoreline import columns as c
from scoreline.store.bulk import to_arrow

POSITION = "position"  # a match's row number in its file's match frame
MATCH_ID = "match_id"
INT_MATCH_COLUMNS = (c.HOME_GOALS, c.AWAY_GOALS, c.HOME_GOALS_HT, c.AWAY_GOALS_HT, *c.STAT_COLUMNS)
ODDS_VALUE_COLUMNS = (c.BOOKMAKER, c.MARKET, c.LINE, c.TIMING, c.OUTCOME, c.PRICE)


class ParsedFileLike(Protocol):
    """What the store needs of a parsed file (``scoreline.sources.football_data_parser.ParsedFile``)."""

    @property
    def source_file(self) -> str: ...
    @property
    def league(self) -> str: ...
    @property
    def season(self) -> str: ...
    @property
    def rows_read(self) -> int: ...
    @property
    def matches(self) -> pd.DataFrame: ...
    @property
    def odds(self) -> pd.DataFrame: ...
    @property
    def quarantine(self) -> pd.DataFrame: ...


@dataclass(frozen=True)
class PreparedFile:
    """A parsed file's rows, checked: matches (canonical columns), narrow odds, quarantine."""

    matches: pd.DataFrame
    matches_arrow: pa.Table  # the same, as Arrow
    odds: pa.Table  # position, bookmaker, market, line, timing, outcome, price
    quarantine: pd.DataFrame

    def matches_table(self, first_match_id: int) -> pa.Table:
        """The matches as Arrow with ``match_id`` = ``first_match_id`` + position."""
        ids = first_match_id + np.arange(len(self.matches), dtype=np.int64)
        return self.matches_arrow.append_column(MATCH_ID, pa.array(ids))

    def odds_table(self, first_match_id: int) -> pa.Table:
        """The odds as Arrow with ``match_id`` in place of the match's position."""
        ids = pc.add(self.odds.column(POSITION).cast(pa.int64()), first_match_id)
        return self.odds.drop_columns([POSITION]).append_column(MATCH_ID, ids)

    def without_matches(self, positions: Sequence[int], quarantined: pd.DataFrame) -> PreparedFile:
        """This file without the matches at ``positions`` (and their odds), ``quarantined`` added."""
        keep = ~np.isin(np.arange(len(self.matches)), positions)
        kept = self.matches[keep]
        renumber = np.full(len(self.matches), -1, dtype=np.int64)
        renumber[keep] = np.arange(len(kept))
        odds = self.odds.filter(
            pc.invert(pc.is_in(self.odds.column(POSITION), pa.array(positions, pa.int64())))
        )
        new_positions = pa.array(renumber[odds.column(POSITION).to_numpy()])
        odds = odds.set_column(odds.column_names.index(POSITION), POSITION, new_positions)
        return replace(
            self,
            matches=kept.reset_index(drop=True),
            matches_arrow=to_arrow(kept),
            odds=odds,
            quarantine=pd.concat([self.quarantine, quarantined], ignore_index=True),
        )


def prepare(parsed: ParsedFileLike) -> PreparedFile:
    """Check ``parsed`` and shape its rows (``ValueError`` naming the file when its frames disagree)."""
    matches = _prepare_matches(parsed)
    matches_arrow = to_arrow(matches)
    odds = _narrow_odds(parsed, matches_arrow.select(list(c.MATCH_KEY)))
    return PreparedFile(matches, matches_arrow, odds, _prepare_quarantine(parsed))


def _check_columns(frame: pd.DataFrame, expected: Sequence[str], what: str, source_file: str) -> None:
    missing = [name for name in expected if name not in frame.columns]
    extra = [name for name in frame.columns if name not in expected]
    if missing or extra:
        raise ValueError(
            f"{source_file}: {what} frame has missing columns {missing} and extra columns {extra}"
        )


def as_datetime(values: pd.Series) -> pd.Series:
    """``values`` as datetime64[ns] (``pd.to_datetime`` only when they are not datetimes already)."""
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return values.astype("datetime64[ns]")
    return pd.to_datetime(values).astype("datetime64[ns]")


def _prepare_matches(parsed: ParsedFileLike) -> pd.DataFrame:
    """The match frame with canonical columns and dtypes (converted only where needed; never in place)."""
    matches = parsed.matches
    if list(matches.columns) != list(c.MATCH_COLUMNS):
        _check_columns(matches, c.MATCH_COLUMNS, "matches", parsed.source_file)
        matches = matches.loc[:, list(c.MATCH_COLUMNS)]
    conversions: dict[str, pd.Series] = {
        name: as_datetime(matches[name])
        for name in (c.DATE, c.KICKOFF)
        if matches[name].dtype != "datetime64[ns]"
    }
    conversions |= {
        name: matches[name].astype("Int64") for name in INT_MATCH_COLUMNS if matches[name].dtype != "Int64"
    }
    if conversions:
        matches = matches.assign(**conversions)
    duplicated = matches.duplicated(list(c.MATCH_KEY), keep=False)
    if duplicated.any():
        lines = matches.loc[duplicated, c.SOURCE_LINE].tolist()
        raise ValueError(f"{parsed.source_file}: the same match appears more than once (lines {lines})")
    return matches.reset_index(drop=True)


def _prepare_quarantine(parsed: ParsedFileLike) -> pd.DataFrame:
    quarantine = parsed.quarantine
    if list(quarantine.columns) != list(c.QUARANTINE_COLUMNS):
        _check_columns(quarantine, c.QUARANTINE_COLUMNS, "quarantine", parsed.source_file)
        quarantine = quarantine.loc[:, list(c.QUARANTINE_COLUMNS)]
    if quarantine.empty:
        return quarantine
    if (quarantine[c.SOURCE_FILE] != parsed.source_file).any():
        raise ValueError(f"{parsed.source_file}: quarantined rows name another source file")
    duplicated = quarantine.duplicated([c.SOURCE_FILE, c.SOURCE_LINE, c.FIELD])
    if duplicated.any():
        first = quarantine.loc[duplicated, [c.SOURCE_LINE, c.FIELD]].iloc[0].tolist()
        raise ValueError(f"{parsed.source_file}: quarantined (line, field) twice, e.g. {first}")
    return quarantine.reset_index(drop=True)


@cache
def _checker() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB to join and check frames (opening one costs ~50 ms, a cursor microseconds)."""
    connection = duckdb.connect()
    connection.execute("SET threads = 1")  # one file's rows are few: threads cost more than they save
    return connection


def _narrow_odds(parsed: ParsedFileLike, match_keys: pa.Table) -> pa.Table:
    """The odds with each row's match position instead of the match key; every row must find its match."""
    odds = parsed.odds
    if list(odds.columns) != list(c.ODDS_COLUMNS):
        _check_columns(odds, c.ODDS_COLUMNS, "odds", parsed.source_file)
        odds = odds.loc[:, list(c.ODDS_COLUMNS)]
    if odds[c.DATE].dtype != "datetime64[ns]":
        odds = odds.assign(**{c.DATE: as_datetime(odds[c.DATE])})
    keys = ", ".join(c.MATCH_KEY)
    positions = pa.array(np.arange(match_keys.num_rows, dtype=np.int32))
    with _checker().cursor() as db:
        db.register("odds", odds)
        db.register("matches", match_keys.append_column(POSITION, positions))
        values = ", ".join(ODDS_VALUE_COLUMNS)
        narrow: pa.Table = db.sql(
            f"SELECT matches.{POSITION}, {values} FROM odds LEFT JOIN matches USING ({keys})"
        ).to_arrow_table()
        db.register("narrow", narrow)
        found = db.execute(
            f"SELECT count(*) FILTER (WHERE {POSITION} IS NULL), count(*) FILTER (WHERE {c.PRICE} IS NULL), "
            f"(SELECT count(*) FROM (SELECT {POSITION}, {', '.join(ODDS_VALUE_COLUMNS[:-1])} FROM narrow "
            f"GROUP BY ALL HAVING count(*) > 1)) FROM narrow"
        ).fetchone()
        assert found is not None
        problems = dict(zip(("orphans", "no_price", "duplicates"), found, strict=True))
        if any(problems.values()):
            _raise_odds_problem(db, parsed.source_file, problems)
    return narrow


def _raise_odds_problem(db: duckdb.DuckDBPyConnection, source_file: str, problems: dict[str, int]) -> None:
    """Raise ``ValueError`` for the first problem of the registered odds, with an example row."""
    key = ", ".join(ODDS_VALUE_COLUMNS[:-1])
    joined = f"odds LEFT JOIN matches USING ({', '.join(c.MATCH_KEY)})"
    example = f"concat_ws(' ', {', '.join(f'any_value({name})' for name in c.MATCH_KEY)}, {key})"
    group = f"GROUP BY {POSITION}, {key}"
    queries = {
        "orphans": ("odds rows for matches not in the file", f"WHERE {POSITION} IS NULL {group}"),
        "no_price": ("odds rows without a price", f"WHERE {c.PRICE} IS NULL {group}"),
        "duplicates": ("duplicate odds keys", f"{group} HAVING count(*) > 1"),
    }
    for name, count in problems.items():
        if count:
            what, clause = queries[name]
            row = db.execute(f"SELECT {example} FROM {joined} {clause} LIMIT 1").fetchone()
            raise ValueError(f"{source_file}: {count} {what}, e.g. {row[0] if row else ''}")
