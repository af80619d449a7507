"""Staging pipeline steps: replay a season into the store's ledger (and, live, the daily steps)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from scoreline import columns as c
from scoreline.pipelines.data import load_match_data
from scoreline.staging.alerts import Alert
from scoreline.staging.drift import DriftResult
from scoreline.staging.ledger import LIVE_RUN, Ledger
from scoreline.staging.replay import (
    DayCallback,
    ReplayConfig,
    ReplayResult,
    market_closing_probabilities,
    replay_season,
)
from scoreline.staging.summary import Summary


def run_replay(
    config: ReplayConfig,
    from_dir: Path | str | None = None,
    db_url: str | None = None,
    on_day: DayCallback | None = None,
) -> ReplayResult:
    """Replay ``config`` on data from ``from_dir`` or the store; the ledger is in the store at ``db_url``."""
    from scoreline.leagues import training_divisions
    from scoreline.settings import get_settings
    from scoreline.store import Store

    url = db_url or get_settings().resolved_db_url
    leagues = list(training_divisions(config.league))
    data = load_match_data(leagues, from_dir=from_dir, db_url=url)
    store = Store.from_url(url)
    try:
        ledger = Ledger(store.engine)
        result = replay_season(data.matches, data.odds, config, ledger, on_day=on_day)
        write_monitoring(ledger, data.odds, run=config.run_id)
        return result
    finally:
        store.close()


@dataclass(frozen=True)
class Monitoring:
    """What :func:`write_monitoring` wrote: the run's summary, its alerts and the ``monitor.json`` path."""

    summary: Summary
    alerts: tuple[Alert, ...]
    path: Path


def write_monitoring(
    ledger: Ledger,
    odds: pd.DataFrame,
    model_version: str | None = None,
    drift: DriftResult | None = None,
    out_dir: Path | None = None,
    run: str = LIVE_RUN,
) -> Monitoring:
    """Score one run of the ledger (live by default) against the closing line, check alerts, write its
    ``monitor.json`` (``staging/monitor.json`` live, ``staging/replays/<run>/monitor.json`` for a replay)."""
    from scoreline.settings import get_settings
    from scoreline.staging.alerts import check_alerts, emit_alerts
    from scoreline.staging.monitor import (
        champion_version,
        monitor_path,
        previous_version_of,
        rolling_scores,
        summarise,
        write_monitor,
    )

    settings = get_settings()
    recorded = ledger.read_with_scores(run)
    played = recorded.loc[recorded[c.RESULT].notna(), list(c.MATCH_KEY)].drop_duplicates()
    market = market_closing_probabilities(played, odds)
    previous = None if model_version else previous_version_of(recorded, champion_version(recorded))
    summary = summarise(recorded, market, model_version=model_version, previous_version=previous, run=run)
    rolling = rolling_scores(recorded, market, model_version=model_version, previous_version=previous)
    alerts = tuple(check_alerts(summary, drift))
    webhook = settings.alert_webhook_url.get_secret_value() if settings.alert_webhook_url else None
    emit_alerts(alerts, webhook_url=webhook)
    path = monitor_path(out_dir or settings.home_dir / "staging", run)
    write_monitor(path.parent, summary, rolling, drift, alerts)
    return Monitoring(summary, alerts, path)
