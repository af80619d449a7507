"""Training pipeline: fit a model on every match before a cutoff and log it to MLflow as a pyfunc.

One run records: parameters, walk-forward validation metrics (the last season before the cutoff, via
:func:`scoreline.evaluation.walk_forward.walk_forward`) and, where odds are given, the closing market's on the
same matches; a hash of the training data, the feature-set version, the git commit, package versions, the
validation predictions (for the promotion gate) and the fitted model as a pyfunc with signature and input
example. Same data, code and seed give byte-identical predictions.
"""

from __future__ import annotations

import functools
import json
import logging
import random
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scoreline import columns as c
from scoreline.evaluation import metrics
from scoreline.evaluation.predictions import MODEL
from scoreline.evaluation.walk_forward import Cadence, walk_forward
from scoreline.models.base import needs_opening_prices
from scoreline.odds import OPENING_PRICE_COLUMNS, attach_opening_prices
from scoreline.registry.model_card import LIMITATIONS_TAG, OPENING_PRICES_TAG
from scoreline.registry.promotion import VALIDATION_ARTIFACT
from scoreline.registry.registry import MODEL_TAG, MODEL_URI_TAG
from scoreline.registry.tracking import (
    EXPERIMENT,
    Tracking,
    activate,
    data_hash,
    git_commit,
    package_versions,
)
from scoreline.settings import get_settings

logger = logging.getLogger(__name__)

ModelFactory = Callable[..., Any]  # (name, **params) -> unfitted estimator, like models.catalogue.make_model
HASHED_COLUMNS = tuple(name for name in c.MATCH_COLUMNS if name not in (c.SOURCE_FILE, c.SOURCE_LINE))
EXAMPLE_ROWS = 5
MARKET = "market_closing_shin"


@dataclass(frozen=True)
class TrainResult:
    """A finished training run: its id, the fitted estimator and what was logged about it."""

    run_id: str
    model: str
    estimator: Any
    metrics: dict[str, float]
    validation: pd.DataFrame
    data_hash: str
    model_uri: str


def catalogue_factory(name: str, **params: Any) -> Any:
    """The project's model catalogue (imported lazily: models may pull heavy libraries)."""
    from scoreline.models.catalogue import make_model  # type: ignore[import-not-found,unused-ignore]

    return make_model(name, **params)


def build_estimator(factory: ModelFactory, name: str, params: dict[str, Any], seed: int) -> Any:
    """A fresh estimator from ``factory``, ``random_state`` (if it has one) set to ``seed``; RNGs seeded."""
    random.seed(seed)
    np.random.seed(seed)  # for estimators that draw from the legacy global generator
    estimator = factory(name, **params)
    if hasattr(estimator, "get_params") and "random_state" in estimator.get_params(deep=False):
        estimator.set_params(random_state=seed)
    return estimator


def training_matches(
    matches: pd.DataFrame, until: pd.Timestamp, leagues: Sequence[str] | None = None
) -> pd.DataFrame:
    """Played matches of ``leagues`` whose date is before ``until``'s date, sorted by kickoff (a copy)."""
    chosen = matches[pd.to_datetime(matches[c.DATE]) < until.normalize()]
    chosen = chosen[chosen[c.RESULT].isin(c.RESULT_TO_INDEX)]
    if leagues:
        chosen = chosen[chosen[c.LEAGUE].isin(leagues)]
    if chosen.empty:
        raise ValueError(
            f"no played matches before {until.date()} for leagues {list(leagues or []) or 'all'}"
        )
    return chosen.sort_values([c.KICKOFF, c.LEAGUE, c.HOME], kind="stable").reset_index(drop=True)


def last_season(train: pd.DataFrame) -> str:
    """The latest season in the training data (the validation season)."""
    return str(train[c.SEASON].iloc[int(np.argmax(train[c.KICKOFF].to_numpy()))])


def validate(
    spec: Callable[[], Any],
    name: str,
    train: pd.DataFrame,
    season: str,
    *,
    odds: pd.DataFrame | None = None,
    cadence: Cadence = "week",
    cache_dir: Path | None = None,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Walk-forward predictions of ``season`` (leagues of ``train``) and their metrics.

    Metrics: ``val_n``, ``val_rps``, ``val_log_loss``, ``val_brier``, ``val_accuracy`` over matches the model
    predicted; with ``odds``, ``market_n``, ``market_rps`` and ``rps_minus_market`` on the matches both the
    model and the de-vigged closing market predicted.
    """
    leagues = sorted(train.loc[train[c.SEASON] == season, c.LEAGUE].unique())
    # Opening prices, where attached, are pre-match inputs: the engine hands them to predict_proba too.
    prices = [col for col in OPENING_PRICE_COLUMNS if col in train.columns]
    features = train[[*c.MATCH_KEY, *prices]] if prices else None
    result = walk_forward(
        train, {name: spec}, leagues, [season], features=features, cadence=cadence, cache_dir=cache_dir
    )
    predictions = result.predictions
    probs = predictions[list(c.PROBABILITY_COLUMNS)].to_numpy(dtype=float)
    scored = predictions[np.isfinite(probs).all(axis=1)]
    if scored.empty:
        raise ValueError(f"model {name!r} predicted no validation match of season {season}")
    summary = metrics.summary(
        scored[list(c.PROBABILITY_COLUMNS)].to_numpy(dtype=float), metrics.outcome_indices(scored[c.RESULT])
    )
    found = {
        "val_n": float(summary["n"]),
        "val_rps": float(summary["rps"]),
        "val_log_loss": float(summary["logloss"]),
        "val_brier": float(summary["brier"]),
        "val_accuracy": float(summary["accuracy"]),
    }
    if odds is not None:
        found.update(_market_metrics(scored, train, odds, leagues, season))
    return predictions, found


def _market_metrics(
    scored: pd.DataFrame, train: pd.DataFrame, odds: pd.DataFrame, leagues: list[str], season: str
) -> dict[str, float]:
    from scoreline.evaluation.benchmarks import market_benchmarks

    market = market_benchmarks(train, odds, leagues, [season], methods=("shin",), timings=(c.CLOSING,))
    key = list(c.MATCH_KEY)
    both = scored.merge(market[[*key, *c.PROBABILITY_COLUMNS]], on=key, suffixes=("", "_market"))
    market_probs = both[[f"{p}_market" for p in c.PROBABILITY_COLUMNS]].to_numpy(dtype=float)
    both = both[np.isfinite(market_probs).all(axis=1)]
    if both.empty:
        return {}
    outcomes = metrics.outcome_indices(both[c.RESULT])
    model_rps = metrics.rps(both[list(c.PROBABILITY_COLUMNS)].to_numpy(dtype=float), outcomes)
    market_rps = metrics.rps(
        both[[f"{p}_market" for p in c.PROBABILITY_COLUMNS]].to_numpy(dtype=float), outcomes
    )
    return {
        "market_n": float(len(both)),
        "market_rps": market_rps,
        "rps_minus_market": model_rps - market_rps,
    }


def train_model(
    model: str,
    matches: pd.DataFrame,
    until: pd.Timestamp | str,
    *,
    leagues: Sequence[str] | None = None,
    params: dict[str, Any] | None = None,
    seed: int = 0,
    factory: ModelFactory = catalogue_factory,
    odds: pd.DataFrame | None = None,
    cadence: Cadence = "week",
    tracking: Tracking | None = None,
) -> TrainResult:
    """Validate ``model`` walk-forward, fit it on every played match before ``until``, log the MLflow run.

    ``factory(model, **params)`` builds the estimator (default: the model catalogue). ``odds`` (long odds
    frame) adds the market comparison. Neither frame is modified.
    """
    cutoff = pd.Timestamp(until)
    params = dict(params or {})
    train = training_matches(matches, cutoff, leagues)
    season = last_season(train)
    spec = functools.partial(build_estimator, factory, model, params, seed)
    cache = get_settings().home_dir / "cache" / "walk_forward"
    validation, found = validate(spec, model, train, season, odds=odds, cadence=cadence, cache_dir=cache)
    estimator = spec().fit(train.copy())
    digest = data_hash(train[[name for name in HASHED_COLUMNS if name in train.columns]])
    run_id, model_uri = _log_run(
        model, estimator, train, validation, found, digest, cutoff, params, seed, season, cadence, tracking
    )
    logger.info("trained %s on %d matches (run %s): %s", model, len(train), run_id, found)
    return TrainResult(run_id, model, estimator, found, validation, digest, model_uri)


def _feature_set_version(estimator: Any) -> str:
    """The estimator's ``feature_set_version_`` if it uses engineered features, else ``none``."""
    return str(getattr(estimator, "feature_set_version_", None) or "none")


def _estimator_params(estimator: Any, params: dict[str, Any]) -> dict[str, str]:
    values = estimator.get_params(deep=False) if hasattr(estimator, "get_params") else params
    return {f"model.{k}": str(v)[:500] for k, v in sorted(values.items())}


def _log_run(
    model: str,
    estimator: Any,
    train: pd.DataFrame,
    validation: pd.DataFrame,
    found: dict[str, float],
    digest: str,
    cutoff: pd.Timestamp,
    params: dict[str, Any],
    seed: int,
    season: str,
    cadence: str,
    tracking: Tracking | None,
) -> tuple[str, str]:
    import mlflow

    from scoreline.registry.pyfunc import log_pyfunc

    experiment_id = activate(tracking, EXPERIMENT)
    leagues = sorted(train[c.LEAGUE].unique())
    with mlflow.start_run(experiment_id=experiment_id, run_name=model) as run:
        mlflow.log_params(
            {
                "model": model,
                "until": cutoff.date().isoformat(),
                "leagues": ",".join(leagues),
                "seed": seed,
                "n_train": len(train),
                "validation_season": season,
                "cadence": cadence,
                **_estimator_params(estimator, params),
            }
        )
        mlflow.log_metrics(found)
        mlflow.set_tags(
            {
                MODEL_TAG: model,
                "scoreline.data_hash": digest,
                "scoreline.feature_set_version": _feature_set_version(estimator),
                "scoreline.git_commit": git_commit(),
                "scoreline.packages": json.dumps(package_versions(), sort_keys=True),
                "scoreline.leagues": json.dumps(leagues),
                "scoreline.train_first_kickoff": train[c.KICKOFF].min().isoformat(),
                "scoreline.train_last_kickoff": train[c.KICKOFF].max().isoformat(),
                LIMITATIONS_TAG: json.dumps(list(getattr(estimator, "known_limitations", ()))),
                OPENING_PRICES_TAG: json.dumps(needs_opening_prices(estimator)),
            }
        )
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(scratch)
            path = folder / Path(VALIDATION_ARTIFACT).name
            validation.drop(columns=[MODEL]).assign(**{MODEL: model}).to_parquet(path, index=False)
            mlflow.log_artifact(str(path), str(Path(VALIDATION_ARTIFACT).parent))
            model_uri = log_pyfunc(estimator, train, folder, EXAMPLE_ROWS)
        mlflow.set_tag(MODEL_URI_TAG, model_uri)
    return str(run.info.run_id), model_uri


def train_from_store(
    model: str,
    until: pd.Timestamp | str,
    *,
    leagues: Sequence[str] | None = None,
    db_url: str | None = None,
    params: dict[str, Any] | None = None,
    seed: int = 0,
    factory: ModelFactory = catalogue_factory,
    cadence: Cadence = "week",
    tracking: Tracking | None = None,
) -> TrainResult:
    """:func:`train_model` on the store's matches before ``until`` and its closing 1X2 odds."""
    from scoreline.store import Store  # type: ignore[attr-defined,unused-ignore]

    cutoff = pd.Timestamp(until)
    store = Store.from_url(db_url or get_settings().resolved_db_url)
    try:
        matches = store.read_matches(leagues=leagues, before=cutoff)
        season = last_season(training_matches(matches, cutoff, leagues))
        odds = store.read_odds(leagues=leagues, seasons=[season], market=c.MARKET_1X2, timing=c.CLOSING)
        if needs_opening_prices(factory(model, **(params or {}))):  # learn from opening prices, never closing
            opening = store.read_odds(leagues=leagues, market=c.MARKET_1X2, timing=c.OPENING)
            matches = attach_opening_prices(matches, opening)
    finally:
        store.close()
    return train_model(
        model,
        matches,
        cutoff,
        leagues=leagues,
        params=params,
        seed=seed,
        factory=factory,
        odds=odds if len(odds) else None,
        cadence=cadence,
        tracking=tracking,
    )


def best_result(results: Sequence[TrainResult], metric: str = "val_rps") -> TrainResult:
    """The run with the lowest ``metric`` (first one on ties): the one to register as challenger."""
    if not results:
        raise ValueError("no training results to choose from")
    return min(results, key=lambda result: result.metrics[metric])
