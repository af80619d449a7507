"""Pipeline steps: one function per step of :mod:`scoreline.pipelines.definition`, for the CLI and the DAGs.

Each step does its own I/O (store, MLflow, files under ``SCORELINE_HOME``), takes plain arguments (pipeline
parameters and the results of earlier steps) and returns a small JSON-ready dict, so an orchestrator can pass
results between tasks. The decisions between the reads and the writes are pure functions of
:mod:`scoreline.pipelines.rules`. Re-running a step is safe: the store skips unchanged files (season files and
``fixtures.csv``), the ledger keeps the first prediction of a fixture, the backtest cache refits nothing it
already has.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from scoreline import columns as c
from scoreline.pipelines import rules
from scoreline.settings import get_settings

log = logging.getLogger(__name__)

BASELINE_MODEL = "dixon_coles"


def _store(db_url: str | None = None) -> Any:
    from scoreline.store import Store

    return Store.from_url(db_url or get_settings().resolved_db_url)


def _season_list(seasons: str | Sequence[str] | None) -> list[str] | None:
    from scoreline.sources.seasons import parse_season_range

    if seasons is None or isinstance(seasons, list | tuple):
        return list(seasons) if seasons is not None else None
    return parse_season_range(str(seasons))


def ingest_step(
    leagues: Sequence[str], seasons: str | Sequence[str] | None, from_dir: str | None = None
) -> dict[str, Any]:
    """Ingest ``leagues`` and the divisions their models train on (E0 with E1) into the store.

    Files come from ``from_dir``, else are downloaded with caching. The result lists the divisions and
    seasons read (``None``: every season found in ``from_dir``) and each file's status.
    """
    from scoreline.leagues import with_training_divisions
    from scoreline.pipelines.ingest import ingest
    from scoreline.sources.football_data import discover_folder, fetch_football_data

    divisions = with_training_divisions(leagues)
    season_list = _season_list(seasons)
    if from_dir:
        files = discover_folder(from_dir, divisions, season_list)
    else:
        if season_list is None:
            raise ValueError("downloading needs explicit seasons, e.g. 2122-2425")
        files = fetch_football_data(divisions, season_list)
    store = _store()
    try:
        report = ingest(store, files)
    finally:
        store.close()
    return {
        "files": len(report.files),
        "statuses": {o.source_file: str(o.status) for o in report.files},
        "leagues": divisions,
        "seasons": season_list,
    }


def validate_step(ingested: Mapping[str, Any]) -> dict[str, Any]:
    """Check what ``ingested`` read: no file failed, rejected rows below ``rules.MAX_REJECTED_SHARE``.

    The check covers the divisions and seasons of that ingest (the store may hold others, not refreshed);
    its result passes them on to the feature build.
    """
    from scoreline.pipelines.ingest import FAILED_STATUSES

    leagues, seasons = list(ingested["leagues"]), ingested["seasons"]
    failing = {str(status) for status in FAILED_STATUSES}
    failed = [name for name, status in ingested["statuses"].items() if status in failing]
    store = _store()
    try:
        summary = store.summary()
        quarantine = store.read_quarantine(leagues=leagues, seasons=seasons)
    finally:
        store.close()
    scope = summary[c.LEAGUE].isin(leagues) & (summary[c.SEASON].isin(seasons) if seasons else True)
    result = rules.data_quality(int(summary.loc[scope, "matches"].sum()), quarantine, failed)
    return {**result, "leagues": leagues, "seasons": seasons}


def features_step(validated: Mapping[str, Any]) -> str:
    """Build and save the feature table of the validated divisions; returns its feature-set version."""
    from scoreline.pipelines.features import run_feature_build

    return run_feature_build(leagues=list(validated["leagues"])).feature_set_version


def backtest_step(model: str, league: str, test_seasons: Sequence[str]) -> dict[str, Any]:
    """Walk-forward backtest of one model on one league; writes ``backtests/<model>-<league>/``."""
    from scoreline.leagues import training_divisions
    from scoreline.pipelines.backtest import BacktestConfig, run_backtest
    from scoreline.pipelines.data import load_match_data

    data = load_match_data(list(training_divisions(league)))
    config = BacktestConfig(leagues=(league,), test_seasons=tuple(test_seasons), models=(model,), n_boot=500)
    out = get_settings().home_dir / "backtests" / f"{model}-{league}"
    metrics = run_backtest(data, config, out)
    pooled = metrics["pooled"]
    return {
        "model": model,
        "league": league,
        "n": pooled[model]["n"],
        "rps": pooled[model]["rps"],
        "market_closing_rps": pooled["market_closing_shin"]["rps"],
        "path": str(out),
    }


def train_step(model: str, leagues: Sequence[str], until: str | None = None) -> dict[str, Any]:
    """Fit ``model`` on the store's matches before ``until`` (default: today) and log the MLflow run.

    The model learns from the leagues its backtest trained it on (goal models: with the neighbouring
    divisions), so the registered model is the one the backtest measured.
    """
    from scoreline.pipelines.backtest import training_leagues
    from scoreline.pipelines.train import train_from_store

    cutoff = pd.Timestamp(until) if until else pd.Timestamp.now(tz="UTC").tz_localize(None).normalize()
    result = train_from_store(model, cutoff, leagues=training_leagues(model, leagues))
    return {"model": model, "run_id": result.run_id, "val_rps": float(result.metrics["val_rps"])}


def register_step(trained: Sequence[dict[str, Any]], backtests: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Register the baseline as champion if there is none, else the champion's model refitted; then a
    challenger whose backtest beats the champion.

    A refit of the champion's own model (same catalogue model, newer matches) replaces the champion at once:
    the promotion gate weighs one model against another on the same walk-forward matches, where a refit
    predicts exactly like the model it refreshes, and a champion never refitted falls behind (measured in
    docs/staging.md). The challenger is the trained model with the lowest pooled backtest RPS below that of
    the champion's model on the same leagues (:func:`scoreline.pipelines.rules.choose_challenger`); a model
    that lost the backtest is not registered, so the gate only ever weighs a challenger that already won once.
    """
    from scoreline.registry.registry import CHALLENGER, CHAMPION, list_versions, register

    champions = [version for version in list_versions() if CHAMPION in version["aliases"]]
    out: dict[str, Any] = {"champion": None, "challenger": None, "challenger_model": None}
    if champions:
        reference = str(champions[0]["model"])
        refits = [run for run in trained if run["model"] == reference]
        if refits:
            out["champion"] = register(refits[0]["run_id"], CHAMPION)
    else:
        baseline = [run for run in trained if run["model"] == BASELINE_MODEL]
        if not baseline:
            raise ValueError(f"no champion yet: train the baseline {BASELINE_MODEL!r} first")
        out["champion"] = register(baseline[0]["run_id"], CHAMPION)
        reference = BASELINE_MODEL
    choice = rules.choose_challenger(trained, backtests, reference)
    out["reason"] = choice.reason
    if choice.run is not None:
        out["challenger"] = register(choice.run["run_id"], CHALLENGER)
        out["challenger_model"] = choice.run["model"]
    log.info("registration: %s", choice.reason)
    return out


def promote_step(registered: Mapping[str, Any]) -> dict[str, Any]:
    """Run the promotion gate on the challenger just registered; returns the decision and its evidence."""
    from dataclasses import asdict

    from scoreline.registry.promotion import promote

    if registered.get("challenger") is None:
        return {"promote": False, "reason": f"no challenger registered: {registered.get('reason')}"}
    return asdict(promote())


def refresh_step(
    leagues: Sequence[str],
    season: str | None = None,
    from_dir: str | None = None,
    as_of: str | None = None,
    fixtures: bool = True,
) -> dict[str, Any]:
    """Ingest the current season again (new results; unchanged files are skipped) and ``fixtures.csv``.

    ``season`` defaults to the season of ``as_of`` (default: now). With ``fixtures``, football-data's
    ``fixtures.csv`` (the coming rounds) is fetched too, or read from ``from_dir`` when it holds one (a
    folder without it, as in replays of past seasons, just has no scheduled fixtures).
    """
    from scoreline.sources.seasons import season_of_date

    out = ingest_step(leagues, [season or season_of_date(_as_of(as_of))], from_dir)
    out["fixtures"] = fixtures_step(from_dir) if fixtures else None
    return out


def fixtures_step(from_dir: str | None = None) -> dict[str, Any]:
    """Store football-data's ``fixtures.csv`` (``from_dir/fixtures.csv``, else downloaded with caching).

    Its fixtures replace the scheduled fixtures of the leagues it lists; an unchanged file writes nothing.
    Returns the outcome, or ``{"status": "absent"}`` when ``from_dir`` has no ``fixtures.csv``.
    """
    from scoreline import storage
    from scoreline.pipelines.ingest import ingest_fixtures
    from scoreline.sources.fixtures import FIXTURES_FILE
    from scoreline.sources.football_data import fetch_fixtures, folder_fixtures

    if from_dir and not storage.exists(storage.join(from_dir, FIXTURES_FILE)):
        log.info("no %s in %s: no scheduled fixtures read", FIXTURES_FILE, from_dir)
        return {"source_file": FIXTURES_FILE, "status": "absent"}
    source = folder_fixtures(from_dir) if from_dir else fetch_fixtures()
    store = _store()
    try:
        return ingest_fixtures(store, source).to_dict()
    finally:
        store.close()


def _as_of(as_of: str | None) -> pd.Timestamp:
    return pd.Timestamp(as_of) if as_of else pd.Timestamp.now(tz="UTC").tz_localize(None)


def predict_upcoming_step(leagues: Sequence[str], as_of: str | None, horizon_days: int = 3) -> dict[str, Any]:
    """Record the champion's predictions of fixtures kicking off after ``as_of`` within the horizon.

    ``as_of`` (default: now) is the prediction time recorded in the ledger. Fixtures are those of ``leagues``
    kicking off in ``(as_of, as_of + horizon_days]``: the store's matches (season files) and the scheduled
    fixtures of ``fixtures.csv`` that the season files do not hold yet (none whose match has a result). Only
    pre-match columns reach the model.
    """
    from scoreline.evaluation.walk_forward import PRE_MATCH_COLUMNS
    from scoreline.registry.registry import CHAMPION, load_model
    from scoreline.staging.ledger import Ledger, replay_run_of

    now = _as_of(as_of)
    until = now + pd.Timedelta(days=horizon_days)
    store = _store()
    try:
        fixtures, from_fixtures_csv = rules.upcoming_fixtures(
            store.read_matches(leagues=list(leagues)),
            store.read_fixtures(leagues=list(leagues), after=now, until=until),
            now,
            until,
        )
        if fixtures.empty:
            return {"fixtures": 0, "from_fixtures_csv": 0, "added": 0, "as_of": str(now)}
        loaded = load_model(CHAMPION)
        inputs = fixtures[[col for col in PRE_MATCH_COLUMNS if col in fixtures.columns]].reset_index(
            drop=True
        )
        rows = rules.ledger_rows(
            inputs,
            loaded.estimator.predict_proba(inputs),
            model_name=type(loaded.estimator).__name__,
            model_version=str(loaded.version),
            predicted_at=now,
        )
        result = Ledger(store.engine).append(rows, replay_run=replay_run_of(as_of))
    finally:
        store.close()
    return {
        "fixtures": len(rows),
        "from_fixtures_csv": from_fixtures_csv,
        "added": result.added,
        "already_present": result.already_present,
        "as_of": str(now),
    }


def score_finished_step(as_of: str | None) -> dict[str, Any]:
    """Score every ledger prediction whose match has a result and kicked off before ``as_of``."""
    from scoreline.staging.ledger import Ledger, replay_run_of

    now = _as_of(as_of)
    store = _store()
    try:
        finished = rules.finished_before(store.read_matches(), now)
        result = Ledger(store.engine).score(finished, scored_at=now, replay_run=replay_run_of(as_of))
    finally:
        store.close()
    return {"scored": result.added, "as_of": str(now)}


def monitor_step(leagues: Sequence[str], as_of: str | None, recent_weeks: int = 8) -> dict[str, Any]:
    """Rolling scores against the closing line, a feature-drift report and alerts; writes ``staging/``.

    Drift compares the rating and form features of the ``recent_weeks`` before ``as_of`` (current) with those
    of the year before that (reference, the training window).
    """
    from scoreline.features import build_features
    from scoreline.pipelines.staging import write_monitoring
    from scoreline.staging.drift import drift_columns, drift_report
    from scoreline.staging.ledger import LIVE_RUN, Ledger, replay_run_of

    now = _as_of(as_of)
    out_dir = get_settings().home_dir / "staging"
    store = _store()
    try:
        matches = store.read_matches(leagues=list(leagues))
        odds = store.read_odds(leagues=list(leagues), market=c.MARKET_1X2, timing=c.CLOSING)
        features = build_features(rules.finished_before(matches, now), groups=("elo", "pi", "form"))
        reference, current = rules.drift_windows(features, now, recent_weeks)
        columns = drift_columns([col for col in features.columns if col.startswith(("elo_", "pi_", "form_"))])
        drift = (
            drift_report(reference, current, columns, out_dir) if len(current) and len(reference) else None
        )
        run = replay_run_of(as_of) or LIVE_RUN
        monitoring = write_monitoring(Ledger(store.engine), odds, drift=drift, out_dir=out_dir, run=run)
    finally:
        store.close()
    summary = monitoring.summary
    return {
        "run": summary.run,
        "predictions": summary.predictions,
        "scored": summary.scored,
        "rps": summary.rps,
        "market_closing_rps": summary.market_closing_rps,
        "drifted_columns": drift.drifted_columns if drift else [],
        "alerts": [alert.kind for alert in monitoring.alerts],
        "monitor": str(monitoring.path),
    }
