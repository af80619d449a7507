"""Store round trips, idempotent and transactional writes, on DuckDB and (where configured) PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from scoreline import columns as c
from scoreline.simulate import SimulatedLeague
from scoreline.sources.football_data_parser import ParsedFile
from scoreline.store import Store
from scoreline.store import schema as store_schema
from scoreline.store.bulk import is_data_error
from scoreline.store.migrations import LATEST_VERSION
from tests.store.simulated_files import parsed_file

SEASONS = ("2223", "2324")


@pytest.fixture
def files(simulated_league: SimulatedLeague) -> list[ParsedFile]:
    return [parsed_file(simulated_league.matches, season, quarantined_lines=2) for season in SEASONS]


def write_all(store: Store, files: list[ParsedFile], sha: str = "sha-1") -> None:
    for parsed in files:
        result = store.write_parsed_file(parsed, f"{sha}-{parsed.source_file}")
        assert not result.skipped


def expected_matches(files: list[ParsedFile]) -> pd.DataFrame:
    frame = pd.concat([f.matches for f in files], ignore_index=True)
    return frame.sort_values([c.KICKOFF, c.LEAGUE, c.HOME], kind="stable").reset_index(drop=True)


def test_matches_round_trip_with_canonical_dtypes(store: Store, files: list[ParsedFile]) -> None:
    write_all(store, files)
    matches = store.read_matches()
    assert list(matches.columns) == list(c.MATCH_COLUMNS)
    pd.testing.assert_frame_equal(matches, expected_matches(files), check_dtype=False)
    assert matches[c.DATE].dtype == "datetime64[ns]"
    assert matches[c.KICKOFF].dtype == "datetime64[ns]"
    assert matches[c.HOME_GOALS].dtype == "Int64"
    assert matches[c.HAS_TIME].dtype == bool
    assert matches[c.KICKOFF].is_monotonic_increasing
    assert len(matches) == 2 * 380


def test_read_matches_filters(store: Store, files: list[ParsedFile]) -> None:
    write_all(store, files)
    assert set(store.read_matches(seasons=["2324"])[c.SEASON]) == {"2324"}
    assert store.read_matches(leagues=["SP1"]).empty
    cutoff_day = files[1].matches[c.DATE].iloc[100]
    early = store.read_matches(before=cutoff_day + pd.Timedelta(hours=20))
    assert early[c.DATE].max() < cutoff_day
    assert len(early) == int((expected_matches(files)[c.DATE] < cutoff_day).sum())


def test_odds_round_trip_long_with_season(store: Store, files: list[ParsedFile]) -> None:
    write_all(store, files)
    odds = store.read_odds()
    assert list(odds.columns) == [c.LEAGUE, c.SEASON, *c.ODDS_COLUMNS[1:]]
    expected = pd.concat([f.odds.assign(**{c.SEASON: f.season}) for f in files], ignore_index=True).loc[
        :, list(odds.columns)
    ]
    order = [c.DATE, c.LEAGUE, c.HOME, c.BOOKMAKER, c.MARKET, c.LINE, c.TIMING, c.OUTCOME]
    expected = expected.sort_values(order, kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(
        odds.sort_values(order, kind="stable").reset_index(drop=True), expected, check_dtype=False
    )
    assert odds[c.DATE].dtype == "datetime64[ns]"
    assert odds[c.LINE].isna().sum() == 18 * len(expected_matches(files))


def test_read_odds_filters(store: Store, files: list[ParsedFile]) -> None:
    write_all(store, files)
    closing = store.read_odds(
        seasons=["2223"], market=c.MARKET_1X2, timing=c.CLOSING, bookmakers=["pinnacle"]
    )
    assert len(closing) == 3 * 380
    assert set(closing[c.OUTCOME]) == set(c.OUTCOMES)
    assert set(closing[c.BOOKMAKER]) == {"pinnacle"}
    source = files[0].matches.iloc[0]
    row = closing[(closing[c.HOME] == source[c.HOME]) & (closing[c.AWAY] == source[c.AWAY])]
    wide = files[0].odds
    expected = wide[
        (wide[c.HOME] == source[c.HOME])
        & (wide[c.AWAY] == source[c.AWAY])
        & (wide[c.BOOKMAKER] == "pinnacle")
        & (wide[c.TIMING] == c.CLOSING)
    ]
    assert sorted(row[c.PRICE]) == sorted(expected[c.PRICE])
    lines = store.read_odds(market=c.MARKET_ASIAN_HANDICAP)
    assert lines[c.LINE].notna().all()
    assert (lines[c.LINE] * 4 == np.round(lines[c.LINE] * 4)).all()


def test_summary_counts_per_league_and_season(store: Store, files: list[ParsedFile]) -> None:
    write_all(store, files)
    summary = store.summary()
    assert summary.to_dict("records") == [
        {
            "league": "E0",
            "season": season,
            "matches": 380,
            "matches_with_result": 380,
            "odds_rows": 380 * 22,
            "quarantined": 2,
        }
        for season in SEASONS
    ]


def test_unchanged_file_is_skipped_and_rewrite_is_idempotent(store: Store, files: list[ParsedFile]) -> None:
    write_all(store, files)
    before = store.summary()
    again = store.write_parsed_file(files[0], f"sha-1-{files[0].source_file}")
    assert again.skipped and again.matches == 0
    changed_hash = store.write_parsed_file(files[0], "sha-2")
    assert changed_hash.replaced and not changed_hash.skipped
    pd.testing.assert_frame_equal(store.summary(), before)
    assert store.ingested_hashes()[files[0].source_file] == "sha-2"


def test_new_version_of_a_file_replaces_all_its_rows(store: Store, files: list[ParsedFile]) -> None:
    write_all(store, files)
    shorter = files[0].matches.iloc[:100].copy()
    shorter.loc[0, c.HOME_GOALS] = 9
    keys = pd.MultiIndex.from_frame(shorter[list(c.MATCH_KEY)])
    odds = files[0].odds[pd.MultiIndex.from_frame(files[0].odds[list(c.MATCH_KEY)]).isin(keys)]
    update = replace(files[0], matches=shorter, odds=odds, quarantine=files[0].quarantine.iloc[:0])
    result = store.write_parsed_file(update, "sha-new")
    assert (result.matches, result.odds_rows, result.quarantined) == (100, 2200, 0)
    first = store.summary().iloc[0]
    assert (first["matches"], first["odds_rows"], first["quarantined"]) == (100, 2200, 0)
    assert store.summary().iloc[1]["matches"] == 380
    stored = store.read_matches(seasons=[files[0].season]).merge(shorter.iloc[:1][list(c.MATCH_KEY)])
    assert stored[c.HOME_GOALS].tolist() == [9]


def test_failed_write_rolls_back_to_the_previous_version(store: Store, files: list[ParsedFile]) -> None:
    write_all(store, files)
    before = store.summary()
    broken_quarantine = files[0].quarantine.copy()
    broken_quarantine[c.FIELD] = None  # NOT NULL: fails on insert, after matches and odds went in
    broken = replace(files[0], quarantine=broken_quarantine)
    with pytest.raises(sa.exc.DBAPIError):
        store.write_parsed_file(broken, "sha-broken")
    pd.testing.assert_frame_equal(store.summary(), before)
    assert store.ingested_hashes()[files[0].source_file] == f"sha-1-{files[0].source_file}"


def test_match_already_stored_from_another_file_is_quarantined(store: Store, files: list[ParsedFile]) -> None:
    store.write_parsed_file(files[0], "a")
    copy = replace(
        files[0],
        source_file="copies/E0.csv",
        matches=files[0].matches.iloc[:10].assign(**{c.SOURCE_FILE: "copies/E0.csv"}),
        odds=files[0].odds.merge(files[0].matches.iloc[:10][list(c.MATCH_KEY)], on=list(c.MATCH_KEY)),
        quarantine=files[0].quarantine.iloc[:0],
    )
    result = store.write_parsed_file(copy, "b")
    assert (result.matches, result.odds_rows, result.duplicates, result.quarantined) == (0, 0, 10, 10)
    quarantined = store.read_quarantine(source_file="copies/E0.csv")
    assert len(quarantined) == 10
    assert quarantined[c.REASON].str.contains(f"already stored from {files[0].source_file} line").all()
    assert quarantined[c.SOURCE_LINE].tolist() == files[0].matches[c.SOURCE_LINE].iloc[:10].tolist()
    assert len(store.read_matches()) == 380


def test_read_quarantine(store: Store, files: list[ParsedFile]) -> None:
    write_all(store, files)
    quarantined = store.read_quarantine(seasons=["2324"])
    assert list(quarantined.columns) == list(c.QUARANTINE_COLUMNS)
    pd.testing.assert_frame_equal(quarantined, files[1].quarantine, check_dtype=False)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda f: replace(f, matches=f.matches.drop(columns=[c.REFEREE])),
            "missing columns \\['referee'\\]",
        ),
        (
            lambda f: replace(f, matches=pd.concat([f.matches, f.matches.iloc[:1]])),
            "more than once \\(lines \\[2, 2\\]",
        ),
        (lambda f: replace(f, matches=f.matches.iloc[1:]), "odds rows for matches not in the file"),
        (lambda f: replace(f, odds=pd.concat([f.odds, f.odds.iloc[:3]])), "3 duplicate odds keys"),
    ],
)
def test_inconsistent_parsed_file_is_rejected_naming_the_file(
    duckdb_url: str, files: list[ParsedFile], change, message: str
) -> None:
    with Store.from_url(duckdb_url) as store:
        with pytest.raises(ValueError, match=f"^E0/2223.csv: .*{message}"):
            store.write_parsed_file(change(files[0]), "x")
        assert store.summary().empty


def test_schema_is_created_lazily_once_and_matches_the_table_objects(store_url: str) -> None:
    store = Store.from_url(store_url)
    if store.dialect == "duckdb":
        assert not Path(sa.make_url(store_url).database or "").exists()
    with store:
        assert store.summary().empty
        query = sa.text(
            "SELECT column_name FROM information_schema.columns WHERE table_name = :table "
            "AND table_schema = current_schema() ORDER BY ordinal_position"
        )
        with store.engine.connect() as conn:
            for table in store_schema.metadata.tables.values():
                names = conn.execute(query, {"table": table.name}).scalars().all()
                assert names == list(table.columns.keys())
    with Store.from_url(store_url) as reopened, reopened.engine.connect() as conn:
        versions = conn.execute(sa.text("SELECT version FROM schema_version")).scalars().all()
    assert versions == list(range(1, LATEST_VERSION + 1))


def _handicap_line_overflowing_real(parsed: ParsedFile) -> ParsedFile:
    odds = parsed.odds.copy()
    odds.loc[odds[c.MARKET] == c.MARKET_ASIAN_HANDICAP, c.LINE] = 1e39
    return replace(parsed, odds=odds)


def _shots_overflowing_smallint(parsed: ParsedFile) -> ParsedFile:
    return replace(
        parsed, matches=parsed.matches.assign(**{c.HOME_SHOTS: pd.array([40_000] * len(parsed.matches))})
    )


@pytest.mark.parametrize("damage", [_handicap_line_overflowing_real, _shots_overflowing_smallint])
def test_a_value_the_database_refuses_is_a_data_error_and_rolls_back(
    store: Store, files: list[ParsedFile], damage: Callable[[ParsedFile], ParsedFile]
) -> None:
    """The parser bounds every value first; if one got through, the file is refused alone, not the run."""
    write_all(store, files[:1])
    before = store.summary()
    with pytest.raises(sa.exc.DBAPIError) as raised:
        store.write_parsed_file(damage(files[1]), "sha-bad")
    assert is_data_error(raised.value)
    pd.testing.assert_frame_equal(store.summary(), before)
