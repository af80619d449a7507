"""Clustering insights pipeline: matches and closing odds from the store -> analysis -> report files.

Writes ``report.html`` (self-contained), ``clusters.parquet`` and ``insights.json`` into the output folder,
each through a temporary file and an atomic rename (or, for an ``s3://`` folder, one upload each of a
finished file), so a crash never leaves a half-written file and a rerun replaces the previous outputs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from scoreline import columns as c
from scoreline import storage
from scoreline.insights.analysis import ClusterAnalysis, analyse_clusters, cluster_table, insights_document
from scoreline.insights.clustering import Method
from scoreline.insights.report import render_report
from scoreline.odds import market_probabilities
from scoreline.store import Store

logger = logging.getLogger(__name__)

REPORT_FILE = "report.html"
CLUSTERS_FILE = "clusters.parquet"
INSIGHTS_FILE = "insights.json"
MARKET = "market"
MODEL = "model"
# Whose closing 1X2 prices stand for the market, in order of preference.
MARKET_BOOKMAKERS = ("pinnacle", "market_avg")


@dataclass(frozen=True)
class InsightsOutputs:
    """Where the pipeline wrote its files, and the analysis behind them."""

    report: Path | str
    clusters: Path | str
    insights: Path | str
    analysis: ClusterAnalysis


def closing_market_probabilities(odds: pd.DataFrame) -> pd.DataFrame:
    """Closing 1X2 probabilities per match (Pinnacle, else market average), de-vigged multiplicatively.

    Triples with a price not above 1 or an overround outside (1, 1.3] are left out. Returns the match key
    and ``p_home/p_draw/p_away``.
    """
    return market_probabilities(odds, c.CLOSING, "multiplicative")


def read_predictions(path: Path) -> pd.DataFrame:
    """Model predictions (parquet or CSV) with the match key and ``p_home/p_draw/p_away``."""
    frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    missing = [col for col in (*c.MATCH_KEY, *c.PROBABILITY_COLUMNS) if col not in frame.columns]
    if missing:
        raise ValueError(f"{path}: predictions lack columns {', '.join(missing)}")
    return frame.assign(**{c.DATE: pd.to_datetime(frame[c.DATE]).dt.normalize()})


def write_outputs(
    analysis: ClusterAnalysis, out_dir: Path | str, leagues: Sequence[str], seasons: Sequence[str]
) -> InsightsOutputs:
    """Write ``report.html``, ``clusters.parquet`` and ``insights.json`` into ``out_dir`` (a folder, created,
    or ``s3://bucket/prefix``)."""
    document = insights_document(analysis, leagues, seasons)
    html = render_report(analysis, document)
    paths = InsightsOutputs(
        storage.join(out_dir, REPORT_FILE),
        storage.join(out_dir, CLUSTERS_FILE),
        storage.join(out_dir, INSIGHTS_FILE),
        analysis=analysis,
    )
    with storage.staged_file(paths.clusters) as temporary:
        cluster_table(analysis).to_parquet(temporary, index=False)
    storage.write_bytes(paths.insights, json.dumps(document, indent=1))
    storage.write_bytes(paths.report, html)
    return paths


def run_cluster_insights(
    matches: pd.DataFrame,
    out_dir: Path | str,
    probabilities: Mapping[str, pd.DataFrame] | None = None,
    method: Method = "gmm",
    k_range: tuple[int, int] = (2, 8),
    covariance_type: str = "auto",
    n_boot: int = 30,
    seed: int = 0,
) -> InsightsOutputs:
    """Analyse ``matches`` and write the report files."""
    leagues = sorted(matches[c.LEAGUE].unique())
    seasons = sorted(matches[c.SEASON].unique())
    logger.info("clustering %d matches of %d leagues, %d seasons", len(matches), len(leagues), len(seasons))
    analysis = analyse_clusters(
        matches,
        probabilities,
        method=method,
        k_range=k_range,
        covariance_type=covariance_type,
        n_boot=n_boot,
        seed=seed,
    )
    return write_outputs(analysis, out_dir, leagues, seasons)


def cluster_insights_from_store(
    db_url: str,
    out_dir: Path | str,
    leagues: Sequence[str] | None = None,
    seasons: Sequence[str] | None = None,
    predictions: Path | None = None,
    method: Method = "gmm",
    k_range: tuple[int, int] = (2, 8),
    covariance_type: str = "auto",
    n_boot: int = 30,
    seed: int = 0,
) -> InsightsOutputs:
    """Read matches and closing odds from the store (and model predictions if given), analyse, write."""
    with Store.from_url(db_url) as store:
        matches = store.read_matches(leagues, seasons)
        odds = store.read_odds(
            leagues, seasons, market=c.MARKET_1X2, timing=c.CLOSING, bookmakers=MARKET_BOOKMAKERS
        )
    if matches.empty:
        raise ValueError(
            f"the store at {db_url} holds no matches for leagues {leagues} and seasons {seasons}"
        )
    probabilities = {MARKET: closing_market_probabilities(odds)} if len(odds) else {}
    if predictions is not None:
        probabilities[MODEL] = read_predictions(predictions)
    return run_cluster_insights(
        matches,
        out_dir,
        probabilities,
        method=method,
        k_range=k_range,
        covariance_type=covariance_type,
        n_boot=n_boot,
        seed=seed,
    )
