"""The parser on the whole real mirror, checked against an independent reading with the csv module."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from scoreline import columns as c
from scoreline.sources.football_data import discover_folder
from scoreline.sources.football_data_parser import ParsedFile, parse_football_data
from scoreline.sources.validation import validate_matches

CLOSING_COLUMNS = {"PSCH": "pinnacle", "AvgCH": "market_avg"}


def raw_rows(content: bytes) -> tuple[int, dict[str, dict[int, float]]]:
    """Non-blank data rows, and per closing column the line -> price of rows quoting a valid price."""
    reader = csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""))
    header = next(reader)
    positions = {name: header.index(name) for name in CLOSING_COLUMNS if name in header}
    count = 0
    closing: dict[str, dict[int, float]] = {name: {} for name in positions}
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        count += 1
        for name, position in positions.items():
            try:
                price = float(row[position])
            except ValueError:
                continue
            if price > 1:
                closing[name][reader.line_num] = price
    return count, closing


def closing_prices(parsed: ParsedFile) -> dict[str, dict[int, float]]:
    """Bookmaker -> line -> closing 1X2 home price, for the bookmakers of :data:`CLOSING_COLUMNS`."""
    odds = parsed.odds
    chosen = odds[
        (odds[c.MARKET].to_numpy() == c.MARKET_1X2)
        & (odds[c.TIMING].to_numpy() == c.CLOSING)
        & (odds[c.OUTCOME].to_numpy() == "home")
        & odds[c.BOOKMAKER].isin(list(CLOSING_COLUMNS.values())).to_numpy()
    ]
    matches = parsed.matches
    line_of = dict(
        zip(
            zip(matches[c.DATE], matches[c.HOME], matches[c.AWAY], strict=True),
            matches[c.SOURCE_LINE],
            strict=True,
        )
    )
    out: dict[str, dict[int, float]] = {bookmaker: {} for bookmaker in CLOSING_COLUMNS.values()}
    for date, home, away, bookmaker, price in zip(
        chosen[c.DATE], chosen[c.HOME], chosen[c.AWAY], chosen[c.BOOKMAKER], chosen[c.PRICE], strict=True
    ):
        out[bookmaker][line_of[(date, home, away)]] = price
    return out


@pytest.mark.slow
def test_every_real_file_parses_with_every_row_accounted_for(shared_data: Path) -> None:
    root = shared_data / "football-data"
    sources = discover_folder(root)
    manifest = pd.read_csv(root / "manifest.csv", dtype={"season": str}).set_index(["league", "season"])
    assert len(sources) >= 280  # 286 files up to 2024/25 (2025/26 is held back)
    matches, total_rows = [], 0
    for source in sources:
        content = source.read_bytes()
        parsed = parse_football_data(content, source.source_file, source.season)
        rows, closing = raw_rows(content)
        total_rows += rows
        assert parsed.league == source.league
        assert parsed.rows_read == rows, source.source_file
        assert len(parsed.matches) + parsed.rejected_lines == rows, source.source_file
        assert len(parsed.matches) == manifest.loc[(source.league, source.season), "rows"], source.source_file
        parsed_closing = closing_prices(parsed)
        for column, bookmaker in CLOSING_COLUMNS.items():
            assert parsed_closing[bookmaker] == closing.get(column, {}), (source.source_file, column)
        matches.append(parsed.matches)
    everything = validate_matches(pd.concat(matches, ignore_index=True))
    assert len(everything) == total_rows
    assert everything[c.KICKOFF].min() >= pd.Timestamp("2000-08-01")
    abandoned = everything[(everything[c.HOME] == "Panathinaikos") & (everything[c.AWAY] == "Olympiakos")]
    abandoned = abandoned[abandoned[c.DATE] == pd.Timestamp("2019-03-17")]
    assert len(abandoned) == 1 and abandoned[c.RESULT].iloc[0] is None
    assert everything[c.RESULT].isna().sum() == 1
