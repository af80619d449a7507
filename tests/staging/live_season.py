"""Drive scoreline through a past season day by day, live over HTTP against a :class:`SeasonSite`.

Each simulated morning runs the daily STAGING pipeline (refresh over HTTP, predict, score, monitor) with
``as_of`` at :data:`RUN_AT`, its monitor step only on the days ``monitor_on`` picks (default: every day; its
Evidently drift report costs 20-60 s a run on a 2-core machine, so the test monitors twice). On the first
match day of each of the league's ISO weeks (the walk-forward's round cutoff) the weekly training runs
first: TRAINING's ingest and train steps on what the site showed that morning, and the refitted champion
model is registered as the new champion. The pipelines are run from
their one definition (:mod:`scoreline.pipelines.definition`), through the real download cache, ingest,
MLflow registry and ledger code. Steps given ``as_of`` write their ledger rows under the replay run
:data:`~scoreline.staging.ledger.AS_OF_REPLAY_RUN`: a simulated clock is not the database's, so the season is
a replay however live its data path, and the live clock check stays as it is.

Shared by ``tests/staging/test_live_season.py`` and ``bench/live_season.py``.
"""

from __future__ import annotations

import json
import time as clock
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scoreline import columns as c
from scoreline.evaluation.walk_forward import Cadence
from scoreline.leagues import with_training_divisions
from scoreline.pipelines.definition import STAGING, TRAINING
from scoreline.pipelines.runner import run_call, run_pipeline
from scoreline.settings import get_settings
from tests.staging.season_server import SeasonSite

RUN_AT = time(6, 0)  # the daily staging run (no top-league match kicks off earlier)
TRAIN_AT = time(5, 0)  # the weekly training, before that morning's staging run
HORIZON_DAYS = 3
MODEL = "dixon_coles"


@dataclass(frozen=True)
class LiveSeason:
    """One league's matches from ``start`` (a round's first match day) to ``end`` (exclusive; its morning is
    the last one run, to score the day before), with the ``history`` seasons ingested first."""

    league: str
    season: str
    history: tuple[str, ...]
    start: date
    end: date
    model: str = MODEL
    horizon_days: int = HORIZON_DAYS


@dataclass
class LiveRun:
    """What the run did: days run, champion per training day, seconds spent in each kind of step."""

    days: int = 0
    champions: dict[date, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=lambda: {"staging": 0.0, "training": 0.0})


def settings_environment(home: Path, base_url: str) -> dict[str, str]:
    """The ``SCORELINE_*`` variables pointing scoreline at ``home`` and the site at ``base_url``."""
    return {
        "SCORELINE_HOME": str(home),
        "SCORELINE_FOOTBALL_DATA_URL": f"{base_url}/mmz4281",
        "SCORELINE_FIXTURES_URL": f"{base_url}/fixtures.csv",
        "SCORELINE_HTTP_RETRIES": "0",
    }


def kickoffs(site: SeasonSite, league: str, season: str) -> pd.Series:
    """Kickoff of every match of the league-season the site holds."""
    return pd.Series([row.kickoff for row in site.files[(league, season)].rows], dtype="datetime64[ns]")


def training_days(site: SeasonSite, config: LiveSeason) -> list[date]:
    """The first match day of each ISO week of the league in ``[start, end)``: the weekly retraining days."""
    days = kickoffs(site, config.league, config.season).dt.normalize()
    days = days[(days >= pd.Timestamp(config.start)) & (days < pd.Timestamp(config.end))]
    iso = days.dt.isocalendar()
    firsts = days.groupby(iso["year"].astype(int) * 100 + iso["week"].astype(int)).min()
    return sorted(day.date() for day in firsts)


def _call(pipeline: Any, step: str, params: dict[str, Any], fan_out: dict[str, Any] | None = None) -> Any:
    return run_call(pipeline.step(step), pipeline.with_defaults(params), {}, fan_out or {})


def _train(site: SeasonSite, config: LiveSeason, day: date) -> int:
    """The weekly training on ``day``: refresh, refit the champion's model, register it as champion."""
    from scoreline.registry.registry import CHAMPION, register

    site.now = datetime.combine(day, TRAIN_AT)
    _call(TRAINING, "ingest", {"leagues": [config.league], "seasons": [config.season]})
    trained = _call(
        TRAINING,
        "train",
        {"leagues": with_training_divisions([config.league]), "until": day.isoformat()},
        {"model": config.model},
    )
    return register(trained["run_id"], CHAMPION)


def run_live_season(
    site: SeasonSite,
    config: LiveSeason,
    on_day: Callable[[date, dict[str, Any]], None] | None = None,
    monitor_on: Callable[[date], bool] = lambda day: True,
) -> LiveRun:
    """Run ``config``'s season day by day against ``site`` (the settings must already point at it).

    History seasons are ingested over HTTP first; the last simulated morning is ``end``, so the last day's
    results are scored.
    """
    get_settings.cache_clear()
    run = LiveRun()
    site.now = datetime.combine(config.start, TRAIN_AT)
    _call(TRAINING, "ingest", {"leagues": [config.league], "seasons": [*config.history, config.season]})
    retrain = set(training_days(site, config))
    if config.start not in retrain:
        raise ValueError(f"{config.start} is not the first match day of a week of {config.league}")
    day = config.start
    while day <= config.end:
        if day in retrain:
            started = clock.perf_counter()
            run.champions[day] = _train(site, config, day)
            run.seconds["training"] += clock.perf_counter() - started
        started = clock.perf_counter()
        site.now = datetime.combine(day, RUN_AT)
        params = {
            "leagues": [config.league],
            "as_of": site.now.isoformat(),
            "horizon_days": config.horizon_days,
        }
        results = run_pipeline(STAGING, params, _around(monitor=monitor_on(day)))
        run.seconds["staging"] += clock.perf_counter() - started
        run.days += 1
        if on_day is not None:
            on_day(day, results)
        day += timedelta(days=1)
    return run


def _around(monitor: bool) -> Callable[[str, Callable[[], Any]], Any]:
    """Run every step, the monitor step only if ``monitor``."""
    return lambda label, call: None if label == "monitor" and not monitor else call()


def backtest_rps(config: LiveSeason, cadence: Cadence = "week") -> tuple[pd.DataFrame, float]:
    """The walk-forward (``cadence``, the league's training divisions, default window) of ``config.model``
    on the store's matches, restricted to the simulated period: its predictions and mean RPS."""
    from scoreline.evaluation import metrics
    from scoreline.evaluation.walk_forward import walk_forward
    from scoreline.models.catalogue import make_model
    from scoreline.pipelines.data import load_match_data

    data = load_match_data(with_training_divisions([config.league]))
    result = walk_forward(
        data.matches,
        {config.model: make_model(config.model)},
        [config.league],
        [config.season],
        cadence=cadence,
    )
    predictions = result.predictions
    dates = pd.to_datetime(predictions[c.DATE])
    chosen = predictions[(dates >= pd.Timestamp(config.start)) & (dates < pd.Timestamp(config.end))]
    probs = chosen[list(c.PROBABILITY_COLUMNS)].to_numpy(dtype=float)
    chosen = chosen[np.isfinite(probs).all(axis=1)].reset_index(drop=True)
    rps = metrics.rps(
        chosen[list(c.PROBABILITY_COLUMNS)].to_numpy(dtype=float), metrics.outcome_indices(chosen[c.RESULT])
    )
    return chosen, float(rps)


def monitor_document(home: Path, run: str) -> dict[str, Any]:
    """The replay run's ``monitor.json``."""
    from scoreline.staging.monitor import monitor_path

    return dict(json.loads(monitor_path(home / "staging", run).read_text(encoding="utf-8")))
