"""The backtest pipeline: walk-forward predictions of catalogue models plus market benchmarks, scored.

Writes ``metrics.json`` (layout in docs/backtest.md), ``predictions.parquet`` (one row per match and model or
benchmark, with the training cutoff) and ``report.html`` to the output folder; fitted predictions are cached
in ``<out>/cache`` so an interrupted run resumes. The output folder may be ``s3://bucket/prefix``: the files
are written to a local staging folder (which keeps the cache) and uploaded once the run has succeeded,
metrics.json last (:func:`scoreline.storage.staged_folder`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from scoreline import columns as c
from scoreline import storage
from scoreline.evaluation import benchmarks, scoring
from scoreline.evaluation.betting import value_bets
from scoreline.evaluation.report import write_report
from scoreline.evaluation.walk_forward import (
    ProgressCallback,
    WalkForwardRun,
    walk_forward_runs,
)
from scoreline.leagues import training_divisions, with_training_divisions
from scoreline.models.base import GOAL_MODEL_WINDOW_DAYS, needs_opening_prices
from scoreline.models.catalogue import make_model, model_names
from scoreline.odds import OPENING_PRICE_COLUMNS, attach_opening_prices
from scoreline.pipelines.backtest_index import index_path, record_backtest
from scoreline.pipelines.data import MatchData
from scoreline.settings import get_settings

log = logging.getLogger(__name__)

GOAL_MODELS = ("poisson", "dixon_coles", "bivariate_poisson")
# Feature models rate teams within the test league only: a shared pool with the division below rates its
# promoted sides as if they were equals of the top flight (measured: E0 2023/24 Elo RPS 0.1974 with E0+E1,
# 0.1908 with E0 alone). Goal models use the neighbouring divisions through their promoted-team prior.
# Feature models get every past match of the test league: ratings computed from all of it beat ratings that
# restart four years back (measured on 2017/18-2020/21: pi_shots RPS 0.2006 with a 1460-day window, 0.1992
# with all history); each model learns from its own recent ``learn_days`` only. The stacked ensembles get the
# same and fit their goal models on the last GOAL_MODEL_WINDOW_DAYS themselves (``goal_model_days``).
FEATURE_MODEL_WINDOW_DAYS = None
# The neural network and the stacked ensembles cost 10-30x a goal model per fit: they are refitted monthly
# (their features are still computed from every match known at each refit).
SLOW_MODEL_CADENCE = {"keras_mlp": "month", "ensemble": "month", "ensemble_market": "month"}
BASELINE = "dixon_coles"
MARKET_BENCHMARKS = ("market_closing_shin", "market_opening_shin")
METRICS_FILE = "metrics.json"
# fitted predictions, so that an interrupted run resumes (kept in the local staging folder for s3:// outputs)
CACHE_FOLDER = "cache"


@dataclass(frozen=True)
class BacktestConfig:
    """What to backtest and how."""

    leagues: tuple[str, ...]
    test_seasons: tuple[str, ...]
    models: tuple[str, ...] = field(default_factory=lambda: tuple(model_names()))
    cadence: str = "week"
    n_jobs: int = 1
    n_boot: int = 2000
    seed: int = 0
    # A Dask scheduler (tcp://host:8786) that runs the fits instead of the local process pool: the results
    # are the same. Defaults to SCORELINE_DASK_ADDRESS; None runs locally.
    dask_address: str | None = field(default_factory=lambda: get_settings().dask_address)


def _window(name: str) -> int | None:
    """Training window in days (``None``: all history)."""
    return GOAL_MODEL_WINDOW_DAYS if name in GOAL_MODELS else FEATURE_MODEL_WINDOW_DAYS


def training_leagues(model: str, leagues: Sequence[str]) -> list[str]:
    """The leagues ``model`` learns from when it predicts ``leagues``, as in the backtest: goal models also
    learn from the neighbouring divisions (promoted teams' history), feature models from the leagues alone."""
    return with_training_divisions(leagues) if model in GOAL_MODELS else list(leagues)


def _cadence(name: str, default: str) -> str:
    return SLOW_MODEL_CADENCE.get(name, default) if default == "week" else default


def model_predictions(
    data: MatchData, config: BacktestConfig, cache_dir: Path | None, progress: ProgressCallback | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """Walk-forward predictions, failures and fit counts of ``config.models``, grouped by training window."""
    unknown = [name for name in config.models if name not in model_names()]
    if unknown:
        raise KeyError(f"unknown model(s) {unknown}; choose from {model_names()}")
    features = attach_opening_prices(data.matches, data.odds)[[*c.MATCH_KEY, *OPENING_PRICE_COLUMNS]]
    groups = sorted(
        {(_window(name), _cadence(name, config.cadence)) for name in config.models},
        key=lambda group: (group[0] or 0, group[1]),
    )  # all-history groups first: the dearest league-seasons start first in the shared process pool
    own_league = {league: (league,) for league in config.leagues}
    runs = []
    for window, cadence in groups:
        names = [
            name
            for name in config.models
            if (_window(name), _cadence(name, config.cadence)) == (window, cadence)
        ]
        models = {name: make_model(name) for name in names}
        runs.append(
            WalkForwardRun(
                models=models,
                cadence=cadence,  # type: ignore[arg-type]
                window_days=window or GOAL_MODEL_WINDOW_DAYS,
                all_history=window is None,
                train_leagues=None if window == GOAL_MODEL_WINDOW_DAYS else own_league,
                use_features=any(map(needs_opening_prices, models.values())),
            )
        )
    results = walk_forward_runs(
        data.matches, runs, config.leagues, config.test_seasons, features=features, cache_dir=cache_dir,
        n_jobs=config.n_jobs, progress=progress, dask_address=config.dask_address,
    )  # fmt: skip
    predictions = [result.predictions for result in results]
    failures = [result.failures for result in results]
    fits = {"fitted": sum(r.n_fits for r in results), "cached": sum(r.n_cached for r in results)}
    for (window, cadence), result in zip(groups, results, strict=True):
        log.info("window %s days, %s: %d fits", window or "all", cadence, result.n_fits)
    return pd.concat(predictions, ignore_index=True), pd.concat(failures, ignore_index=True), fits


def comparison_pairs(models: Sequence[str]) -> list[tuple[str, str]]:
    """Every model against the baseline and the market benchmarks (the claims users read)."""
    pairs = [(name, BASELINE) for name in models if name != BASELINE and BASELINE in models]
    pairs += [(name, market) for name in models for market in MARKET_BENCHMARKS]
    return pairs


def run_backtest(
    data: MatchData, config: BacktestConfig, out: Path | str, progress: ProgressCallback | None = None
) -> dict[str, Any]:
    """Run, score and write the backtest to ``out`` (a folder or ``s3://`` URL); return the metrics (also
    written to ``metrics.json``).

    The run is recorded in the backtest index under ``SCORELINE_HOME`` (:mod:`.backtest_index`), which the
    dashboard reads to show the newest backtest wherever it was written.
    """
    with storage.staged_folder(out, last=(METRICS_FILE,), local_only=(CACHE_FOLDER,)) as out_dir:
        metrics = _run_backtest(data, config, out_dir, progress)
    record_backtest(index_path(get_settings().home_dir), out, metrics)
    return metrics


def _run_backtest(
    data: MatchData, config: BacktestConfig, out_dir: Path, progress: ProgressCallback | None
) -> dict[str, Any]:
    available = tuple(data.matches[c.LEAGUE].unique())
    missing = [league for league in config.leagues if league not in available]
    if missing:
        raise LookupError(f"no matches for league(s) {missing} in the data")
    trained, failures, fits = model_predictions(data, config, out_dir / CACHE_FOLDER, progress)
    market = benchmarks.market_benchmarks(data.matches, data.odds, config.leagues, config.test_seasons)
    rates = benchmarks.base_rates(data.matches, config.leagues, config.test_seasons)
    predictions = pd.concat([trained, market, rates], ignore_index=True)
    names = [*config.models, *MARKET_BENCHMARKS, benchmarks.BASE_RATES]
    predictions = predictions[predictions["model"].isin(names)].reset_index(drop=True)
    metrics = scoring.score(
        predictions, pairs=comparison_pairs(config.models), n_boot=config.n_boot, seed=config.seed
    )
    metrics["config"] = {
        "leagues": list(config.leagues),
        "test_seasons": list(config.test_seasons),
        "models": list(config.models),
        "cadence": {name: _cadence(name, config.cadence) for name in config.models},
        "training_leagues": {
            "goal_models": {league: list(training_divisions(league, available)) for league in config.leagues},
            "feature_models": {league: [league] for league in config.leagues},
        },
        "window_days": {name: _window(name) for name in config.models},
    }
    metrics["fits"] = fits
    metrics["failures"] = failures.astype(str).to_dict("records")
    bets = value_bets(predictions[predictions["model"].isin(config.models)], data.odds)
    predictions.to_parquet(out_dir / "predictions.parquet", index=False)
    (out_dir / METRICS_FILE).write_text(json.dumps(metrics, indent=2, default=str) + "\n")
    write_report(out_dir / "report.html", metrics, predictions, bets=bets)
    return metrics
