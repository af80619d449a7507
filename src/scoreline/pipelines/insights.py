"""Clustering insights pipeline: matches and closing odds from the store -> analysis -> report files.

Writes ``report.html`` (self-contained), ``clusters.parquet`` and ``insights.json`` into the output folder,
each through a temporary file and an atomic rename, so a crash never leaves a half-written file and a rerun
replaces the previous outputs.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from scoreline import columns as c
from scoreline.insights.analysis import ClusterAnalysis, analyse_clusters, cluster_table, insights_document
from scoreline.insights.clustering import Method
from scoreline.insights.report import render_report
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

    report: Path
    clusters: Path
    insights: Path
    analysis: ClusterAnalysis


def closing_market_probabilities(odds: pd.DataFrame) -> pd.DataFrame:
    """De-vigged closing 1X2 probabilities per match from a long odds frame (Pinnacle, else market average).

    Multiplicative de-vig (implied probabilities divided by their sum); triples with a price not above 1 or
    an overround outside (1, 1.3] are dropped. Returns the match key and ``p_home/p_draw/p_away``.
    """
    rows = odds[
        (odds[c.MARKET] == c.MARKET_1X2)
        & (odds[c.TIMING] == c.CLOSING)
        & odds[c.BOOKMAKER].isin(MARKET_BOOKMAKERS)
    ]
    key = list(c.MATCH_KEY)
    price_columns = [f"price_{outcome}" for outcome in c.OUTCOMES]  # outcome names clash with key columns
    rows = rows.assign(**{c.OUTCOME: rows[c.OUTCOME].map(dict(zip(c.OUTCOMES, price_columns, strict=True)))})
    wide = rows.pivot_table(index=[*key, c.BOOKMAKER], columns=c.OUTCOME, values=c.PRICE, aggfunc="first")
    wide = wide.reindex(columns=price_columns).reset_index()
    prices = wide[price_columns].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        implied = 1.0 / prices
        booksum = implied.sum(axis=1)
    ok = np.all(prices > 1.0, axis=1) & (booksum > 1.0) & (booksum <= 1.3)
    fair = implied / booksum[:, None]
    out = wide[[*key, c.BOOKMAKER]].assign(**{p: fair[:, i] for i, p in enumerate(c.PROBABILITY_COLUMNS)})[ok]
    rank = out[c.BOOKMAKER].map({name: i for i, name in enumerate(MARKET_BOOKMAKERS)})
    best = out.assign(_rank=rank).sort_values([*key, "_rank"]).drop_duplicates(key)
    return best[[*key, *c.PROBABILITY_COLUMNS]].reset_index(drop=True)


def read_predictions(path: Path) -> pd.DataFrame:
    """Model predictions (parquet or CSV) with the match key and ``p_home/p_draw/p_away``."""
    frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    missing = [col for col in (*c.MATCH_KEY, *c.PROBABILITY_COLUMNS) if col not in frame.columns]
    if missing:
        raise ValueError(f"{path}: predictions lack columns {', '.join(missing)}")
    return frame.assign(**{c.DATE: pd.to_datetime(frame[c.DATE]).dt.normalize()})


def _write_atomic(path: Path, write: object) -> None:
    """Call ``write(temporary_path)`` then rename the result onto ``path``."""
    assert callable(write)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        write(Path(temporary))
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def write_outputs(
    analysis: ClusterAnalysis, out_dir: Path, leagues: Sequence[str], seasons: Sequence[str]
) -> InsightsOutputs:
    """Write ``report.html``, ``clusters.parquet`` and ``insights.json`` into ``out_dir`` (created)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    document = insights_document(analysis, leagues, seasons)
    html = render_report(analysis, document)
    paths = InsightsOutputs(
        out_dir / REPORT_FILE, out_dir / CLUSTERS_FILE, out_dir / INSIGHTS_FILE, analysis=analysis
    )
    _write_atomic(paths.clusters, lambda p: cluster_table(analysis).to_parquet(p, index=False))
    _write_atomic(paths.insights, lambda p: p.write_text(json.dumps(document, indent=1), "utf-8"))
    _write_atomic(paths.report, lambda p: p.write_text(html, "utf-8"))
    return paths


def run_cluster_insights(
    matches: pd.DataFrame,
    out_dir: Path,
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
    out_dir: Path,
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
