"""Staging pipeline steps: replay a season into the store's ledger (and, live, the daily steps)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from scoreline import columns as c
from scoreline.pipelines.data import load_match_data
from scoreline.staging.drift import DriftResult
from scoreline.staging.ledger import Ledger
from scoreline.staging.replay import (
    DayCallback,
    ReplayConfig,
    ReplayResult,
    market_closing_probabilities,
    replay_season,
)


def run_replay(
    config: ReplayConfig,
    from_dir: Path | None = None,
    db_url: str | None = None,
    on_day: DayCallback | None = None,
) -> ReplayResult:
    """Replay ``config`` on data from ``from_dir`` or the store; the ledger is in the store at ``db_url``."""
    from scoreline.evaluation.walk_forward import related_divisions
    from scoreline.settings import get_settings
    from scoreline.store import Store

    url = db_url or get_settings().resolved_db_url
    leagues = list(related_divisions(config.league, _all_divisions()))
    data = load_match_data(leagues, from_dir=from_dir, db_url=url)
    store = Store.from_url(url)
    try:
        ledger = Ledger(store.engine)
        result = replay_season(data.matches, data.odds, config, ledger, on_day=on_day)
        write_monitoring(ledger, data.odds, model_version=config.model_version)
        return result
    finally:
        store.close()


def write_monitoring(
    ledger: Ledger,
    odds: pd.DataFrame,
    model_version: str | None = None,
    drift: DriftResult | None = None,
    out_dir: Path | None = None,
) -> dict[str, Any]:
    """Score the ledger against the closing line, check alerts, write ``monitor.json``; return the summary."""
    from scoreline.settings import get_settings
    from scoreline.staging.alerts import check_alerts, emit_alerts
    from scoreline.staging.monitor import rolling_scores, summarise, write_monitor

    settings = get_settings()
    recorded = ledger.read_with_scores()
    market = market_closing_probabilities(recorded[recorded[c.RESULT].notna()], odds)
    summary = summarise(recorded, market, model_version=model_version)
    rolling = rolling_scores(recorded, market, model_version=model_version)
    alerts = check_alerts(summary, drift)
    webhook = settings.alert_webhook_url.get_secret_value() if settings.alert_webhook_url else None
    emit_alerts(alerts, webhook_url=webhook)
    write_monitor(out_dir or settings.home_dir / "staging", summary, rolling, drift, alerts)
    return {**summary, "alerts": [alert.to_dict() for alert in alerts]}


def _all_divisions() -> tuple[str, ...]:
    from scoreline.evaluation.walk_forward import DIVISION_LADDERS

    return tuple(d for ladder in DIVISION_LADDERS for d in ladder)
