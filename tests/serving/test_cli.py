"""``scoreline serve`` and ``scoreline predict``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from scoreline.cli.main import app as cli
from scoreline.cli.serve import predict_fixture
from scoreline.serving.schemas import FixtureIn
from scoreline.serving.snapshot import StoreFixtureSource

from .conftest import ModelsInMemory
from .live_server import free_port

SRC = Path(__file__).resolve().parents[2] / "src"


def test_predict_fixture_gives_the_same_answer_as_the_api(
    client: TestClient, provider: ModelsInMemory, store_url: str
) -> None:
    fixture = FixtureIn(league="E0", home="arsenal", away="Chelsea", kickoff=datetime(2030, 1, 5, 15))
    answer = predict_fixture(provider, StoreFixtureSource(store_url), fixture, "champion")
    payload = {
        "fixtures": [{"league": "E0", "home": "Arsenal", "away": "Chelsea", "kickoff": "2030-01-05T15:00:00"}]
    }
    from_api = client.post("/v1/predictions", json=payload).json()["predictions"][0]
    assert answer.model_dump(mode="json") == from_api


def test_predict_names_unknown_teams_with_suggestions(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCORELINE_DB_URL", store_url)
    result = CliRunner().invoke(cli, ["predict", "Arsenl", "Chelsea", "--league", "E0"])
    assert result.exit_code == 2
    assert "unknown team 'Arsenl' in league E0; did you mean 'Arsenal'?" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["predict", "Arsenal", "Chelsea", "--league", "E0", "--kickoff", "tomorrow"], "kickoff"),
        (["predict", "Arsenal", "arsenal", "--league", "E0"], "different teams"),
        (["predict", "Arsenal", "Chelsea", "--league", "E0", "--model", "best"], "version number"),
        (["serve", "--model", "best"], "version number"),
        (["serve", "--port", "0"], "greater than or equal to 1"),
    ],
)
def test_bad_arguments_exit_2_with_the_reason(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert message in " ".join(result.output.replace("│", " ").split())  # Rich may wrap the message


@pytest.mark.slow
def test_serve_starts_logs_json_and_is_live_but_not_ready_without_a_registered_model(
    isolated_home: Path, store_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "SCORELINE_HOME": str(isolated_home),
        "SCORELINE_DB_URL": store_url,
    }
    log = tmp_path / "serve.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "scoreline", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    health = httpx.get(f"{base}/health", headers={"X-Request-ID": "cli-1"}, timeout=2)
                    break
                except httpx.TransportError:
                    assert process.poll() is None, log.read_text()
                    assert time.monotonic() < deadline, "serve did not answer within 60 s"
                    time.sleep(0.2)
            assert health.status_code == 200
            ready = httpx.get(f"{base}/ready", timeout=5)
            assert ready.status_code == 503
            # generous timeouts: the model loads in the background (importing MLflow) meanwhile
            leagues = httpx.get(f"{base}/v1/leagues", timeout=60)
            assert leagues.json()["leagues"][0]["league"] == "E0"
            while httpx.get(f"{base}/ready", timeout=60).json()["detail"] == "model 'champion' is loading":
                assert time.monotonic() < deadline + 120, "the first load did not end within 3 minutes"
                time.sleep(0.2)
            assert "no version or alias" in httpx.get(f"{base}/ready", timeout=60).json()["detail"]
        finally:
            process.terminate()
            process.wait(timeout=20)
    lines: list[dict[str, Any]] = [
        json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")
    ]
    access = [line for line in lines if line["logger"] == "scoreline.serving.access"]
    assert any(line["request_id"] == "cli-1" and line["status"] == 200 for line in access)
    assert any(line["level"] == "ERROR" and "could not load model" in line["message"] for line in lines)
