"""The insights pipeline and CLI end to end: simulated CSVs -> ingest -> store -> report files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from scoreline import columns as c
from scoreline.cli.main import app
from scoreline.insights.clustering import cluster_agreement
from scoreline.insights.simulate_styles import StyledLeagues, simulate_styled_leagues
from scoreline.pipelines.insights import (
    CLUSTERS_FILE,
    INSIGHTS_FILE,
    REPORT_FILE,
    closing_market_probabilities,
    run_cluster_insights,
)
from scoreline.simulate import write_football_data_csv

runner = CliRunner()
TOP_LEVEL_KEYS = {
    "schema_version", "leagues", "seasons", "data", "features", "method", "n_clusters", "selection",
    "agreement_gmm_kmeans_ari", "stability", "clusters", "probability_sources", "points_vs_expected",
    "matchups", "min_matchup_matches", "transitions", "findings",
}  # fmt: skip


@pytest.fixture(scope="module")
def sim() -> StyledLeagues:
    return simulate_styled_leagues(n_leagues=2, n_teams=12, seasons=("2122", "2223", "2324"), seed=4)


def check_outputs(out: Path, sim: StyledLeagues, sources: set[str]) -> dict:
    document = json.loads((out / INSIGHTS_FILE).read_text())
    assert set(document) == TOP_LEVEL_KEYS
    assert document["leagues"] == ["L1", "L2"] and document["seasons"] == ["2122", "2223", "2324"]
    assert 2 <= document["n_clusters"] <= 8
    stability = document["stability"]
    assert -1 <= stability["ari_low"] <= stability["ari_mean"] <= stability["ari_high"] <= 1
    assert set(document["probability_sources"]) == sources
    assert {row["source"] for row in document["points_vs_expected"]["in_season"]} == {"baseline", *sources}
    # Every team-season is clustered; the planted styles come back.
    clusters = pd.read_parquet(out / CLUSTERS_FILE)
    season_rows = clusters[clusters["period"] == "season"]
    assert len(season_rows) == len(sim.styles) == document["data"]["team_seasons"]
    assert set(clusters["period"]) == {"season", "H1", "H2"}
    assert clusters["cluster"].between(0, document["n_clusters"] - 1).all()
    truth = season_rows.merge(sim.styles, on=[c.LEAGUE, c.SEASON, "team"], validate="one_to_one")
    assert cluster_agreement(truth["style"], truth["cluster"]) > 0.8
    assert sum(cl["team_seasons"] for cl in document["clusters"]) == len(season_rows)
    counts = np.asarray(document["transitions"]["counts"])
    assert counts.shape == (document["n_clusters"],) * 2
    assert counts.sum() == document["transitions"]["persistence"]["pairs"] == 2 * 12 * 2
    html = (out / REPORT_FILE).read_text()
    assert html.count('src="data:image/png;base64,') == 4
    assert "http://" not in html and "https://" not in html and "<script" not in html
    for cluster in document["clusters"]:
        assert cluster["name"] in html
    return document


@pytest.mark.slow
def test_run_cluster_insights_writes_the_three_files(sim: StyledLeagues, tmp_path: Path) -> None:
    before = sim.matches.copy()
    outputs = run_cluster_insights(
        sim.matches, tmp_path / "out", {"market": sim.naive_probabilities}, n_boot=5
    )
    pd.testing.assert_frame_equal(sim.matches, before)
    assert outputs.report == tmp_path / "out" / REPORT_FILE
    check_outputs(tmp_path / "out", sim, {"market"})
    assert not list((tmp_path / "out").glob(".*.tmp"))  # temporary files renamed or removed


def test_closing_market_probabilities_prefer_pinnacle_and_sum_to_one() -> None:
    key = {c.LEAGUE: "E0", c.DATE: pd.Timestamp("2024-08-17"), c.HOME: "A", c.AWAY: "B"}
    rows = []
    for bookmaker, prices in (("pinnacle", (2.0, 3.5, 4.0)), ("market_avg", (1.9, 3.4, 3.9))):
        for outcome, price in zip(c.OUTCOMES, prices, strict=True):
            rows.append({**key, c.BOOKMAKER: bookmaker, c.MARKET: c.MARKET_1X2, c.LINE: np.nan,
                         c.TIMING: c.CLOSING, c.OUTCOME: outcome, c.PRICE: price})  # fmt: skip
    second = {**key, c.HOME: "C"}  # only the market average, one price invalid
    for outcome, price in zip(c.OUTCOMES, (1.0, 3.0, 3.0), strict=True):
        rows.append({**second, c.BOOKMAKER: "market_avg", c.MARKET: c.MARKET_1X2, c.LINE: np.nan,
                     c.TIMING: c.CLOSING, c.OUTCOME: outcome, c.PRICE: price})  # fmt: skip
    probabilities = closing_market_probabilities(pd.DataFrame(rows))
    assert len(probabilities) == 1
    implied = np.array([1 / 2.0, 1 / 3.5, 1 / 4.0])
    np.testing.assert_allclose(probabilities[list(c.PROBABILITY_COLUMNS)].iloc[0], implied / implied.sum())


@pytest.mark.slow
def test_cli_from_ingested_store(sim: StyledLeagues, tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    for (league, season), part in sim.matches.groupby([c.LEAGUE, c.SEASON]):
        write_football_data_csv(part, mirror / str(league) / f"{season}.csv")
    db = f"duckdb:///{tmp_path / 'store.duckdb'}"
    ingest = runner.invoke(app, ["ingest", "--from-dir", str(mirror), "--db", db])
    assert ingest.exit_code == 0, ingest.output
    out = tmp_path / "report"
    args = ["insights", "clusters", "--db", db, "--out", str(out), "--n-boot", "5", "--seasons", "2122-2324"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "72 team-seasons" in result.output
    document = check_outputs(out, sim, {"market"})
    market = [row for row in document["points_vs_expected"]["in_season"] if row["source"] == "market"]
    assert sum(row["team_matches"] for row in market) == 2 * len(sim.matches)


def test_cli_rejects_bad_options(tmp_path: Path) -> None:
    result = runner.invoke(app, ["insights", "clusters", "--out", str(tmp_path), "--method", "dbscan"])
    assert result.exit_code != 0 and "gmm" in result.output
    result = runner.invoke(
        app, ["insights", "clusters", "--out", str(tmp_path), "--k-min", "5", "--k-max", "3"]
    )
    assert result.exit_code != 0 and "--k-max" in result.output
    empty = f"duckdb:///{tmp_path / 'empty.duckdb'}"
    result = runner.invoke(app, ["insights", "clusters", "--out", str(tmp_path / "o"), "--db", empty])
    assert result.exit_code == 1 and "holds no matches" in result.output
