"""Opening prices for served market models: season-file odds first, else the scheduled fixtures' odds."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from scoreline import columns as c
from scoreline.serving.opening_odds import store_opening_prices
from scoreline.serving.service import Fixture
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
