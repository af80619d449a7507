"""The whole football-data mirror into fresh stores, checked against counts made here from the raw files."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from scoreline import columns as c
from scoreline.pipelines.ingest import ingest
from scoreline.sources.football_data import discover_folder
from scoreline.sources.football_data_parser import VALUE_DROPPED
from scoreline.store import Store

pytestmark = [pytest.mark.slow, pytest.mark.shared_data]

CLOSING_1X2 = {"PSC": "pinnacle", "B365C": "bet365", "AvgC": "market_avg", "MaxC": "market_max"}


def raw_data_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(physical line, fields by header name) of every data row, skipping blank and comma-only rows."""
    reader = csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig", errors="replace"), newline=""))
    header = next(reader)
    for row in reader:
        if any(cell.strip() for cell in row):
            yield reader.line_num, dict(zip(header, row, strict=False))


def as_price(text: str | None) -> float | None:
    try:
        value = float(text or "")
    except ValueError:
        return None
    return value if value > 1 else None


@pytest.fixture(scope="module")
def mirror_root(shared_data: Path) -> Path:
    return shared_data / "football-data"


@pytest.fixture(scope="module")
def raw(mirror_root: Path) -> dict[str, list[tuple[int, dict[str, str]]]]:
    return {source.source_file: list(raw_data_rows(source.path)) for source in discover_folder(mirror_root)}


@pytest.fixture(scope="module")
def duckdb_store(mirror_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    with Store.from_url(f"duckdb:///{tmp_path_factory.mktemp('real') / 'store.duckdb'}") as store:
        report = ingest(store, discover_folder(mirror_root))
        assert report.ok, report.failed
        yield store


def rejected_lines(store: Store) -> pd.DataFrame:
    quarantine = store.read_quarantine()
    rejected = quarantine[
        (quarantine[c.SOURCE_LINE] >= 2) & ~quarantine[c.REASON].str.startswith(VALUE_DROPPED)
    ]
    return rejected[[c.SOURCE_FILE, c.SOURCE_LINE]].drop_duplicates()


def test_every_data_row_is_stored_or_quarantined(duckdb_store: Store, raw: dict) -> None:
    matches = duckdb_store.read_matches()
    stored = matches.groupby(c.SOURCE_FILE)[c.SOURCE_LINE].apply(set).to_dict()
    rejected = rejected_lines(duckdb_store).groupby(c.SOURCE_FILE)[c.SOURCE_LINE].apply(set).to_dict()
    assert len(raw) == 286
    for source_file, rows in raw.items():
        lines = {line for line, _ in rows}
        kept, dropped = stored.get(source_file, set()), rejected.get(source_file, set())
        assert not kept & dropped, source_file
        assert kept | dropped == lines, source_file
    assert len(matches) == sum(len(rows) for rows in raw.values()) - sum(
        len(lines) for lines in rejected.values()
    )


def test_matches_per_league_and_season_match_the_raw_files(duckdb_store: Store, raw: dict) -> None:
    rejected = rejected_lines(duckdb_store)[c.SOURCE_FILE].value_counts().to_dict()
    expected = {
        tuple(source_file.removesuffix(".csv").split("/")): len(rows) - rejected.get(source_file, 0)
        for source_file, rows in raw.items()
    }
    summary = duckdb_store.summary()
    keys = zip(summary[c.LEAGUE], summary[c.SEASON], strict=True)
    assert dict(zip(keys, summary["matches"], strict=True)) == expected
    assert summary["matches"].sum() > 100_000
    assert (summary["odds_rows"] > 0).all()


def test_closing_odds_present_wherever_the_raw_row_has_them(duckdb_store: Store, raw: dict) -> None:
    expected = pd.DataFrame(
        [
            (source_file, line, bookmaker, outcome, price)
            for source_file, rows in raw.items()
            for line, fields in rows
            for prefix, bookmaker in CLOSING_1X2.items()
            for side, outcome in zip("HDA", c.OUTCOMES, strict=True)
            if (price := as_price(fields.get(f"{prefix}{side}"))) is not None
        ],
        columns=[c.SOURCE_FILE, c.SOURCE_LINE, c.BOOKMAKER, c.OUTCOME, "raw_price"],
    )
    matches = duckdb_store.read_matches()[[*c.MATCH_KEY, c.SOURCE_FILE, c.SOURCE_LINE]]
    expected = expected.merge(matches, on=[c.SOURCE_FILE, c.SOURCE_LINE])  # rows stored as matches
    stored = duckdb_store.read_odds(
        market=c.MARKET_1X2, timing=c.CLOSING, bookmakers=list(CLOSING_1X2.values())
    )
    found = expected.merge(stored, on=[*c.MATCH_KEY, c.BOOKMAKER, c.OUTCOME], how="left")
    missing = found[found[c.PRICE].isna()]
    assert missing.empty, missing.head(10).to_string()
    assert (found[c.PRICE] - found["raw_price"]).abs().max() < 1e-9
    assert len(found) > 400_000


@pytest.mark.postgres
def test_postgresql_store_gets_the_same_summary(duckdb_store: Store, mirror_root: Path, pg_url: str) -> None:
    with Store.from_url(pg_url) as store:
        report = ingest(store, discover_folder(mirror_root))
        assert report.ok, report.failed
        pd.testing.assert_frame_equal(store.summary(), duckdb_store.summary())
        seasons = ["2324"]
        pd.testing.assert_frame_equal(
            store.read_matches(leagues=["E0"], seasons=seasons),
            duckdb_store.read_matches(leagues=["E0"], seasons=seasons),
        )
        pd.testing.assert_frame_equal(
            store.read_odds(leagues=["E0"], seasons=seasons),
            duckdb_store.read_odds(leagues=["E0"], seasons=seasons),
        )
