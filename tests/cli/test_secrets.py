"""Secrets never leave: with a password planted in every URL setting (and a key in every secret setting),
nothing the project prints, logs, answers or records after failures holds one.

Greps CLI stdout and stderr (also ``--debug`` tracebacks), every log record, the API's answers (``/ready``
and a prediction's 503 while the registry and the store are unreachable) and the parameters and tags of an
MLflow training run.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from scoreline.cli.main import app
from scoreline.settings import get_settings

runner = CliRunner()

PLANTED = {
    "SCORELINE_DB_URL": "postgresql+psycopg://scoreline:Planted-db-Pw1@127.0.0.1:1/scoreline",
    "SCORELINE_MLFLOW_URI": "http://mlflow:Planted-mlflow-Pw2@127.0.0.1:1",
    "SCORELINE_FOOTBALL_DATA_URL": "http://fd:Planted-source-Pw3@127.0.0.1:1/mmz4281",
    "SCORELINE_FIXTURES_URL": "http://fx:Planted-fixtures-Pw4@127.0.0.1:1/fixtures.csv",
    "SCORELINE_ALERT_WEBHOOK_URL": "http://hook:Planted-webhook-Pw5@127.0.0.1:1/T0/B0/Planted-hook-token6",
    "SCORELINE_API_KEY": "Planted-api-key-7-0123456789abcdefghijklmnop",
    "SCORELINE_LEDGER_KEY": "Planted-ledger-key-8",
}
SECRETS = ("Planted-db-Pw1", "Planted-mlflow-Pw2", "Planted-source-Pw3", "Planted-fixtures-Pw4")
SECRETS += ("Planted-webhook-Pw5", "Planted-hook-token6", "Planted-api-key-7", "Planted-ledger-key-8")
FAST_FAILURE = {"SCORELINE_HTTP_RETRIES": "0", "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0"}


def leaked(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


@pytest.fixture()
def planted(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {**PLANTED, **FAST_FAILURE, "MLFLOW_HTTP_REQUEST_TIMEOUT": "2"}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()


FAILING_COMMANDS = [
    ["data", "summary"],
    ["--debug", "data", "summary"],
    ["run", "--leagues", "E0", "--seasons", "2324", "--models", "elo"],
    ["--debug", "run", "--leagues", "E0", "--seasons", "2324", "--models", "elo"],
    ["fixtures", "fetch"],
    ["--debug", "fixtures", "fetch"],
    ["backtest", "--leagues", "ZZ", "--test-seasons", "2324"],
    ["stage", "--league", "E0", "--season", "2324"],
    ["insights", "clusters", "--out", "insights-out"],
    ["predict", "Arsenal", "Chelsea", "--league", "E0"],
    ["--debug", "predict", "Arsenal", "Chelsea", "--league", "E0"],
    ["data", "summary", "--db", "postgresql+psycopg://u:Planted-db-Pw1@127.0.0.1:1/other"],
    ["data", "summary", "--db", "mysql://u:Planted-db-Pw1@127.0.0.1:1/x"],
    ["-v", "ingest", "--leagues", "E0", "--seasons", "2324"],
]


@pytest.mark.parametrize("args", FAILING_COMMANDS, ids=" ".join)
def test_failing_commands_print_and_log_no_secret(
    planted: None,
    args: list[str],
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # insights writes its --out folder
    with caplog.at_level(logging.DEBUG):
        result = runner.invoke(app, args)
    assert result.exit_code in (1, 2), result.output
    assert result.stderr.strip(), "a failure says what happened"
    assert leaked(result.output) == []
    records = "\n".join(record.getMessage() + str(record.exc_text or "") for record in caplog.records)
    assert leaked(caplog.text + records) == []


def test_the_store_url_of_a_reachable_database_is_redacted(tmp_path: Path) -> None:
    """The reported leaks: ``backtest --leagues ZZ --db URL`` and ``insights clusters`` printed the password
    of a store they could read."""
    url = os.environ.get("SCORELINE_TEST_PG_URL")
    if not url:
        pytest.skip("SCORELINE_TEST_PG_URL is not set (the CI script sets it)")
    from sqlalchemy import make_url

    password = make_url(url).password
    assert password
    result = runner.invoke(app, ["backtest", "--leagues", "ZZ", "--test-seasons", "2324", "--db", url])
    assert result.exit_code == 1
    assert "has no matches for ZZ" in result.stderr
    assert f":{password}@" not in result.output
    clusters = runner.invoke(
        app, ["insights", "clusters", "--out", str(tmp_path), "--leagues", "ZZ", "--db", url]
    )
    assert clusters.exit_code == 1 and "no matches" in clusters.stderr
    assert f":{password}@" not in clusters.output


def test_api_answers_hold_no_secret(planted: None, caplog: pytest.LogCaptureFixture) -> None:
    from scoreline.serving import create_app

    with caplog.at_level(logging.DEBUG), TestClient(create_app()) as client:
        deadline = time.monotonic() + 60
        while "loading" in (ready := client.get("/ready")).text and time.monotonic() < deadline:
            time.sleep(0.2)
        fixture = {"league": "E0", "home": "Arsenal", "away": "Chelsea", "kickoff": "2026-08-15T15:00:00"}
        answers = {
            "ready": ready,
            "predictions": client.post("/v1/predictions", json={"fixtures": [fixture]}),
            "leagues": client.get("/v1/leagues"),
            "models": client.get("/v1/models"),
            "dashboard": client.get("/"),
        }
    assert ready.status_code == 503 and "registry" in ready.json()["detail"]
    assert answers["predictions"].status_code == 503
    for name, answer in answers.items():
        assert leaked(answer.text) == [], name
    assert leaked(caplog.text) == []


@pytest.mark.slow
def test_a_training_run_records_no_secret(
    planted: None, mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MLflow params and tags of a run trained with every other URL setting holding a password."""
    from mlflow import MlflowClient

    from scoreline.registry.tracking import Tracking

    monkeypatch.delenv("SCORELINE_MLFLOW_URI")  # the embedded MLflow store under SCORELINE_HOME
    get_settings.cache_clear()
    db = f"duckdb:///{tmp_path / 'store.duckdb'}"
    assert runner.invoke(app, ["ingest", "--from-dir", str(mirror), "--db", db]).exit_code == 0
    result = runner.invoke(
        app, ["train", "--model", "elo", "--leagues", "E0", "--until", "2024-06-01", "--db", db]
    )
    assert result.exit_code == 0, result.output
    tracking = Tracking.from_settings(get_settings())
    client = MlflowClient(tracking_uri=tracking.uri)
    runs = [
        run
        for experiment in client.search_experiments()
        for run in client.search_runs([experiment.experiment_id])
    ]
    assert runs, "the training run is recorded"
    for run in runs:
        recorded = str(run.data.params) + str(run.data.tags)
        assert "elo" in recorded
        assert leaked(recorded) == []
    assert leaked(result.output) == []
