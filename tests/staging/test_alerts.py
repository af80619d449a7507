"""Alerts fire on a degraded model and on drift, not on a good model; emitted as logs and a webhook POST."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from scoreline import columns as c
from scoreline.simulate import SimulatedLeague
from scoreline.staging import alerts as al
from scoreline.staging.drift import ColumnDrift, DriftResult
from scoreline.staging.monitor import summarise
from tests.staging.test_monitor import TRUE, scored_frame

WEBHOOK = "https://hooks.example.test/T000/secret-token"


def _market(league: SimulatedLeague, noise: float = 0.1, seed: int = 1) -> pd.DataFrame:
    """Closing probabilities: the true ones, blurred (a good market that is not omniscient)."""
    rng = np.random.default_rng(seed)
    probs = league.matches[TRUE].to_numpy() * np.exp(rng.normal(0, noise, (len(league.matches), 3)))
    probs /= probs.sum(axis=1, keepdims=True)
    market = league.matches[list(c.MATCH_KEY)].copy()
    market[list(c.PROBABILITY_COLUMNS)] = probs
    return market


def test_good_model_raises_no_alert(simulated_league: SimulatedLeague) -> None:
    scored = scored_frame(simulated_league, simulated_league.matches[TRUE].to_numpy())
    summary = summarise(scored, _market(simulated_league), window=50)
    assert summary.scored == 760
    assert al.check_alerts(summary, None) == []


def test_model_worse_than_the_market_alerts(simulated_league: SimulatedLeague) -> None:
    swapped = simulated_league.matches[TRUE].to_numpy()[:, ::-1]  # home and away probabilities swapped
    summary = summarise(scored_frame(simulated_league, swapped), _market(simulated_league), window=50)

    alerts = al.check_alerts(summary, None)

    assert [alert.kind for alert in alerts] == [al.RPS_VS_MARKET]  # bad all along: no *recent* degradation
    assert alerts[0].value == pytest.approx(summary.window.gap_to_market)
    assert alerts[0].value > 0.05
    assert alerts[0].details["matches"] == 50


def test_recent_degradation_alerts(simulated_league: SimulatedLeague) -> None:
    probs = simulated_league.matches[TRUE].to_numpy().copy()
    probs[-50:] = probs[-50:, ::-1]  # the last 50 matches go wrong
    summary = summarise(scored_frame(simulated_league, probs), _market(simulated_league), window=50)

    alerts = {alert.kind: alert for alert in al.check_alerts(summary, None)}

    assert set(alerts) == {al.RPS_VS_MARKET, al.RPS_DEGRADATION}
    degradation = alerts[al.RPS_DEGRADATION]
    assert degradation.value == pytest.approx(summary.window.rps - summary.rps)
    assert degradation.value > 0.04
    assert degradation.details["overall_rps"] == summary.rps


def test_too_short_a_window_is_not_judged(simulated_league: SimulatedLeague) -> None:
    swapped = simulated_league.matches[TRUE].to_numpy()[:, ::-1]
    scored = scored_frame(simulated_league, swapped).iloc[:29]
    summary = summarise(scored, _market(simulated_league), window=50)
    assert summary.window.gap_to_market > al.AlertThresholds().max_gap_to_market
    assert al.check_alerts(summary, None) == []
    loose = al.AlertThresholds(min_window_matches=20)
    assert [alert.kind for alert in al.check_alerts(summary, None, loose)] == [al.RPS_VS_MARKET]


def _drift(drifted: dict[str, bool], dataset_drift: bool = False) -> DriftResult:
    columns = [ColumnDrift(name, "ks", 1e-6 if flag else 0.5, 0.005, flag) for name, flag in drifted.items()]
    names = [item.column for item in columns if item.drifted]
    return DriftResult(
        drifted_columns=names,
        share_drifted=len(names) / len(columns),
        dataset_drift=dataset_drift,
        html_path=Path("drift.html"),
        json_path=Path("drift.json"),
        columns=columns,
        skipped_columns=[],
        n_reference=500,
        n_current=100,
    )


def _form(n: int, n_drifted: int) -> dict[str, bool]:
    return {f"form_stat{i}_home": i < n_drifted for i in range(n)}


@pytest.mark.parametrize(
    ("drifted", "dataset_drift", "groups_over"),
    [
        (_form(10, 0), False, None),
        (_form(10, 2), False, None),  # a few form columns: usual noise
        (_form(10, 3), False, {"form": 0.3}),
        (_form(10, 2), True, {}),  # Evidently's dataset drift alerts whatever the shares
        (
            {**_form(8, 0), "elo_home": True, "elo_diff": True},
            False,
            {"elo": 1.0},
        ),  # a whole group: a broken feed
    ],
)
def test_drift_alert_thresholds(
    drifted: dict[str, bool], dataset_drift: bool, groups_over: dict[str, float] | None
) -> None:
    drift = _drift(drifted, dataset_drift)
    alerts = al.check_alerts(None, drift)
    assert [alert.kind for alert in alerts] == ([] if groups_over is None else [al.FEATURE_DRIFT])
    if alerts:
        assert alerts[0].details["groups_over_limit"] == groups_over
        assert alerts[0].details["drifted_columns"] == [name for name, flag in drifted.items() if flag]
        assert alerts[0].value == max([drift.share_drifted, *groups_over.values()])
    loose = al.AlertThresholds(max_share_drifted=1.0)
    assert [alert.kind for alert in al.check_alerts(None, drift, loose)] == (
        [al.FEATURE_DRIFT] if dataset_drift else []
    )


def _alerts() -> list[al.Alert]:
    return [
        al.Alert(al.RPS_VS_MARKET, "worse than the market", 0.03, 0.01, {"matches": 50}),
        al.Alert(al.FEATURE_DRIFT, "3 of 10 columns drifted", 0.3, 0.0, {"drifted_columns": ["a", "b", "c"]}),
    ]


def test_each_alert_is_a_structured_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="scoreline.staging.alerts"):
        delivered = al.emit_alerts(_alerts(), webhook_url=None)
    assert delivered is False
    records = [record for record in caplog.records if record.name == "scoreline.staging.alerts"]
    assert [record.levelno for record in records] == [logging.WARNING, logging.WARNING]
    assert [record.__dict__["alert"]["kind"] for record in records] == [al.RPS_VS_MARKET, al.FEATURE_DRIFT]
    assert json.loads(json.dumps(records[1].__dict__["alert"])) == _alerts()[1].to_dict()
    assert json.loads(records[0].getMessage().removeprefix("staging alert "))["value"] == 0.03


def test_webhook_receives_the_alerts_as_json() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        assert al.emit_alerts(_alerts(), WEBHOOK, client=client) is True
    assert len(seen) == 1
    assert seen[0].method == "POST"
    assert str(seen[0].url) == WEBHOOK
    body = json.loads(seen[0].content)
    assert body["alerts"] == [alert.to_dict() for alert in _alerts()]
    assert body["text"].splitlines() == [
        "[scoreline staging] worse than the market",
        "[scoreline staging] 3 of 10 columns drifted",
    ]


def test_no_alert_posts_nothing() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("nothing to post")

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        assert al.emit_alerts([], WEBHOOK, client=client) is False


@pytest.mark.parametrize(
    ("response", "described"),
    [(httpx.Response(500), "HTTP 500"), (httpx.ConnectError("refused"), "ConnectError")],
)
def test_webhook_failure_is_logged_not_raised(
    response: httpx.Response | Exception, described: str, caplog: pytest.LogCaptureFixture
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(response, Exception):
            raise response
        return response

    with (
        caplog.at_level(logging.WARNING, logger="scoreline.staging.alerts"),
        httpx.Client(transport=httpx.MockTransport(handler)) as client,
    ):
        assert al.emit_alerts(_alerts(), WEBHOOK, client=client) is False
    errors = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert len(errors) == 1
    assert described in errors[0].getMessage()
    assert "secret-token" not in caplog.text  # the webhook URL's secret never reaches the logs
