"""Register and load back through an MLflow tracking server (HTTP), as the compose stack and Airflow's Celery
workers do (``SCORELINE_MLFLOW_URI=http://...``): a real ``mlflow server`` on loopback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import requests

from scoreline.pipelines.train import train_model
from scoreline.registry import registry
from scoreline.registry.pyfunc import FIXTURE_COLUMNS, fixtures_frame
from scoreline.registry.tracking import Tracking
from scoreline.simulate import SimulatedLeague
from tests.registry.conftest import make_model

UNTIL = "2024-06-01"
START_SECONDS = 180


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tracking]:
    """An ``mlflow server`` on loopback (sqlite backend, artefacts proxied into a folder), stopped after."""
    folder = tmp_path_factory.mktemp("mlflow-server")
    port = _free_port()
    log = folder / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
             "--workers", "1", "--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}",
             "--artifacts-destination", str(folder / "artifacts")],
            stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"},
        )  # fmt: skip
    try:
        _wait_healthy(f"http://127.0.0.1:{port}/health", process, log)
        yield Tracking(uri=f"http://127.0.0.1:{port}")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"mlflow server exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    pytest.fail(f"mlflow server not healthy within {START_SECONDS} s:\n{log.read_text()[-3000:]}")


@pytest.mark.slow  # starts an MLflow server (about 20 s)
def test_a_trained_run_registers_as_champion_and_loads_back_through_a_tracking_server(
    server: Tracking, simulated_league: SimulatedLeague
) -> None:
    trained = train_model(
        "team_strength", simulated_league.matches, UNTIL, seed=7, factory=make_model, tracking=server
    )
    version = registry.register(trained.run_id, "champion", server)
    loaded = registry.load_model("champion", server)
    assert (loaded.version, loaded.run_id) == (version, trained.run_id)
    fixtures = simulated_league.matches.tail(20)[list(FIXTURE_COLUMNS)].reset_index(drop=True)
    np.testing.assert_allclose(
        loaded.pyfunc.predict(fixtures).to_numpy(),
        trained.estimator.predict_proba(fixtures_frame(fixtures)),
        rtol=0,
        atol=1e-12,
    )
    assert [row["aliases"] for row in registry.list_versions(server)] == [["champion"]]


@pytest.mark.slow  # about 3 s: migrates a fresh sqlite MLflow store
def test_an_experiment_created_by_another_worker_meanwhile_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers' first ``train`` tasks both find no experiment; the second to create it must not fail."""
    import mlflow

    from scoreline.registry.tracking import EXPERIMENT, activate

    tracking = Tracking(uri=f"sqlite:///{tmp_path / 'mlflow.db'}", artifact_location=tmp_path / "artifacts")
    other_worker = activate(tracking)  # the other worker created it between our lookup and our create
    monkeypatch.setattr(mlflow.MlflowClient, "get_experiment_by_name", _absent_once())
    assert activate(tracking) == other_worker
    assert [e.name for e in mlflow.MlflowClient(tracking.uri).search_experiments()].count(EXPERIMENT) == 1


def _absent_once() -> object:
    """``MlflowClient.get_experiment_by_name`` that finds nothing on its first call."""
    import mlflow

    original = mlflow.MlflowClient.get_experiment_by_name
    calls: list[str] = []

    def lookup(self: object, name: str) -> object:
        calls.append(name)
        return None if len(calls) == 1 else original(self, name)

    return lookup
