"""League directory, snapshots and the store-backed fixture source."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from scoreline import columns as c
from scoreline.serving.snapshot import (
    League,
    LeagueDirectory,
    Snapshot,
    StoreFixtureSource,
    StoreUnavailableError,
    UnknownNamesError,
    latest_of,
    season_start_year,
)
from scoreline.simulate import simulate_league
from scoreline.sources.fixtures import parse_fixtures
from scoreline.sources.seasons import season_of_date
from scoreline.store import Store
from tests.sources.fixtures_csv import fixtures_table, write_fixtures_csv

from .conftest import write_to_store
from .test_api import upcoming_in_store


def test_seasons_order_across_the_century() -> None:
    assert [season_start_year(s) for s in ("9394", "9900", "0001", "2425", "x")] == [
        1993,
        1999,
        2000,
        2024,
        -1,
    ]
    assert latest_of([("E0", "9900"), ("E0", "0001"), ("SP1", "2324"), ("SP1", "2425")]) == {
        "E0": "0001",
        "SP1": "2425",
    }


def test_resolve_reports_every_unknown_name_with_suggestions() -> None:
    directory = LeagueDirectory([League("E0", "2425", ("Arsenal", "Chelsea", "Man United", "Man City"))])
    assert directory.resolve("e0", "ARSENAL", "man city") == ("E0", "Arsenal", "Man City")
    with pytest.raises(UnknownNamesError) as caught:
        directory.resolve("E0", "Arsenl", "Man Utd")
    fields = {field: error for field, error in caught.value.problems}
    assert fields["home"].suggestions == ["Arsenal"]
    assert fields["away"].suggestions[0] == "Man United"
    with pytest.raises(UnknownNamesError) as league:
        directory.resolve("Premier League", "Arsenal", "Chelsea")
    assert [field for field, _ in league.value.problems] == ["league"]


def test_store_source_reads_at_most_once_per_ttl_and_keeps_the_last_good_snapshot(
    store_url: str, league_matches: pd.DataFrame, tmp_path: Path
) -> None:
    now = [0.0]
    source = StoreFixtureSource(store_url, ttl_seconds=60, clock=lambda: now[0])
    assert source.peek() is None
    first = source.snapshot()
    assert source.peek() is first and source.snapshot() is first
    upcoming = first.upcoming(datetime.now())
    assert list(upcoming[c.HOME]) == list(upcoming_in_store(league_matches)[c.HOME])
    broken = tmp_path / "broken.duckdb"
    broken.write_bytes(b"this is not a database" * 100)
    source.url = f"duckdb:///{broken}"  # the store becomes unreadable
    now[0] = 61.0
    assert source.peek() is None
    assert source.snapshot() is first  # stale but served
    with pytest.raises(StoreUnavailableError):
        StoreFixtureSource(source.url).snapshot()


# --- scheduled fixtures (fixtures.csv) -------------------------------------------------------------------


def _fixture(league: str, season: str, kickoff: str, home: str, away: str) -> dict[str, object]:
    return {c.LEAGUE: league, c.SEASON: season, c.KICKOFF: pd.Timestamp(kickoff), c.HOME: home, c.AWAY: away}


def test_snapshot_lists_scheduled_fixtures_once_and_knows_their_teams() -> None:
    goals = [(1, 0), (2, 2), (None, None)]
    matches = pd.DataFrame(
        [
            _fixture("E0", "2425", "2025-05-25 16:00", "Arsenal", "Chelsea"),
            _fixture("E0", "2425", "2025-05-25 16:00", "Everton", "Fulham"),
            _fixture("E0", "2526", "2025-08-16 15:00", "Everton", "Arsenal"),  # not played yet
        ]
    ).assign(
        **{
            c.HOME_GOALS: pd.array([home for home, _ in goals], dtype="Int64"),
            c.AWAY_GOALS: pd.array([away for _, away in goals], dtype="Int64"),
        }
    )
    fixtures = pd.DataFrame(
        [
            _fixture("E0", "2526", "2025-08-16 15:00", "Everton", "Arsenal"),  # also in the season file
            _fixture("E0", "2526", "2025-08-16 17:30", "Leeds", "Chelsea"),  # promoted: no match yet
            _fixture("SP1", "2526", "2025-08-16 20:00", "Sevilla", "Getafe"),  # a league the store lacks
        ]
    )
    snapshot = Snapshot.from_matches(matches, datetime(2025, 8, 1), fixtures)
    upcoming = snapshot.upcoming(datetime(2025, 8, 1))
    assert upcoming[[c.HOME, c.AWAY]].values.tolist() == [["Everton", "Arsenal"], ["Leeds", "Chelsea"]]
    league = snapshot.directory.league("E0")
    assert league.season == "2526" and league.teams == ("Arsenal", "Chelsea", "Everton", "Leeds")
    assert list(snapshot.directory.leagues) == ["E0"]
    assert snapshot.upcoming(datetime(2025, 8, 16, 16)).shape[0] == 1


def test_store_source_serves_the_fixtures_of_fixtures_csv(tmp_path: Path) -> None:
    season = simulate_league(n_teams=6, seasons=("2425",), seed=2).matches
    now = datetime.now()
    shift = pd.Timestamp(now).normalize() + pd.Timedelta(days=7) - season[c.DATE].iloc[-1]
    season = season.assign(**{c.DATE: season[c.DATE] + shift, c.KICKOFF: season[c.KICKOFF] + shift})
    season[c.SEASON] = season[c.DATE].map(season_of_date)
    played, ahead = season.iloc[:-3], season.tail(3)
    assert (ahead[c.KICKOFF] > pd.Timestamp(now)).all()
    url = f"duckdb:///{tmp_path / 'store.duckdb'}"
    write_to_store(url, played)
    with Store.from_url(url) as store:
        content = write_fixtures_csv(fixtures_table(ahead), tmp_path / "fixtures.csv")
        store.write_fixtures(parse_fixtures(content), "sha-fixtures")
    snapshot = StoreFixtureSource(url).snapshot()
    upcoming = snapshot.upcoming(now)
    assert upcoming[[c.HOME, c.AWAY]].values.tolist() == ahead[[c.HOME, c.AWAY]].values.tolist()
    assert upcoming[c.KICKOFF].tolist() == ahead[c.KICKOFF].tolist()
    assert set(upcoming[c.SEASON]) == set(ahead[c.SEASON])


def _played(rows: list[dict[str, object]]) -> pd.DataFrame:
    return pd.DataFrame(rows).assign(
        **{c.HOME_GOALS: pd.array([1] * len(rows), dtype="Int64"), c.AWAY_GOALS: pd.array([0] * len(rows))}
    )


LAST_SEASON = [
    _fixture("E0", "2425", "2025-05-25 16:00", "Arsenal", "Chelsea"),
    _fixture("E0", "2425", "2025-05-25 16:00", "Everton", "Tottenham"),
    _fixture("E0", "2425", "2025-05-25 16:00", "Fulham", "Wolves"),
]


def test_scheduled_fixtures_of_a_new_season_add_teams_and_never_drop_the_played_ones() -> None:
    """Issue 21: a fixtures.csv of the new season with a few E0 games shrank E0's teams to theirs, so
    Chelsea and Tottenham became unknown teams."""
    fixtures = pd.DataFrame(
        [
            _fixture("E0", "2526", "2025-08-16 15:00", "Arsenal", "Everton"),
            _fixture("E0", "2526", "2025-08-16 15:00", "Sunderland", "Fulham"),  # promoted
        ]
    )
    snapshot = Snapshot.from_matches(_played(LAST_SEASON), datetime(2025, 8, 1), fixtures)

    league = snapshot.directory.league("E0")
    assert league.season == "2526"
    assert league.teams == ("Arsenal", "Chelsea", "Everton", "Fulham", "Sunderland", "Tottenham", "Wolves")
    assert snapshot.directory.resolve("E0", "Chelsea", "Tottenham") == ("E0", "Chelsea", "Tottenham")


def test_the_new_season_file_decides_who_was_relegated() -> None:
    new_season = [
        _fixture("E0", "2526", "2025-08-16 15:00", "Arsenal", "Everton"),
        _fixture("E0", "2526", "2025-08-16 15:00", "Sunderland", "Fulham"),
        _fixture("E0", "2526", "2025-08-16 15:00", "Chelsea", "Tottenham"),
    ]
    fixtures = pd.DataFrame([_fixture("E0", "2526", "2025-08-23 15:00", "Leeds", "Arsenal")])  # promoted too
    snapshot = Snapshot.from_matches(_played(LAST_SEASON + new_season), datetime(2025, 8, 20), fixtures)

    league = snapshot.directory.league("E0")
    assert league.season == "2526"
    assert league.teams == ("Arsenal", "Chelsea", "Everton", "Fulham", "Leeds", "Sunderland", "Tottenham")
    with pytest.raises(UnknownNamesError):  # relegated: not in the new season's file
        snapshot.directory.resolve("E0", "Wolves", "Arsenal")
