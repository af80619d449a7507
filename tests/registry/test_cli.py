"""``scoreline train / models / promote / rollback`` against a DuckDB store and the embedded MLflow store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scoreline import columns as c
from scoreline.cli.main import app
from scoreline.pipelines import train as pipeline
from scoreline.pipelines.ingest import ingest
from scoreline.settings import get_settings
from scoreline.simulate import simulate_league, write_football_data_csv
from scoreline.sources.football_data import discover_folder
from scoreline.store import Store
from tests.registry.conftest import make_model


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    league = simulate_league(n_teams=12, seasons=("2223", "2324"), strength_spread=0.4, rho=-0.05, seed=11)
    for season in ("2223", "2324"):
        matches = league.matches[league.matches[c.SEASON] == season]
        write_football_data_csv(matches, tmp_path / "mirror" / "E0" / f"{season}.csv")
    url = f"duckdb:///{tmp_path / 'store.duckdb'}"
    with Store.from_url(url) as store:
        ingest(store, discover_folder(tmp_path / "mirror"))
    return url


def invoke(*args: str) -> dict | list:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.slow
def test_train_register_promote_and_rollback_from_the_command_line(
    db_url: str, monkeypatch: pytest.MonkeyPatch, isolated_home: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(pipeline, "catalogue_factory", make_model)
    base = ["--db", db_url, "--until", "2024-07-01", "--leagues", "E0"]
    capfd.readouterr()
    first = invoke("train", "--model", "base_rates", *base, "--register", "champion")
    assert first["registered_version"] == 1
    printed = capfd.readouterr().err  # train is quiet: no MLflow log line, warning or registry message
    assert [line for line in printed.splitlines() if "mlflow" in line.lower()] == []
    assert "Registered model" not in printed
    assert first["runs"][0]["metrics"]["market_n"] > 100  # closing odds were read from the store
    second = invoke(
        "train",
        "--model",
        "base_rates",
        "--model",
        "team_strength",
        *base,
        "--param",
        "team_strength.tilt=0.2",
        "--register",
        "challenger",
    )
    by_model = {run["model"]: run for run in second["runs"]}
    assert by_model["team_strength"]["metrics"]["val_rps"] < by_model["base_rates"]["metrics"]["val_rps"]
    assert second["registered_version"] == 2
    assert (get_settings().home_dir / "mlflow" / "mlflow.db").is_file()  # the embedded store was used

    versions = invoke("models", "--json")
    assert [(v["version"], v["aliases"], v["model"]) for v in versions] == [
        (2, ["challenger"], "team_strength"),
        (1, ["champion"], "base_rates"),
    ]
    decision = invoke(
        "promote", "--n-boot", "300", "--min-matches", "50", "--output", str(isolated_home / "d.json")
    )
    assert decision == json.loads((isolated_home / "d.json").read_text())
    assert decision["promote"] is True and decision["ci_high"] < 0
    assert invoke("models", "--json")[0]["aliases"] == ["champion"]
    assert invoke("rollback") == {"champion": 1}

    refused = CliRunner().invoke(app, ["rollback"])
    assert refused.exit_code == 1
    assert "no previous champion" in refused.output
