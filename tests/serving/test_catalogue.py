"""Catalogue, snapshots and the store-backed fixture source."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from scoreline import columns as c
from scoreline.serving.catalogue import (
    Catalogue,
    League,
    StoreFixtureSource,
    StoreUnavailableError,
    UnknownNamesError,
    latest_of,
    season_start_year,
)

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
    catalogue = Catalogue([League("E0", "2425", ("Arsenal", "Chelsea", "Man United", "Man City"))])
    assert catalogue.resolve("e0", "ARSENAL", "man city") == ("E0", "Arsenal", "Man City")
    with pytest.raises(UnknownNamesError) as caught:
        catalogue.resolve("E0", "Arsenl", "Man Utd")
    fields = {field: error for field, error in caught.value.problems}
    assert fields["home"].suggestions == ["Arsenal"]
    assert fields["away"].suggestions[0] == "Man United"
    with pytest.raises(UnknownNamesError) as league:
        catalogue.resolve("Premier League", "Arsenal", "Chelsea")
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
