"""Scheduled fixtures in the store (DuckDB; PostgreSQL where configured): replaced, skipped, handed over."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from scoreline import columns as c
from scoreline.pipelines.ingest import FileStatus, ingest_fixtures
from scoreline.simulate import simulate_league, write_football_data_csv
from scoreline.sources.fixtures import FIXTURE_COLUMNS, ParsedFixtures, parse_fixtures
from scoreline.sources.football_data import FixturesFile
from scoreline.sources.football_data_parser import parse_football_data
from scoreline.store import Store
from tests.sources.fixtures_csv import fixtures_table, write_fixtures_csv

ROUNDS_AHEAD = 8  # the last two rounds of an 8-team season


@pytest.fixture(scope="module")
def season() -> pd.DataFrame:
    return simulate_league(n_teams=8, seasons=("2425",), seed=4).matches


def fixtures_file(
    rows: pd.DataFrame, tmp_path: Path, name: str = "fixtures.csv"
) -> tuple[ParsedFixtures, str]:
    content = write_fixtures_csv(fixtures_table(rows), tmp_path / name)
    return parse_fixtures(content), hashlib.sha256(content).hexdigest()


def write_season_file(store: Store, matches: pd.DataFrame, tmp_path: Path) -> object:
    path = write_football_data_csv(matches, tmp_path / "E0" / "2425.csv", bom=True)
    content = path.read_bytes()
    parsed = parse_football_data(content, "E0/2425.csv", "2425")
    return store.write_parsed_file(parsed, hashlib.sha256(content).hexdigest())


def both_leagues(rows: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([rows, rows.assign(**{c.LEAGUE: "SP1"})], ignore_index=True)


def table_contents(store: Store) -> dict[str, list[tuple[object, ...]]]:
    with store.engine.connect() as conn:
        return {
            table: sorted(map(tuple, conn.execute(sa.text(f"SELECT * FROM {table}")).all()), key=repr)
            for table in ("fixtures", "fixture_odds", "fixture_files", "quarantine")
        }


def test_fixtures_round_trip_and_the_same_file_twice_changes_nothing(
    store: Store, season: pd.DataFrame, tmp_path: Path
) -> None:
    parsed, sha = fixtures_file(both_leagues(season.tail(ROUNDS_AHEAD)), tmp_path)
    fetched_at = pd.Timestamp("2025-05-10 08:00").to_pydatetime()
    result = store.write_fixtures(parsed, sha, fetched_at)
    assert not result.skipped and result.leagues == ("E0", "SP1")
    assert (result.fixtures, result.removed, result.quarantined) == (16, 0, 0)
    assert result.odds_rows == len(parsed.odds) > 0
    stored = store.read_fixtures()
    pd.testing.assert_frame_equal(
        stored[list(FIXTURE_COLUMNS)], parsed.fixtures.reset_index(drop=True), check_dtype=False
    )
    assert (stored["fetched_at"] == pd.Timestamp(fetched_at)).all()
    assert stored[c.DATE].dtype == "datetime64[ns]" and stored[c.HAS_TIME].dtype == bool
    order = list(c.ODDS_COLUMNS[:-1])
    pd.testing.assert_frame_equal(
        store.read_fixture_odds().sort_values(order).reset_index(drop=True),
        parsed.odds.sort_values(order).reset_index(drop=True),
        check_dtype=False,
    )
    before = table_contents(store)
    again = store.write_fixtures(parsed, sha, pd.Timestamp("2025-05-11").to_pydatetime())
    assert again.skipped and table_contents(store) == before
    outcome = ingest_fixtures(store, FixturesFile("fixtures.csv", tmp_path / "fixtures.csv"))
    assert outcome.status is FileStatus.UNCHANGED and table_contents(store) == before


def test_a_new_fixtures_file_replaces_only_the_leagues_it_lists(
    store: Store, season: pd.DataFrame, tmp_path: Path
) -> None:
    first = both_leagues(season.tail(ROUNDS_AHEAD))
    table = fixtures_table(first)
    table.loc[1, "Date"] = "31/02/2025"  # a bad row: quarantined, the others stored
    content = write_fixtures_csv(table, tmp_path / "first.csv")
    outcome = ingest_fixtures(store, FixturesFile("fixtures.csv", tmp_path / "first.csv"))
    assert outcome.status is FileStatus.STORED and (outcome.fixtures, outcome.quarantined) == (15, 1)
    quarantine = store.read_quarantine(source_file="fixtures.csv")
    assert quarantine[[c.SOURCE_LINE, c.FIELD]].values.tolist() == [[3, "Date"]]
    assert "impossible or unreadable date '31/02/2025'" in quarantine.loc[0, c.REASON]
    assert len(store.read_fixtures()) == 15
    # next week: only E0 is listed, with one fixture
    parsed, sha = fixtures_file(season.tail(1), tmp_path, "second.csv")
    assert hashlib.sha256(content).hexdigest() != sha
    result = store.write_fixtures(parsed, sha)
    assert (result.leagues, result.fixtures, result.removed) == (("E0",), 1, 7)
    stored = store.read_fixtures()
    assert stored.groupby(c.LEAGUE).size().to_dict() == {"E0": 1, "SP1": 8}
    assert store.read_quarantine(source_file="fixtures.csv").empty
    assert set(store.read_fixture_odds(leagues=["E0"])[c.HOME]) == {season[c.HOME].iloc[-1]}


def test_a_fixture_whose_result_arrives_becomes_a_match_not_a_duplicate(
    store: Store, season: pd.DataFrame, tmp_path: Path
) -> None:
    played, ahead = season.iloc[:-ROUNDS_AHEAD], season.tail(ROUNDS_AHEAD)
    write_season_file(store, played, tmp_path / "week1")
    parsed, sha = fixtures_file(ahead, tmp_path)
    store.write_fixtures(parsed, sha)
    assert len(store.read_fixtures(leagues=["E0"])) == ROUNDS_AHEAD
    # the season file is republished with the results of the fixtures
    result = write_season_file(store, season, tmp_path / "week2")
    assert result.replaced and result.duplicates == 0 and result.quarantined == 0
    assert store.read_quarantine().empty
    matches = store.read_matches(leagues=["E0"])
    assert len(matches) == len(season) and matches[c.RESULT].notna().all()
    assert matches.tail(ROUNDS_AHEAD)[c.HOME].tolist() == ahead[c.HOME].tolist()
    assert store.read_fixtures(leagues=["E0"]).empty  # played: not upcoming any more
    assert len(store.read_fixtures(leagues=["E0"], include_played=True)) == ROUNDS_AHEAD


def test_read_fixtures_keeps_kickoffs_in_the_window(
    store: Store, season: pd.DataFrame, tmp_path: Path
) -> None:
    parsed, sha = fixtures_file(season.tail(ROUNDS_AHEAD), tmp_path)
    store.write_fixtures(parsed, sha)
    kickoffs = parsed.fixtures[c.KICKOFF]
    after, until = kickoffs.iloc[0], kickoffs.iloc[5]
    window = store.read_fixtures(after=after, until=until)
    expected = kickoffs[(kickoffs > after) & (kickoffs <= until)]
    assert window[c.KICKOFF].tolist() == expected.tolist() and len(window) > 0
    assert store.read_fixtures(leagues=["SP1"]).empty


def test_inconsistent_parsed_fixtures_are_refused_naming_the_file(
    store: Store, season: pd.DataFrame, tmp_path: Path
) -> None:
    parsed, sha = fixtures_file(season.tail(2), tmp_path)
    twice = ParsedFixtures(
        parsed.source_file,
        parsed.rows_read,
        parsed.leagues,
        pd.concat([parsed.fixtures, parsed.fixtures.head(1)], ignore_index=True),
        parsed.odds,
        parsed.quarantine,
    )
    with pytest.raises(ValueError, match=r"^fixtures\.csv: the same fixture appears more than once"):
        store.write_fixtures(twice, sha)
    orphan = ParsedFixtures(
        parsed.source_file, 1, parsed.leagues, parsed.fixtures.head(1), parsed.odds, parsed.quarantine
    )
    with pytest.raises(ValueError, match=r"^fixtures\.csv: \d+ odds rows for fixtures not in the file"):
        store.write_fixtures(orphan, sha)
    assert store.read_fixtures().empty


def test_the_summary_counts_the_quarantined_rows_of_fixtures_files(
    store: Store, season: pd.DataFrame, tmp_path: Path
) -> None:
    write_season_file(store, season.iloc[:-ROUNDS_AHEAD], tmp_path)
    table = fixtures_table(season.tail(ROUNDS_AHEAD))
    table.loc[1, "Date"] = "31/02/2025"  # E0, season 2425 (from its league's other rows)
    table.loc[2, "Div"] = ""  # no league: counted under the file's name
    write_fixtures_csv(table, tmp_path / "fixtures.csv")
    assert ingest_fixtures(store, FixturesFile("fixtures.csv", tmp_path / "fixtures.csv")).quarantined == 2
    summary = store.summary().set_index([c.LEAGUE, c.SEASON])["quarantined"].to_dict()
    assert summary == {("E0", "2425"): 1, ("fixtures.csv", "-"): 1}
    assert int(store.summary()["quarantined"].sum()) == len(store.read_quarantine())
