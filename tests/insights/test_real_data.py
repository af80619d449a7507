"""The clustering report on the real top-5 leagues, 2015/16 to 2024/25 (skipped where the data is absent)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scoreline import columns as c
from scoreline.pipelines.insights import (
    CLUSTERS_FILE,
    INSIGHTS_FILE,
    REPORT_FILE,
    closing_market_probabilities,
    run_cluster_insights,
)
from scoreline.sources.football_data import discover_folder
from scoreline.sources.football_data_parser import parse_football_data
from scoreline.sources.seasons import parse_season_range

TOP5 = ("E0", "SP1", "D1", "I1", "F1")
SEASONS = parse_season_range("1516-2425")


@pytest.mark.shared_data
@pytest.mark.slow
def test_report_for_the_top_five_leagues(shared_data: Path, tmp_path: Path) -> None:
    files = discover_folder(shared_data / "football-data", TOP5, SEASONS)
    assert len(files) == 50
    parsed = [parse_football_data(f.read_bytes(), f.source_file, f.season, f.league) for f in files]
    matches = pd.concat([p.matches for p in parsed], ignore_index=True)
    market = closing_market_probabilities(pd.concat([p.odds for p in parsed], ignore_index=True))
    assert len(market) > 0.99 * len(matches)

    run_cluster_insights(matches, tmp_path, {"market": market}, n_boot=10)

    document = json.loads((tmp_path / INSIGHTS_FILE).read_text())
    clusters = pd.read_parquet(tmp_path / CLUSTERS_FILE)
    # Every team-season is clustered, with all its matches (34 or 38; 27-28 in Ligue 1's cut-short 2019/20).
    key = [c.LEAGUE, c.SEASON, "team"]
    sides = [matches[[c.LEAGUE, c.SEASON, side]].set_axis(key, axis=1) for side in (c.HOME, c.AWAY)]
    played = pd.concat(sides).groupby(key).size().rename("played").reset_index()
    season_rows = clusters[clusters["period"] == "season"]
    assert len(season_rows) == len(played) == document["data"]["team_seasons"]
    joined = season_rows.merge(played, on=key, validate="one_to_one")
    assert len(joined) == len(played) and (joined["matches"] == joined["played"]).all()
    assert set(joined.loc[joined["matches"] < 34, c.SEASON]) == {"1920"}
    assert sorted(document["leagues"]) == sorted(TOP5) and document["seasons"] == SEASONS
    # k within the searched range, for both methods; stability as an ARI with its interval.
    assert 2 <= document["n_clusters"] <= 8
    assert all(2 <= document["selection"][m]["k"] <= 8 for m in ("gmm", "kmeans"))
    stability = document["stability"]
    assert -1 <= stability["ari_low"] <= stability["ari_mean"] <= stability["ari_high"] <= 1
    assert stability["n_boot"] == 10
    # The clusters partition the team-seasons and every one has a distinct name.
    assert sum(cl["team_seasons"] for cl in document["clusters"]) == len(season_rows)
    assert len({cl["name"] for cl in document["clusters"]}) == document["n_clusters"]
    # Expected points against the de-vigged closing market: over all team-matches, points and expected points
    # agree to within a few hundredths (the market is close to calibrated on average).
    market_rows = pd.DataFrame(document["points_vs_expected"]["in_season"]).query("source == 'market'")
    total = market_rows["team_matches"].sum()
    assert total > 0.99 * 2 * len(matches)
    average_gap = (market_rows["difference"] * market_rows["team_matches"]).sum() / total
    assert abs(average_gap) < 0.02
    counts = np.asarray(document["transitions"]["counts"])
    assert counts.sum() == document["transitions"]["persistence"]["pairs"] > 600
    assert (tmp_path / REPORT_FILE).stat().st_size > 50_000
