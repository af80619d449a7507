"""Staging: a model tested on ongoing matches while its record is watched, before it replaces the champion.

- :mod:`~scoreline.staging.ledger`: the append-only, tamper-evident prediction ledger and its scores;
- :mod:`~scoreline.staging.replay`: a past season replayed day by day as if live;
- :mod:`~scoreline.staging.monitor`: rolling scores beside the market's and ``monitor.json``;
- :mod:`~scoreline.staging.drift`: feature drift between the training window and recent matches;
- :mod:`~scoreline.staging.alerts`: alerts on a model doing worse than the market, its record, or on drift.

The daily steps that drive them are in :mod:`scoreline.pipelines.steps`. Names are imported on first use
(the ledger needs SQLAlchemy, drift needs Evidently).
"""

from __future__ import annotations

from scoreline.lazy import lazy_exports

_EXPORTS = {
    "Ledger": "ledger",
    "AppendResult": "ledger",
    "ReplayConfig": "replay",
    "ReplayResult": "replay",
    "replay_season": "replay",
    "market_closing_probabilities": "replay",
    "summarise": "monitor",
    "rolling_scores": "monitor",
    "write_monitor": "monitor",
    "DriftResult": "drift",
    "drift_report": "drift",
    "drift_columns": "drift",
    "Alert": "alerts",
    "AlertThresholds": "alerts",
    "check_alerts": "alerts",
    "emit_alerts": "alerts",
}
__all__ = [*_EXPORTS]  # noqa: PLE0604 (the keys of _EXPORTS are strings)
__getattr__ = lazy_exports(__name__, _EXPORTS)
