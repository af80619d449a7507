"""API and ``predict`` over the real MLflow registry: a Dixon-Coles champion, a Poisson challenger."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

from scoreline import columns as c
from scoreline.cli.main import app as cli
from scoreline.models.dixon_coles import DixonColesGoalModel
from scoreline.models.poisson import PoissonGoalModel
from scoreline.pipelines.train import train_model
from scoreline.registry import registry
from scoreline.registry.tracking import Tracking
from scoreline.serving import create_app
from scoreline.serving.service import Fixture, fixtures_frame
from scoreline.settings import Settings, get_settings

from .conftest import API_KEY

GOAL_MODELS = {"dixon_coles": DixonColesGoalModel, "poisson": PoissonGoalModel}
PAYLOAD = {
    "fixtures": [{"league": "E0", "home": "Arsenal", "away": "Chelsea", "kickoff": "2030-01-05T15:00:00"}]
}


def goal_model(name: str, **params: Any) -> Any:
    return GOAL_MODELS[name](**params)


@pytest.fixture(scope="module")
def registered(tmp_path_factory: pytest.TempPathFactory, league_matches: pd.DataFrame) -> dict[str, Any]:
    """Poisson registered as challenger (version 1), Dixon-Coles as champion (version 2)."""
    folder = tmp_path_factory.mktemp("mlflow")
    tracking = Tracking(uri=f"sqlite:///{folder / 'mlflow.db'}", artifact_location=folder / "artifacts")
    played = league_matches[league_matches[c.HOME_GOALS].notna()]
    until = played[c.KICKOFF].max().normalize() + pd.Timedelta(days=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SCORELINE_HOME", str(folder / "home"))
        get_settings.cache_clear()
        results = {
            name: train_model(name, played, until, factory=goal_model, cadence="season", tracking=tracking)
            for name in ("poisson", "dixon_coles")
        }
        versions = {
            "poisson": registry.register(results["poisson"].run_id, "challenger", tracking),
            "dixon_coles": registry.register(results["dixon_coles"].run_id, "champion", tracking),
        }
    get_settings.cache_clear()
    return {"tracking": tracking, "results": results, "versions": versions}


@pytest.fixture
def registry_settings(isolated_home: Path, store_url: str, registered: dict[str, Any]) -> Settings:
    return Settings(home=isolated_home, db_url=store_url, mlflow_uri=registered["tracking"].uri,
                    api_key=SecretStr(API_KEY))  # fmt: skip


@pytest.mark.slow
def test_the_registered_champion_is_served_and_predicts_like_the_trained_estimator(
    registry_settings: Settings, registered: dict[str, Any]
) -> None:
    with TestClient(create_app(registry_settings)) as client:
        ready = client.get("/ready").json()
        answer = client.post("/v1/predictions", json=PAYLOAD).json()["predictions"][0]
        models = client.get("/v1/models").json()
    version = registered["versions"]["dixon_coles"]
    served = {k: ready["model"][k] for k in ("name", "version", "alias", "run_id")}
    assert served == {"name": "dixon_coles", "version": str(version), "alias": "champion",
                      "run_id": registered["results"]["dixon_coles"].run_id}  # fmt: skip
    frame = fixtures_frame([Fixture("E0", "Arsenal", "Chelsea", datetime(2030, 1, 5, 15))])
    grid = registered["results"]["dixon_coles"].estimator.predict_grid(frame)
    got = [answer["probabilities"][k] for k in c.OUTCOMES]
    assert got == pytest.approx(grid.outcome_probabilities()[0].tolist(), abs=1e-12)
    assert answer["over_under"]["over"] == pytest.approx(grid.totals(2.5).over[0])
    assert [(v["version"], v["aliases"], v["model"]) for v in models["versions"]] == [
        (version, ["champion"], "dixon_coles"),
        (registered["versions"]["poisson"], ["challenger"], "poisson"),
    ]
    assert models["versions"][0]["metrics"]["val_rps"] == pytest.approx(
        registered["results"]["dixon_coles"].metrics["val_rps"]
    )


@pytest.mark.slow
def test_reload_and_promote_go_through_the_registry(
    registry_settings: Settings, registered: dict[str, Any]
) -> None:
    key = {"X-API-Key": API_KEY}
    tracking = registered["tracking"]
    with TestClient(create_app(registry_settings)) as client:
        swap = client.post("/v1/admin/reload", headers=key, json={"model": "challenger"}).json()
        assert swap["current"]["name"] == "poisson"
        assert client.post("/v1/admin/reload", headers=key, json={"model": "99"}).status_code == 404
        client.post("/v1/admin/reload", headers=key, json={"model": "champion"})
        dry = client.post("/v1/admin/promote", headers=key, json={"dry_run": True})
        assert dry.status_code == 200
        decision = dry.json()["decision"]
        assert decision["champion_version"] == registered["versions"]["dixon_coles"]
        assert decision["challenger_version"] == registered["versions"]["poisson"]
        assert dry.json()["promoted"] == decision["promote"]
        assert registry.load_model("champion", tracking).version == registered["versions"]["dixon_coles"]
        promoted = client.post("/v1/admin/promote", headers=key).json()
        champion = registry.load_model("champion", tracking).version
        assert promoted["serving"]["version"] == str(champion)
        if promoted["promoted"]:
            registry.rollback(tracking)  # leave the module's registry as it was


@pytest.mark.slow
def test_predict_command_answers_like_the_api(
    registry_settings: Settings, registered: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCORELINE_DB_URL", str(registry_settings.db_url))
    monkeypatch.setenv("SCORELINE_MLFLOW_URI", registered["tracking"].uri)
    get_settings.cache_clear()
    result = CliRunner().invoke(
        cli, ["predict", "Arsenal", "Chelsea", "--league", "E0", "--kickoff", "2030-01-05T15:00:00", "--json"]
    )
    assert result.exit_code == 0, result.output
    with TestClient(create_app(registry_settings)) as client:
        from_api = client.post("/v1/predictions", json=PAYLOAD).json()["predictions"][0]
    assert json.loads(result.stdout) == from_api
    table = CliRunner().invoke(cli, ["predict", "Arsenal", "Chelsea", "--league", "E0", "--model", "99"])
    assert table.exit_code == 1
    assert "cannot load model '99'" in table.output


@pytest.mark.slow
def test_the_champions_training_cutoff_decides_whether_fixtures_upcoming_as_of_uses_it(
    registry_settings: Settings,
    registered: dict[str, Any],
    league_matches: pd.DataFrame,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from scoreline.serving.provider import RegistryModelProvider

    played = league_matches[league_matches[c.HOME_GOALS].notna()]
    until = played[c.KICKOFF].max().normalize() + pd.Timedelta(days=1)  # as ``registered`` trained them
    handle = RegistryModelProvider(registry_settings).load("champion")
    assert handle.train_cutoff == until.to_pydatetime()
    monkeypatch.setenv("SCORELINE_MLFLOW_URI", registered["tracking"].uri)
    get_settings.cache_clear()
    argv = ["fixtures", "upcoming", "--days", "7", "--db", registry_settings.resolved_db_url, "--json"]
    runner = CliRunner()
    honest = runner.invoke(cli, [*argv, "--as-of", f"{until:%Y-%m-%d}"])
    assert honest.exit_code == 0, honest.output
    rows = [json.loads(line) for line in honest.stdout.splitlines()]
    assert rows and {(r["forecast_source"], r["forecast_model"]) for r in rows} == {("served", "dixon_coles")}
    assert f"trained on matches before {until:%Y-%m-%d}" in honest.stderr
    kickoff = pd.Timestamp(rows[0][c.KICKOFF]).to_pydatetime()
    frame = fixtures_frame([Fixture("E0", rows[0][c.HOME], rows[0][c.AWAY], kickoff)])
    expected = registered["results"]["dixon_coles"].estimator.predict_proba(frame)[0, 0]
    assert float(rows[0]["p_home"]) == pytest.approx(expected, abs=1e-9)
    leaked = runner.invoke(cli, [*argv, "--as-of", f"{until - pd.Timedelta(days=14):%Y-%m-%d}"])
    rows = [json.loads(line) for line in leaked.stdout.splitlines()]
    assert rows and {(r["forecast_source"], r["p_home"]) for r in rows} == {("none", "nan")}
    assert "so it has seen these matches' results" in leaked.stderr
    get_settings.cache_clear()
