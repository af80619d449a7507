"""Opening prices for served market models: season-file odds first, else the scheduled fixtures' odds."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pytest

from scoreline import columns as c
from scoreline.serving.opening_odds import CachedStoreOpeningPrices, PriceKey, store_opening_prices
from scoreline.serving.service import Fixture, OpeningPrices
from scoreline.simulate import simulate_league
from scoreline.store import Store
from tests.sources.fixtures_csv import fixtures_table
from tests.store.test_fixtures_store import fixtures_file, write_season_file


def test_scheduled_fixtures_prices_are_used_when_the_season_files_have_none(tmp_path: Path) -> None:
    season = simulate_league(n_teams=8, seasons=("2425",), seed=4).matches
    played, upcoming = season.iloc[:-8], season.iloc[-8:]
    url = f"duckdb:///{tmp_path / 'scoreline.duckdb'}"
    parsed, sha = fixtures_file(upcoming, tmp_path)
    with Store.from_url(url) as store:
        write_season_file(store, played, tmp_path)
        store.write_fixtures(parsed, sha)
    published = fixtures_table(upcoming).iloc[0]  # the prices written into fixtures.csv (Pinnacle first)
    first, last_played = upcoming.iloc[0], played.iloc[-1]
    asked = [
        Fixture("E0", str(row[c.HOME]), str(row[c.AWAY]), pd.Timestamp(day).to_pydatetime())
        for row, day in ((first, first[c.DATE]), (last_played, last_played[c.DATE]), (first, "2030-01-01"))
    ]
    prices = store_opening_prices(url, asked)
    assert prices[0] == pytest.approx(tuple(float(published[name]) for name in ("PSH", "PSD", "PSA")))
    assert prices[1] is not None  # a played match: its season file's opening prices
    assert prices[2] is None  # no such fixture anywhere


def test_cached_prices_are_read_once_per_league_and_season_until_they_expire() -> None:
    day = pd.Timestamp("2024-09-14")
    reads: list[tuple[set[str], set[str]]] = []

    def read(url: str, leagues: Iterable[str], seasons: Iterable[str]) -> dict[PriceKey, OpeningPrices]:
        reads.append((set(leagues), set(seasons)))
        return {("E0", day, "A", "B"): (2.0, 3.4, 3.9), ("D1", day, "C", "D"): (1.5, 4.2, 6.5)}

    now = [0.0]
    lookup = CachedStoreOpeningPrices("duckdb:///unused", ttl_seconds=60, clock=lambda: now[0], read=read)
    e0 = Fixture("E0", "A", "B", day.to_pydatetime())
    unknown = Fixture("E0", "A", "Z", day.to_pydatetime())
    assert lookup([e0, unknown]) == [(2.0, 3.4, 3.9), None]
    now[0] = 59.0
    assert lookup([e0]) == [(2.0, 3.4, 3.9)] and len(reads) == 1  # fresh: no read
    d1 = Fixture("D1", "C", "D", day.to_pydatetime())
    assert lookup([e0, d1]) == [(2.0, 3.4, 3.9), (1.5, 4.2, 6.5)]
    assert reads[1] == ({"D1"}, {"2425"})  # only the league-season it did not hold
    now[0] = 61.0
    lookup([e0])
    assert reads[2] == ({"E0"}, {"2425"})  # expired: read again


def test_the_cached_lookup_answers_as_the_store_does(tmp_path: Path) -> None:
    season = simulate_league(n_teams=8, seasons=("2425",), seed=4).matches
    url = f"duckdb:///{tmp_path / 'scoreline.duckdb'}"
    with Store.from_url(url) as store:
        write_season_file(store, season, tmp_path)
    asked = [
        Fixture("E0", str(row[c.HOME]), str(row[c.AWAY]), pd.Timestamp(row[c.DATE]).to_pydatetime())
        for _, row in season.head(6).iterrows()
    ]
    expected = store_opening_prices(url, asked)
    assert all(p is not None for p in expected)
    assert CachedStoreOpeningPrices(url)(asked) == expected
