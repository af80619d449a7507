"""Staging pipeline steps: replay a season into the store's ledger (and, live, the daily steps)."""

from __future__ import annotations

from pathlib import Path

from scoreline.pipelines.data import load_match_data
from scoreline.staging.ledger import Ledger
from scoreline.staging.replay import DayCallback, ReplayConfig, ReplayResult, replay_season


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
        return replay_season(data.matches, data.odds, config, Ledger(store.engine), on_day=on_day)
    finally:
        store.close()


def _all_divisions() -> tuple[str, ...]:
    from scoreline.evaluation.walk_forward import DIVISION_LADDERS

    return tuple(d for ladder in DIVISION_LADDERS for d in ladder)
