"""A self-contained HTML backtest report: tables plus matplotlib figures embedded as base64 PNGs (no CDN)."""

from __future__ import annotations

import base64
import io
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from scoreline import columns as c
from scoreline.evaluation import metrics
from scoreline.evaluation.betting import CUMULATIVE_PROFIT, betting_summary, cumulative_profit
from scoreline.evaluation.predictions import MODEL
from scoreline.evaluation.scoring import common_matches, models_in
from scoreline.io import write_atomic

TEMPLATE = "report.html"


def _png(figure: Any) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure(width: float = 10.0, height: float = 4.0, ncols: int = 1) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(1, ncols, figsize=(width, height), squeeze=False)


def reliability_figure(predictions: pd.DataFrame, n_bins: int = metrics.DEFAULT_BINS) -> str:
    """Reliability diagrams, one panel per outcome, one line per forecaster (on the common matches)."""
    aligned, _ = common_matches(predictions)
    figure, axes = _figure(12, 4, ncols=len(c.OUTCOMES))
    for name in models_in(aligned):
        rows = aligned[aligned[MODEL] == name]
        curve = metrics.reliability_curve(
            rows[list(c.PROBABILITY_COLUMNS)].to_numpy(dtype=float),
            metrics.outcome_indices(rows[c.RESULT]),
            n_bins,
        )
        for ax, outcome in zip(axes[0], c.OUTCOMES, strict=True):
            part = curve[curve["outcome"] == outcome]
            ax.plot(part["mean_predicted"], part["observed_frequency"], marker="o", ms=3, label=name)
    for ax, outcome in zip(axes[0], c.OUTCOMES, strict=True):
        ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
        ax.set(
            title=outcome,
            xlabel="forecast probability",
            ylabel="observed frequency",
            xlim=(0, 1),
            ylim=(0, 1),
        )
    axes[0][0].legend(fontsize=7)
    return _png(figure)


def rps_by_season_figure(scores: dict[str, Any]) -> str:
    """Pooled RPS per season, one line per forecaster."""
    table = pd.DataFrame(scores["by_season"])
    figure, axes = _figure()
    ax = axes[0][0]
    for name, rows in table.groupby(MODEL, sort=False):
        ax.plot(rows["season"], rows["rps"], marker="o", label=name)
    ax.set(xlabel="season", ylabel="mean RPS (lower is better)")
    ax.legend(fontsize=7)
    return _png(figure)


def profit_figure(bets: pd.DataFrame) -> str:
    """Cumulative value-betting profit (bankroll units) per model over time."""
    figure, axes = _figure()
    ax = axes[0][0]
    curve = cumulative_profit(bets)
    for name, rows in curve.groupby(MODEL, sort=False):
        ax.step(rows[c.KICKOFF], rows[CUMULATIVE_PROFIT], where="post", label=name)
    ax.axhline(0, color="grey", lw=0.8)
    ax.set(xlabel="kickoff", ylabel="cumulative profit (units)")
    ax.legend(fontsize=7)
    return _png(figure)


def render_report(
    scores: dict[str, Any],
    predictions: pd.DataFrame,
    bets: pd.DataFrame | None = None,
    title: str = "scoreline backtest",
    n_bins: int = metrics.DEFAULT_BINS,
) -> str:
    """HTML of the report for ``scores`` (from :func:`scoring.score`) and the predictions they came from."""
    from jinja2 import Environment, select_autoescape

    names = list(scores["pooled"])
    leaderboard = sorted(({"model": n, **scores["pooled"][n]} for n in names), key=lambda row: row["rps"])
    per_cell = pd.DataFrame(scores["by_league_season"])
    league_seasons = [
        {
            "league": league,
            "season": season,
            "n": int(rows["n"].iloc[0]),
            "rps": rows.set_index(MODEL)["rps"].reindex(names).tolist(),
        }
        for (league, season), rows in per_cell.groupby(["league", "season"], sort=True)
    ]
    figures = [
        {"title": "Reliability per outcome", "png": reliability_figure(predictions, n_bins)},
        {"title": "RPS by season", "png": rps_by_season_figure(scores)},
    ]
    betting = None
    if bets is not None and len(bets) > 0:
        figures.append({"title": "Cumulative value-betting profit", "png": profit_figure(bets)})
        betting = betting_summary(bets)
    template = resources.files("scoreline.evaluation").joinpath("templates", TEMPLATE).read_text("utf-8")
    environment = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    return environment.from_string(template).render(
        title=title,
        matches=scores["matches"],
        leaderboard=leaderboard,
        pairwise=scores["pairwise"],
        level_percent=round(100 * scores.get("bootstrap", {}).get("level", 0.95)),
        models=names,
        league_seasons=league_seasons,
        figures=figures,
        betting=betting,
    )


def write_report(path: Path | str, scores: dict[str, Any], predictions: pd.DataFrame, **options: Any) -> Path:
    """Write :func:`render_report` to ``path`` (atomically) and return the path."""
    return write_atomic(path, render_report(scores, predictions, **options))
