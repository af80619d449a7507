"""Ingestion pipeline: simulated football-data files on disk -> parser -> DuckDB store."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import pytest

from scoreline import columns as c
from scoreline.pipelines.ingest import INTERNAL_ERROR, FileOutcome, FileStatus, ingest
from scoreline.simulate import SimulatedLeague, simulate_league, write_football_data_csv
from scoreline.sources.football_data import SourceFile, discover_folder
from scoreline.sources.football_data_parser import ParsedFile, parse_football_data
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
    report = ingest(store, discover_folder(mirror), progress=seen.append)
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
    ingest(store, discover_folder(mirror))
    before = store.summary()
    files_before = store.read_ingested_files()
    report = ingest(store, discover_folder(mirror))
    assert report.count(FileStatus.UNCHANGED) == 4 and report.totals()["matches"] == 0
    pd.testing.assert_frame_equal(store.summary(), before)
    pd.testing.assert_frame_equal(store.read_ingested_files(), files_before)


def test_changed_file_replaces_its_rows_and_bad_line_is_quarantined(mirror: Path, store: Store) -> None:
    ingest(store, discover_folder(mirror))
    add_bad_line(mirror / "E0" / "2324.csv")
    report = ingest(store, discover_folder(mirror))
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
    day_first: bool = False

    def read_bytes(self) -> bytes:
        raise FileNotFoundError(f"{self.source_file} is gone")

    def known_sha256(self) -> str | None:
        return None


def test_unreadable_file_fails_alone(mirror: Path, store: Store) -> None:
    files: list[SourceFile | VanishedFile] = list(discover_folder(mirror))
    files.insert(1, VanishedFile("E1", "2324", "E1/2324.csv"))
    report = ingest(store, files)
    assert [o.source_file for o in report.failed] == ["E1/2324.csv"]
    assert "FileNotFoundError: E1/2324.csv is gone" in (report.failed[0].error or "")
    assert report.count(FileStatus.STORED) == 4
    assert not report.ok
    assert int(store.summary()["matches"].sum()) == 4 * 56


def test_unusable_file_is_quarantined_and_counts_as_failed_until_it_changes(
    mirror: Path, store: Store, league: SimulatedLeague
) -> None:
    (mirror / "E1").mkdir()
    (mirror / "E1" / "2324.csv").write_bytes(b"no,header,here\n1,2,3\n")
    report = ingest(store, discover_folder(mirror))
    assert not report.ok and report.count(FileStatus.STORED) == 4
    assert [(o.source_file, o.status) for o in report.failed] == [("E1/2324.csv", FileStatus.QUARANTINED)]
    assert (
        report.failed[0].error
        == "line 1, header: not a football-data CSV: header lacks Date, HomeTeam, AwayTeam"
    )
    quarantined = store.read_quarantine(source_file="E1/2324.csv")
    assert len(quarantined) == 1 and quarantined[c.SOURCE_LINE].iloc[0] == 1
    row = store.summary().set_index(["league", "season"]).loc[("E1", "2324")]
    assert (row["matches"], row["odds_rows"], row["quarantined"]) == (0, 0, 1)
    again = ingest(store, discover_folder(mirror))
    assert again.count(FileStatus.UNCHANGED) == 4 and [o.status for o in again.failed] == [
        FileStatus.QUARANTINED
    ]
    assert (again.failed[0].error or "").startswith("unchanged since quarantined: line 1, header:")
    season = league.matches[league.matches[c.SEASON] == "2324"]
    write_football_data_csv(season.assign(**{c.LEAGUE: "E1"}), mirror / "E1" / "2324.csv")
    fixed = ingest(store, discover_folder(mirror))
    assert fixed.ok and fixed.count(FileStatus.REPLACED) == 1


def _set_cell(path: Path, line: int, column: str, value: str) -> None:
    """Set one cell of a (BOM, CRLF) football-data file written by ``write_football_data_csv``."""
    lines = path.read_bytes().decode("utf-8-sig").split("\r\n")
    header = lines[0].split(",")
    fields = lines[line - 1].split(",")
    fields[header.index(column)] = value
    lines[line - 1] = ",".join(fields)
    path.write_bytes(("\ufeff" + "\r\n".join(lines)).encode())


def test_values_too_large_for_the_database_are_quarantined_not_fatal(mirror: Path, store: Store) -> None:
    """Reproduction: ``1e39`` in a handicap line (REAL) or ``1e300`` as a price aborted the whole run."""
    _set_cell(mirror / "E0" / "2223.csv", 5, "AHh", "1e39")
    _set_cell(mirror / "E0" / "2324.csv", 7, "B365CH", "1e300")
    report = ingest(store, discover_folder(mirror))
    assert report.ok and report.count(FileStatus.STORED) == 4
    assert int(store.summary()["matches"].sum()) == 4 * 56
    quarantined = store.read_quarantine(leagues=["E0"])
    assert quarantined[[c.SOURCE_FILE, c.SOURCE_LINE, c.FIELD]].values.tolist() == [
        ["E0/2223.csv", 5, "AHh"], ["E0/2324.csv", 7, "B365CH"]
    ]  # fmt: skip
    assert store.read_odds()[c.PRICE].max() <= 1000


def _unchecked_line(
    content: bytes, source_file: str, season: str, league: str | None = None, **options: bool
) -> ParsedFile:
    """The parser's output for E0/2324 with a handicap line no REAL holds: what an unchecked parser gave."""
    parsed = parse_football_data(content, source_file, season, league, **options)
    if source_file != "E0/2324.csv":
        return parsed
    odds = parsed.odds.copy()
    odds.loc[odds[c.MARKET] == c.MARKET_ASIAN_HANDICAP, c.LINE] = 1e39
    return replace(parsed, odds=odds)


def test_value_the_database_refuses_fails_its_file_alone(mirror: Path, store: Store) -> None:
    report = ingest(store, discover_folder(mirror), parse=_unchecked_line)
    assert [(o.source_file, o.status) for o in report.failed] == [("E0/2324.csv", FileStatus.FAILED)]
    assert "Conversion Error" in (report.failed[0].error or "")
    assert report.count(FileStatus.STORED) == 3
    assert "E0/2324.csv" not in set(store.read_ingested_files()[c.SOURCE_FILE])
    assert int(store.summary()["matches"].sum()) == 3 * 56


def _broken_on_sp1(
    content: bytes, source_file: str, season: str, league: str | None = None, **options: bool
) -> ParsedFile:
    if source_file.startswith("SP1/2223"):
        raise IndexError("simulated parser bug")
    return parse_football_data(content, source_file, season, league, **options)


def test_parser_bug_on_one_file_fails_that_file_alone(mirror: Path, store: Store) -> None:
    report = ingest(store, discover_folder(mirror), parse=_broken_on_sp1)
    assert [(o.source_file, o.error) for o in report.failed] == [
        ("SP1/2223.csv", f"{INTERNAL_ERROR}: IndexError: simulated parser bug")
    ]
    assert report.count(FileStatus.STORED) == 3


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (lambda text: text.replace("HomeTeam", "Home\rTeam", 1), "header is not UTF-8 text"),
        (lambda text: gzip.compress(text.encode()), "not a CSV file but gzip-compressed data"),
    ],
)
def test_header_with_a_bare_carriage_return_or_gzip_content_is_quarantined(
    mirror: Path, store: Store, content: Callable[[str], str | bytes], reason: str
) -> None:
    """Reproduction: ``_csv.Error`` in ``_header_names`` aborted the whole run."""
    path = mirror / "SP1" / "2223.csv"
    damaged = content(path.read_bytes().decode("utf-8-sig"))
    path.write_bytes(damaged if isinstance(damaged, bytes) else damaged.encode())
    report = ingest(store, discover_folder(mirror))
    assert [(o.source_file, o.status) for o in report.failed] == [("SP1/2223.csv", FileStatus.QUARANTINED)]
    assert reason in (report.failed[0].error or "")
    assert report.count(FileStatus.STORED) == 3 and int(store.summary()["matches"].sum()) == 3 * 56
