"""The snapshot the API serves from: leagues, their current teams and the scheduled fixtures in the store.

A :class:`Snapshot` is built from a match frame: each league's teams are those of its latest season in the
store (the season whose matches kick off last), and the *upcoming* fixtures are those without a result whose
kickoff is in the future: result-less matches of the season files and the scheduled fixtures of
football-data's ``fixtures.csv`` (``Store.read_fixtures`` leaves out fixtures whose match has a result).
:class:`StoreFixtureSource` rebuilds the snapshot from the store at most every
``ttl_seconds`` (opening the store only for the read, so it never holds DuckDB's file lock), and keeps
the last good snapshot when the store cannot be read. Unknown names raise :class:`UnknownNameError` with the
closest known names (difflib).
"""

from __future__ import annotations

import difflib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import pandas as pd

from scoreline import columns as c

logger = logging.getLogger(__name__)

DEFAULT_TTL_SECONDS = 300.0
MAX_SUGGESTIONS = 3
SUGGESTION_CUTOFF = 0.5
UPCOMING_COLUMNS = (c.LEAGUE, c.SEASON, c.KICKOFF, c.HOME, c.AWAY)


class UnknownNameError(LookupError):
    """A league or team the store does not know, with the closest known names."""

    def __init__(self, kind: str, name: str, suggestions: Sequence[str], league: str | None = None) -> None:
        self.kind = kind
        self.name = name
        self.suggestions = list(suggestions)
        self.league = league
        where = f" in league {league}" if league else ""
        hint = f"; did you mean {', '.join(map(repr, self.suggestions))}?" if self.suggestions else ""
        super().__init__(f"unknown {kind} {name!r}{where}{hint}")


class UnknownNamesError(LookupError):
    """One or more unknown names in a fixture: ``(field, error)`` pairs, field being league, home or away."""

    def __init__(self, problems: Sequence[tuple[str, UnknownNameError]]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(str(error) for _, error in self.problems))


class StoreUnavailableError(RuntimeError):
    """The store could not be read and no earlier snapshot exists."""


def closest(name: str, candidates: Sequence[str]) -> list[str]:
    """Up to three known names closest to ``name`` (case-insensitive), best first."""
    by_folded = {candidate.casefold(): candidate for candidate in candidates}
    matches = difflib.get_close_matches(
        name.casefold(), list(by_folded), n=MAX_SUGGESTIONS, cutoff=SUGGESTION_CUTOFF
    )
    return [by_folded[m] for m in matches]


@dataclass(frozen=True)
class League:
    """A league's code, its latest season in the store and that season's teams (sorted)."""

    code: str
    season: str
    teams: tuple[str, ...]


class LeagueDirectory:
    """Leagues and teams with O(1) exact and case-insensitive lookups."""

    def __init__(self, leagues: Sequence[League]) -> None:
        self.leagues: dict[str, League] = {
            league.code: league for league in sorted(leagues, key=lambda x: x.code)
        }
        self._folded_leagues = {code.casefold(): code for code in self.leagues}
        self._teams: dict[str, dict[str, str]] = {
            league.code: {team.casefold(): team for team in league.teams} for league in leagues
        }

    def league(self, code: str) -> League:
        """The league ``code`` (case-insensitive), else :class:`UnknownNameError` with suggestions."""
        found = self._folded_leagues.get(code.casefold())
        if found is None:
            raise UnknownNameError("league", code, closest(code, list(self.leagues)))
        return self.leagues[found]

    def team(self, league: str, name: str) -> str:
        """The canonical spelling of team ``name`` in ``league`` (a known league code)."""
        found = self._teams[league].get(name.casefold())
        if found is None:
            raise UnknownNameError("team", name, closest(name, self.leagues[league].teams), league=league)
        return found

    def resolve(self, league: str, home: str, away: str) -> tuple[str, str, str]:
        """Canonical ``(league, home, away)``; :class:`UnknownNamesError` listing every unknown name."""
        try:
            code = self.league(league).code
        except UnknownNameError as error:
            raise UnknownNamesError([("league", error)]) from None
        names, problems = [], []
        for field, team in (("home", home), ("away", away)):
            try:
                names.append(self.team(code, team))
            except UnknownNameError as error:
                problems.append((field, error))
        if problems:
            raise UnknownNamesError(problems)
        return code, names[0], names[1]


@dataclass(frozen=True)
class Snapshot:
    """The league directory and the fixtures without a result, as read at ``taken_at``."""

    directory: LeagueDirectory
    fixtures: pd.DataFrame  # UPCOMING_COLUMNS, sorted by kickoff; fixtures without a result
    taken_at: datetime

    @classmethod
    def from_matches(
        cls, matches: pd.DataFrame, taken_at: datetime, fixtures: pd.DataFrame | None = None
    ) -> Snapshot:
        """Build from a match frame holding (at least) each league's latest season.

        ``fixtures`` are scheduled fixtures not played yet (``Store.read_fixtures``, from ``fixtures.csv``):
        those of the leagues in ``matches`` join the upcoming list (once, if the season files hold them too).
        A league's teams are those of its latest season in the season files plus those of its scheduled
        fixtures of that season or a later one: a few fixtures of a new season add its promoted clubs and
        never hide the clubs of the matches played; the new season's file, once stored, decides who is
        gone.
        """
        scheduled = _empty_upcoming() if fixtures is None else fixtures.loc[:, list(UPCOMING_COLUMNS)]
        scheduled = scheduled[scheduled[c.LEAGUE].isin(set(matches[c.LEAGUE]))]
        leagues = [
            _league_teams(str(league), str(season), matches, scheduled)
            for league, season in latest_seasons(matches).items()
        ]
        unplayed = matches[matches[c.HOME_GOALS].isna() | matches[c.AWAY_GOALS].isna()]
        upcoming = unplayed.loc[:, list(UPCOMING_COLUMNS)]
        if not scheduled.empty:
            new = ~_match_keys(scheduled).isin(_match_keys(upcoming))
            upcoming = pd.concat([upcoming, scheduled.loc[new]], ignore_index=True)
        upcoming = upcoming.sort_values([c.KICKOFF, c.LEAGUE, c.HOME], kind="stable")
        return cls(LeagueDirectory(leagues), upcoming.reset_index(drop=True), taken_at)

    def upcoming(self, now: datetime, league: str | None = None) -> pd.DataFrame:
        """Fixtures without a result that kick off after ``now`` (naive, like the store's kickoffs)."""
        fixtures = self.fixtures[self.fixtures[c.KICKOFF] > pd.Timestamp(now)]
        if league is not None:
            fixtures = fixtures[fixtures[c.LEAGUE] == league]
        return fixtures


def _league_teams(league: str, season: str, matches: pd.DataFrame, scheduled: pd.DataFrame) -> League:
    """``league``'s teams: its season files' ``season`` (the latest) and its fixtures of then or later."""
    start = season_start_year(season)
    played = matches[(matches[c.LEAGUE] == league) & (matches[c.SEASON].astype(str) == season)]
    ahead = scheduled[scheduled[c.LEAGUE] == league]
    ahead = ahead[ahead[c.SEASON].astype(str).map(season_start_year) >= start]
    rows = pd.concat([played[[c.SEASON, c.HOME, c.AWAY]], ahead[[c.SEASON, c.HOME, c.AWAY]]])
    teams = sorted(set(rows[c.HOME].astype(str)) | set(rows[c.AWAY].astype(str)))
    return League(league, latest_of((league, str(code)) for code in rows[c.SEASON])[league], tuple(teams))


def season_start_year(season: str) -> int:
    """Start year of a football-data season code ("9394" -> 1993, "2425" -> 2024); -1 if not a code."""
    if len(season) != 4 or not season.isdigit():
        return -1
    year = int(season[:2])
    return 1900 + year if year >= 50 else 2000 + year


def latest_seasons(matches: pd.DataFrame) -> dict[str, str]:
    """Each league's latest season code in ``matches``."""
    pairs = matches[[c.LEAGUE, c.SEASON]].drop_duplicates()
    return latest_of(zip(pairs[c.LEAGUE].astype(str), pairs[c.SEASON].astype(str), strict=True))


def latest_of(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """From (league, season) pairs, each league's latest season."""
    latest: dict[str, str] = {}
    for league, season in pairs:
        if league not in latest or season_start_year(season) > season_start_year(latest[league]):
            latest[league] = season
    return latest


class FixtureSource(Protocol):
    """Where the API gets its leagues, teams and scheduled fixtures."""

    def snapshot(self) -> Snapshot:
        """The current snapshot (may read the store); :class:`StoreUnavailableError` if there is none."""
        ...

    def peek(self) -> Snapshot | None:
        """The current snapshot if fresh and no I/O is needed, else ``None`` (then call :meth:`snapshot`)."""
        ...


class FrameFixtureSource:
    """A fixed snapshot of a match frame (demos, tests, the ``predict`` command's in-memory use)."""

    def __init__(self, matches: pd.DataFrame) -> None:
        self._snapshot = Snapshot.from_matches(matches, datetime.now())

    def snapshot(self) -> Snapshot:
        return self._snapshot

    def peek(self) -> Snapshot | None:
        return self._snapshot


class StoreFixtureSource:
    """Snapshots read from the store at ``url``, rebuilt at most every ``ttl_seconds``."""

    def __init__(
        self, url: str, ttl_seconds: float = DEFAULT_TTL_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.url = url
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._snapshot: Snapshot | None = None
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def peek(self) -> Snapshot | None:
        current = self._snapshot
        return current if current is not None and self._clock() - self._read_at < self.ttl_seconds else None

    def snapshot(self) -> Snapshot:
        current = self.peek()
        if current is not None:
            return current
        with self._lock:
            if self._snapshot is not None and self._clock() - self._read_at < self.ttl_seconds:
                return self._snapshot
            try:
                self._snapshot = self._read()
            except Exception as error:
                if self._snapshot is None:
                    raise StoreUnavailableError(f"cannot read the store: {error}") from error
                logger.warning(
                    "store read failed, serving the snapshot of %s: %s", self._snapshot.taken_at, error
                )
            self._read_at = self._clock()
            return self._snapshot

    def refresh(self) -> Snapshot:
        """Read the store now (after an ingest or a model reload)."""
        self._read_at = float("-inf")
        return self.snapshot()

    def _read(self) -> Snapshot:
        from scoreline.store import Store

        with Store.from_url(self.url) as store:
            summary = store.summary()
            latest = latest_of(zip(summary[c.LEAGUE].astype(str), summary[c.SEASON].astype(str), strict=True))
            seasons = sorted(set(latest.values()))
            matches = store.read_matches(seasons=seasons) if seasons else _empty_matches()
            fixtures = store.read_fixtures(after=pd.Timestamp.now())
        keep = matches[c.SEASON].astype(str) == matches[c.LEAGUE].astype(str).map(latest)
        return Snapshot.from_matches(matches[keep], datetime.now(), fixtures)


def _empty_matches() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype="object") for name in c.MATCH_COLUMNS}).astype(
        {c.KICKOFF: "datetime64[ns]", c.DATE: "datetime64[ns]"}
    )


def _empty_upcoming() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype="object") for name in UPCOMING_COLUMNS}).astype(
        {c.KICKOFF: "datetime64[ns]"}
    )


def _match_keys(frame: pd.DataFrame) -> pd.MultiIndex:
    """The match key (league, kickoff day, home, away) of each row."""
    day = pd.to_datetime(frame[c.KICKOFF]).dt.normalize()
    return pd.MultiIndex.from_arrays([frame[c.LEAGUE], day, frame[c.HOME], frame[c.AWAY]])
