"""Start-up never blocks on the registry: the model loads in the background, ``/ready`` says why it has not
(redacted), and the load is tried again until it works."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from scoreline.serving import create_app
from scoreline.serving.provider import (
    RegistryModelProvider,
    RegistryUnavailableError,
    probe_database_registry,
)
from scoreline.serving.service import ModelHandle
from scoreline.settings import Settings

from .conftest import ModelsInMemory
from .live_server import free_port

PASSWORD = "s3cret-Pa55word"
HEALTH_WITHIN_SECONDS = 60


class BlockingProvider(ModelsInMemory):
    """Loads only once ``release`` is set (a registry that hangs)."""

    def __init__(self, inner: ModelsInMemory) -> None:
        super().__init__(inner._versions, inner.aliases)
        self.release = threading.Event()

    def load(self, ref: str) -> ModelHandle:
        self.release.wait(timeout=60)
        return super().load(ref)


class FailingProvider(ModelsInMemory):
    """Fails ``failures`` times with a message holding a password, then loads."""

    def __init__(self, inner: ModelsInMemory, failures: int) -> None:
        super().__init__(inner._versions, inner.aliases)
        self.failures = failures

    def load(self, ref: str) -> ModelHandle:
        if self.failures > 0:
            self.failures -= 1
            self.loads.append(ref)
            raise ConnectionError(f"cannot reach postgresql://mlflow:{PASSWORD}@db.internal:5432/mlflow")
        return super().load(ref)


def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


@pytest.mark.slow
def test_a_hanging_registry_does_not_hold_start_up(settings: Settings, provider: ModelsInMemory) -> None:
    blocking = BlockingProvider(provider)
    try:
        with TestClient(create_app(settings, blocking)) as client:  # returns although the load hangs
            assert client.get("/health").json() == {"status": "ok"}
            ready = client.get("/ready")
            assert ready.status_code == 503
            assert ready.json() == {
                "status": "unavailable",
                "model": None,
                "detail": "model 'champion' is loading",
            }
            assert client.post("/v1/predictions", json={"fixtures": []}).status_code in (422, 503)
            blocking.release.set()
            assert wait_until(lambda: client.get("/ready").status_code == 200)
            assert client.get("/ready").json()["model"]["version"] == "2"
    finally:
        blocking.release.set()


def test_a_failing_load_is_retried_and_its_reason_is_redacted(
    settings: Settings, provider: ModelsInMemory
) -> None:
    failing = FailingProvider(provider, failures=2)
    quick = settings.model_copy(update={"model_retry_seconds": 0.3})
    with TestClient(create_app(quick, failing)) as client:
        ready = client.get("/ready")
        if ready.status_code == 503:  # (the retries may already have loaded it on a slow machine)
            detail = ready.json()["detail"]
            assert detail.startswith("ConnectionError: cannot reach postgresql://mlflow:***@db.internal")
            assert PASSWORD not in ready.text
            predictions = client.post(
                "/v1/predictions",
                json={
                    "fixtures": [
                        {"league": "E0", "home": "Arsenal", "away": "Chelsea", "kickoff": "2030-01-05"}
                    ]
                },
            )
            assert predictions.status_code == 503 and PASSWORD not in predictions.text
            assert PASSWORD not in client.get("/").text
        assert wait_until(lambda: client.get("/ready").status_code == 200)
    assert failing.loads == ["champion"] * 3


def test_no_retry_after_an_admin_reload_loaded_the_model(
    settings: Settings, provider: ModelsInMemory
) -> None:
    failing = FailingProvider(provider, failures=1)
    slow_retry = settings.model_copy(update={"model_retry_seconds": 3600})
    with TestClient(create_app(slow_retry, failing)) as client:
        assert client.get("/ready").status_code == 503
        reload = client.post("/v1/admin/reload", headers={"X-API-Key": settings.api_key.get_secret_value()})
        assert reload.status_code == 200
        assert client.get("/ready").status_code == 200
    assert failing.loads == ["champion", "champion"]


def test_shutdown_stops_the_retries(settings: Settings, provider: ModelsInMemory) -> None:
    failing = FailingProvider(provider, failures=10_000)
    quick = settings.model_copy(update={"model_retry_seconds": 0.02})
    app = create_app(quick, failing)
    with TestClient(app):
        assert wait_until(lambda: len(failing.loads) >= 3)
    tries = len(failing.loads)
    time.sleep(0.3)
    assert len(failing.loads) <= tries + 1  # at most the try that was running when the app stopped
    with TestClient(app):  # started again: one loader again
        assert wait_until(lambda: len(failing.loads) >= tries + 3)
    time.sleep(0.3)
    settled = len(failing.loads)
    time.sleep(0.3)
    assert len(failing.loads) == settled


def test_an_unreachable_database_registry_fails_fast_without_its_password(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    uri = f"postgresql+psycopg://mlflow:{PASSWORD}@127.0.0.1:{port}/mlflow"
    with pytest.raises(Exception, match=r"127\.0\.0\.1"):
        probe_database_registry(uri, timeout_seconds=2)
    provider = RegistryModelProvider(Settings(home=tmp_path, mlflow_uri=uri))
    with pytest.raises(RegistryUnavailableError) as caught:
        provider.load("champion")
    assert f"registry at postgresql+psycopg://mlflow:***@127.0.0.1:{port}/mlflow" in str(caught.value)
    assert PASSWORD not in str(caught.value)


def test_mlflow_http_calls_are_bounded_unless_mlflow_variables_say_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("MLFLOW_HTTP_REQUEST_TIMEOUT", "MLFLOW_HTTP_REQUEST_MAX_RETRIES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "3")
    RegistryModelProvider(Settings(home=tmp_path, registry_timeout_seconds=7, registry_retries=0))
    assert os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] == "7"
    assert os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "0"
    assert os.environ["MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR"] == "3"


# --- the real command, with the registry unreachable ----------------------------------------------


@pytest.fixture
def serve_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCORELINE_", "MLFLOW_"))}
    return env | {"SCORELINE_HOME": str(tmp_path), "SCORELINE_API_KEY": "startup-test-key"}


@pytest.fixture
def unused_port() -> Iterator[int]:
    yield free_port()


@pytest.mark.slow
@pytest.mark.parametrize(
    "registry",
    [
        f"http://mlflow:{PASSWORD}@127.0.0.1:{{port}}",
        f"postgresql+psycopg://mlflow:{PASSWORD}@127.0.0.1:{{port}}/mlflow",
    ],
    ids=["http", "postgresql"],
)
def test_serve_answers_health_at_once_with_the_registry_unreachable(
    registry: str, serve_env: dict[str, str], unused_port: int
) -> None:
    closed = free_port()
    env = serve_env | {"SCORELINE_MLFLOW_URI": registry.format(port=closed)}
    command = [sys.executable, "-m", "scoreline", "serve", "--port", str(unused_port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{unused_port}"
    try:
        health = None
        # generous (importing the app takes a few seconds of CPU, far longer on a loaded machine); before the
        # fix MLflow's own retries held the port closed for 100 s (SQL store) to 250 s (HTTP)
        deadline = time.monotonic() + HEALTH_WITHIN_SECONDS
        while health is None and time.monotonic() < deadline and server.poll() is None:
            try:
                health = httpx.get(f"{base}/health", timeout=2)
            except httpx.TransportError:
                time.sleep(0.2)
        assert health is not None, f"no answer from /health within {HEALTH_WITHIN_SECONDS} s"
        assert health.status_code == 200 and health.json() == {"status": "ok"}
        assert "server" not in health.headers
        assert wait_until(
            lambda: httpx.get(f"{base}/ready", timeout=5).json()["detail"] != "model 'champion' is loading",
            timeout=180,  # the first try imports MLflow in the background: slow on a loaded machine
        )
        ready = httpx.get(f"{base}/ready", timeout=5)
        assert ready.status_code == 503
        assert "RegistryUnavailableError: registry at " in ready.json()["detail"]
        assert f"mlflow:***@127.0.0.1:{closed}" in ready.json()["detail"]
        assert PASSWORD not in ready.text
    finally:
        server.terminate()
        _, log = server.communicate(timeout=30)
    assert PASSWORD not in log
    assert "could not load model 'champion'" in log
