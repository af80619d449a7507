"""Ingestion pipeline: simulated football-data files on disk -> parser -> DuckDB store."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from scoreline import columns as c
from scoreline.pipelines.ingest import FileOutcome, FileStatus, ingest
from scoreline.simulate import SimulatedLeague, simulate_league, write_football_data_csv
from scoreline.sources.football_data import SourceFile, discover_local
from scoreline.store import Store

SEASONS = ("2223", "2324")


@pytest.fixture(scope="module")
def league() -> SimulatedLeague:
    return simulate_league(n_teams=8, seasons=SEASONS, seed=3, strength_spread=0.15)


def write_mirror(root: Path, league: SimulatedLeague) -> Path:
    """E0 and a copy named SP1 (same teams, other league code), both seasons, with real-file quirks."""
    for code in ("E0", "SP1"):
        for season in SEASONS:
            matches = league.matches[league.matches[c.SEASON] == season].assign(**{c.LEAGUE: code})
            write_football_data_csv(
                matches, root / code / f"{season}.csv", two_digit_year=season == "2223", bom=True, crlf=True
            )
    return root


def add_bad_line(path: Path) -> None:
    """Append a line whose home goals are not a number: the line is quarantined, nothing else lost."""
    text = path.read_bytes().decode("utf-8-sig")
    first = text.splitlines()[1].split(",")
    first[4] = "Nowhere FC"  # HomeTeam: a new fixture, so it is not a duplicate
    first[5] = "x"  # FTHG
    path.write_bytes(("\ufeff" + text + ",".join(first) + "\r\n").encode("utf-8"))


@pytest.fixture
def mirror(tmp_path: Path, league: SimulatedLeague) -> Path:
    return write_mirror(tmp_path / "mirror", league)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store.from_url(f"duckdb:///{tmp_path / 'db' / 'store.duckdb'}") as opened:
        yield opened


def test_ingest_stores_every_match_with_its_result(
    mirror: Path, store: Store, league: SimulatedLeague
) -> None:
    seen: list[FileOutcome] = []
    report = ingest(store, discover_local(mirror), progress=seen.append)
    assert report.ok and report.count(FileStatus.STORED) == 4
    assert [o.source_file for o in seen] == ["E0/2223.csv", "E0/2324.csv", "SP1/2223.csv", "SP1/2324.csv"]
    stored = store.read_matches(leagues=["E0"])
    expected = league.matches.sort_values([c.KICKOFF, c.HOME], kind="stable").reset_index(drop=True)
    assert len(stored) == len(expected) == 2 * 56
    assert stored[c.HOME].tolist() == expected[c.HOME].tolist()
    assert stored[c.HOME_GOALS].astype(int).tolist() == expected[c.HOME_GOALS].tolist()
    assert stored[c.RESULT].tolist() == expected[c.RESULT].tolist()
    assert (stored[c.DATE] == expected[c.DATE]).all()
    summary = store.summary()
    assert summary[["league", "season", "matches", "matches_with_result"]].values.tolist() == [
        ["E0", "2223", 56, 56], ["E0", "2324", 56, 56], ["SP1", "2223", 56, 56], ["SP1", "2324", 56, 56]
    ]  # fmt: skip
    assert store.read_quarantine().empty
    closing = store.read_odds(leagues=["E0"], market=c.MARKET_1X2, timing=c.CLOSING, bookmakers=["pinnacle"])
    assert len(closing) == 3 * 112
    assert closing[c.PRICE].gt(1).all()


def test_second_ingestion_adds_nothing(mirror: Path, store: Store) -> None:
    ingest(store, discover_local(mirror))
    before = store.summary()
    files_before = store.read_ingested_files()
    report = ingest(store, discover_local(mirror))
    assert report.count(FileStatus.UNCHANGED) == 4 and report.totals()["matches"] == 0
    pd.testing.assert_frame_equal(store.summary(), before)
    pd.testing.assert_frame_equal(store.read_ingested_files(), files_before)


def test_changed_file_replaces_its_rows_and_bad_line_is_quarantined(mirror: Path, store: Store) -> None:
    ingest(store, discover_local(mirror))
    add_bad_line(mirror / "E0" / "2324.csv")
    report = ingest(store, discover_local(mirror))
    assert [o.status for o in report.files] == [
        FileStatus.UNCHANGED, FileStatus.REPLACED, FileStatus.UNCHANGED, FileStatus.UNCHANGED
    ]  # fmt: skip
    replaced = report.files[1]
    assert (replaced.rows_read, replaced.matches) == (57, 56)
    quarantined = store.read_quarantine(seasons=["2324"])
    assert quarantined[c.SOURCE_LINE].tolist() == [58]
    assert "FTHG" in quarantined[c.FIELD].iloc[0]
    assert quarantined[c.RAW].iloc[0].split(",")[5] == "x"
    summary = store.summary().set_index(["league", "season"])
    assert summary.loc[("E0", "2324"), "matches"] == 56
    assert summary.loc[("E0", "2324"), "quarantined"] == 1


@dataclass(frozen=True)
class VanishedFile:
    """A discovered file deleted before it is read."""

    league: str
    season: str
    source_file: str

    def read_bytes(self) -> bytes:
        raise FileNotFoundError(f"{self.source_file} is gone")


def test_unreadable_file_fails_alone(mirror: Path, store: Store) -> None:
    files: list[SourceFile | VanishedFile] = list(discover_local(mirror))
    files.insert(1, VanishedFile("E1", "2324", "E1/2324.csv"))
    report = ingest(store, files)
    assert [o.source_file for o in report.failed] == ["E1/2324.csv"]
    assert "FileNotFoundError: E1/2324.csv is gone" in (report.failed[0].error or "")
    assert report.count(FileStatus.STORED) == 4
    assert not report.ok
    assert int(store.summary()["matches"].sum()) == 4 * 56


def test_unusable_file_is_recorded_with_its_quarantine_row(mirror: Path, store: Store) -> None:
    (mirror / "E1").mkdir()
    (mirror / "E1" / "2324.csv").write_bytes(b"no,header,here\n1,2,3\n")
    report = ingest(store, discover_local(mirror))
    assert report.ok and report.count(FileStatus.STORED) == 5
    quarantined = store.read_quarantine(source_file="E1/2324.csv")
    assert len(quarantined) == 1 and quarantined[c.SOURCE_LINE].iloc[0] == 1
    row = store.summary().set_index(["league", "season"]).loc[("E1", "2324")]
    assert (row["matches"], row["odds_rows"], row["quarantined"]) == (0, 0, 1)
    assert ingest(store, discover_local(mirror)).count(FileStatus.UNCHANGED) == 5
