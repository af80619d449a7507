"""MLflow with its artefacts on S3, proxied by the tracking server: train, register, promote and serve
against a real ``mlflow server --artifacts-destination s3://...`` on loopback, the S3 API being moto's server.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from scoreline.pipelines.train import train_model
from scoreline.registry import registry
from scoreline.registry.promotion import promote
from scoreline.registry.pyfunc import FIXTURE_COLUMNS, fixtures_frame
from scoreline.registry.tracking import Tracking
from scoreline.serving.provider import RegistryModelProvider
from scoreline.settings import Settings
from scoreline.simulate import SimulatedLeague
from tests.registry.conftest import make_model
from tests.s3.conftest import aws_environment, free_port, s3_endpoint

__all__ = ["s3_endpoint"]  # the session's moto server (tests/s3/conftest.py)

pytestmark = pytest.mark.slow
UNTIL = "2024-06-01"
BUCKET = "scoreline-mlflow"


@pytest.fixture
def mlflow_server(
    s3_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[dict[str, Any]]:
    """``mlflow server`` (sqlite backend) proxying artefacts to ``s3://scoreline-mlflow/mlflow`` on moto."""
    import boto3

    aws_environment(monkeypatch, s3_endpoint, tmp_path)
    monkeypatch.setenv("MLFLOW_S3_ENDPOINT_URL", s3_endpoint)
    s3 = boto3.client("s3", endpoint_url=s3_endpoint)
    s3.create_bucket(Bucket=BUCKET)
    port = free_port()
    command = [
        str(Path(sys.executable).with_name("mlflow")),
        "server",
        "--host=127.0.0.1",
        f"--port={port}",
        "--workers=1",
        f"--backend-store-uri=sqlite:///{tmp_path / 'mlflow.db'}",
        f"--artifacts-destination=s3://{BUCKET}/mlflow",
        "--serve-artifacts",
    ]
    log = (tmp_path / "mlflow.log").open("w")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2):
                    break
            except OSError:
                assert server.poll() is None, (tmp_path / "mlflow.log").read_text()
                assert time.monotonic() < deadline, "mlflow server did not answer within 60 s"
                time.sleep(0.3)
        yield {"url": url, "s3": s3}
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def test_training_registration_promotion_and_serving_with_artefacts_on_s3(
    mlflow_server: dict[str, Any], simulated_league: SimulatedLeague, tmp_path: Path
) -> None:
    settings = Settings(mlflow_uri=mlflow_server["url"], home=tmp_path / "home")
    tracking = Tracking.from_settings(settings)
    assert tracking.artifact_location is None  # nothing is written locally: the server proxies
    matches = simulated_league.matches
    champion = train_model(
        "team_strength", matches, UNTIL, params={"noise": 0.05}, seed=7, factory=make_model, tracking=tracking
    )
    challenger = train_model("base_rates", matches, UNTIL, seed=7, factory=make_model, tracking=tracking)
    assert registry.register(champion.run_id, "champion", tracking) == 1
    assert registry.register(challenger.run_id, "challenger", tracking) == 2

    decision = promote(tracking, min_matches=10)
    expected = challenger if decision.promote else champion
    assert registry.load_model("champion", tracking).run_id == expected.run_id

    served = RegistryModelProvider(settings).load("champion")
    x = fixtures_frame(matches.tail(30)[list(FIXTURE_COLUMNS)].reset_index(drop=True))
    np.testing.assert_array_equal(served.estimator.predict_proba(x), expected.estimator.predict_proba(x))
    assert served.run_id == expected.run_id

    listed = mlflow_server["s3"].list_objects_v2(Bucket=BUCKET, Prefix="mlflow/")
    keys = [item["Key"] for item in listed.get("Contents", [])]
    assert sum(key.endswith("/MLmodel") for key in keys) >= 2, keys
    assert any(key.endswith(".pkl") or "model" in key.rsplit("/", 1)[-1] for key in keys)
    assert not (tmp_path / "home" / "mlflow").exists()
