"""Alerts on a model in staging: worse than the market, worse than its own record, or fed drifted features.

:func:`check_alerts` turns a :class:`~scoreline.staging.summary.Summary` and a drift result into
:class:`Alert` objects; :func:`emit_alerts` logs one structured WARNING line per alert (logger
``scoreline.staging.alerts``) and, given a webhook URL, POSTs them as JSON. A failing webhook is logged, never
raised: monitoring must not break the pipeline it watches.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Final

import httpx

from scoreline.staging.drift import DriftResult
from scoreline.staging.summary import Summary

log = logging.getLogger(__name__)

RPS_VS_MARKET: Final = "rps_vs_market"
RPS_DEGRADATION: Final = "rps_degradation"
FEATURE_DRIFT: Final = "feature_drift"
WEBHOOK_TIMEOUT_SECONDS: Final = 5.0


@dataclass(frozen=True)
class AlertThresholds:
    """When to alert (defaults and their reasons in docs/staging.md)."""

    max_gap_to_market: float = 0.01  # rolling RPS minus the market's over the same matches
    max_degradation: float = 0.04  # rolling RPS minus the whole period's (noisy: see the docs)
    min_window_matches: int = 30  # fewer matches in the window: too noisy to judge
    max_share_drifted: float = 0.25  # share of drifted columns, overall or in any one feature group


@dataclass(frozen=True)
class Alert:
    """One alert: its kind, a sentence for people, the value that crossed the threshold, and details."""

    kind: str
    message: str
    value: float
    threshold: float
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (for logs, the webhook and monitor.json)."""
        return asdict(self)


def _score_alerts(summary: Summary, thresholds: AlertThresholds) -> list[Alert]:
    window, version = summary.window, summary.model_version
    where = f"{'replay ' + summary.run + ', ' if summary.replay else ''}model {version}"
    alerts = []
    gap = window.gap_to_market
    enough = window.market_n >= thresholds.min_window_matches
    if gap is not None and enough and gap > thresholds.max_gap_to_market:
        alerts.append(
            Alert(
                kind=RPS_VS_MARKET,
                message=(
                    f"{where}: RPS over the last {window.market_n} matches the market priced "
                    f"is {gap:+.4f} worse than the market's closing RPS (limit "
                    f"{thresholds.max_gap_to_market:.4f})"
                ),
                value=gap,
                threshold=thresholds.max_gap_to_market,
                details={
                    "run": summary.run,
                    "model_version": version,
                    "matches": window.market_n,
                    "window_rps": window.rps,
                    "window_market_rps": window.market_rps,
                },
            )
        )
    overall = summary.rps
    if window.rps is not None and overall is not None and window.n >= thresholds.min_window_matches:
        degradation = window.rps - overall
        if degradation > thresholds.max_degradation:
            alerts.append(
                Alert(
                    kind=RPS_DEGRADATION,
                    message=(
                        f"{where}: RPS over the last {window.n} matches is {window.rps:.4f}, "
                        f"{degradation:+.4f} worse than {overall:.4f} over all {summary.scored} scored "
                        f"matches (limit {thresholds.max_degradation:.4f})"
                    ),
                    value=degradation,
                    threshold=thresholds.max_degradation,
                    details={
                        "run": summary.run,
                        "model_version": version,
                        "matches": window.n,
                        "window_rps": window.rps,
                        "overall_rps": overall,
                        "scored": summary.scored,
                    },
                )
            )
    return alerts


def _drift_alerts(drift: DriftResult, thresholds: AlertThresholds) -> list[Alert]:
    limit = thresholds.max_share_drifted
    groups = {group: share for group, share in drift.group_shares.items() if share > limit}
    if not (drift.dataset_drift or groups or drift.share_drifted > limit):
        return []
    where = ", ".join(f"{group} {share:.0%}" for group, share in groups.items())
    return [
        Alert(
            kind=FEATURE_DRIFT,
            message=(
                f"{len(drift.drifted_columns)} of {len(drift.columns)} feature column(s) drifted "
                f"({drift.share_drifted:.0%}{'; dataset drift' if drift.dataset_drift else ''}"
                f"{f'; by group {where}' if where else ''}; limit {limit:.0%}): "
                f"{', '.join(drift.drifted_columns)}"
            ),
            value=max([drift.share_drifted, *groups.values()]),
            threshold=limit,
            details={
                "dataset_drift": drift.dataset_drift,
                "share_drifted": drift.share_drifted,
                "groups_over_limit": groups,
                "drifted_columns": list(drift.drifted_columns),
                "report": str(drift.html_path),
            },
        )
    ]


def check_alerts(
    summary: Summary | None,
    drift: DriftResult | None = None,
    thresholds: AlertThresholds | None = None,
) -> list[Alert]:
    """Alerts for a staging summary and a drift result (either may be ``None``).

    - ``rps_vs_market``: the rolling RPS exceeds the market's over the window's priced matches by more than
      ``max_gap_to_market``;
    - ``rps_degradation``: the rolling RPS exceeds the whole period's by more than ``max_degradation``;
    - ``feature_drift``: Evidently found dataset drift, or the share of drifted columns, overall or within
      one feature group (``elo``, ``pi``, ``form``, ``mkt``...), exceeds ``max_share_drifted``: a broken
      feed shows as a whole group drifting, while a few isolated form columns drifting is usual noise.

    Score alerts need at least ``min_window_matches`` matches in the window.
    """
    thresholds = thresholds or AlertThresholds()
    alerts = [] if summary is None else _score_alerts(summary, thresholds)
    if drift is not None:
        alerts += _drift_alerts(drift, thresholds)
    return alerts


def emit_alerts(
    alerts: Sequence[Alert],
    webhook_url: str | None = None,
    timeout: float = WEBHOOK_TIMEOUT_SECONDS,
    client: httpx.Client | None = None,
) -> bool:
    """Log each alert at WARNING; POST them all to ``webhook_url`` if given. True when the webhook took them.

    The log record carries the alert as ``extra={"alert": {...}}`` and its message is the alert as JSON. The
    webhook body is ``{"text": ..., "alerts": [...]}`` (``text`` makes Slack-style webhooks show it).
    ``client`` is for tests (e.g. an ``httpx.Client`` over ``httpx.MockTransport``).
    """
    for alert in alerts:
        payload = alert.to_dict()
        line = json.dumps(payload, sort_keys=True, default=str)
        log.warning("staging alert %s", line, extra={"alert": payload})
    if not alerts or not webhook_url:
        return False
    body = {
        "text": "\n".join(f"[scoreline staging] {alert.message}" for alert in alerts),
        "alerts": [alert.to_dict() for alert in alerts],
    }
    try:
        if client is None:
            with httpx.Client(timeout=timeout) as own_client:
                response = own_client.post(webhook_url, json=body)
        else:
            response = client.post(webhook_url, json=body, timeout=timeout)
        response.raise_for_status()
    except httpx.HTTPError as error:
        log.error(
            "staging alerts: webhook POST failed (%d alert(s) not delivered): %s",
            len(alerts),
            _describe(error),
        )
        return False
    return True


def _describe(error: httpx.HTTPError) -> str:
    """The failure without the URL (webhook URLs often embed a secret token)."""
    if isinstance(error, httpx.HTTPStatusError):
        return f"HTTP {error.response.status_code}"
    return type(error).__name__
