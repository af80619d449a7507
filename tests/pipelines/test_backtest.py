"""The backtest pipeline end to end on a simulated league written in football-data's format."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from scoreline import columns as c
from scoreline.cli.main import app
from scoreline.pipelines.backtest import BacktestConfig, run_backtest
from scoreline.pipelines.data import load_from_dir
from scoreline.simulate import write_simulated_mirror

SEASONS = ("2021", "2122", "2223")


@pytest.fixture(scope="module")
def league_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_simulated_mirror(tmp_path_factory.mktemp("football-data"), SEASONS, n_teams=10, seed=4)


@pytest.mark.slow
def test_backtest_writes_metrics_predictions_and_report(league_dir: Path, tmp_path: Path) -> None:
    data = load_from_dir(league_dir, ["E0"])
    config = BacktestConfig(
        leagues=("E0",), test_seasons=("2223",), models=("dixon_coles", "pi_rating"), n_boot=200
    )
    metrics = run_backtest(data, config, tmp_path)
    pooled = metrics["pooled"]
    assert {"dixon_coles", "pi_rating", "market_closing_shin", "market_opening_shin", "base_rates"} <= set(
        pooled
    )
    assert all(pooled[name]["n"] == 90 for name in pooled)  # 10 teams: 90 matches, all scored by everyone
    for row in pooled.values():
        assert set(row) >= {"n", "rps", "logloss", "brier", "accuracy", "ece"}
        assert 0 < row["rps"] < 0.35
    # The simulated market prices the true probabilities: it must beat the base rates.
    assert pooled["market_closing_shin"]["rps"] < pooled["base_rates"]["rps"]
    assert {(p["a"], p["b"]) for p in metrics["pairwise"]} >= {("pi_rating", "dixon_coles")}
    predictions = pd.read_parquet(tmp_path / "predictions.parquet")
    models = predictions[predictions["model"].isin(["dixon_coles", "pi_rating"])]
    assert (pd.to_datetime(models["train_cutoff"]) < pd.to_datetime(models[c.KICKOFF])).all()
    assert json.loads((tmp_path / "metrics.json").read_text())["pooled"] == json.loads(json.dumps(pooled))
    assert "<table" in (tmp_path / "report.html").read_text()


@pytest.mark.slow
def test_rerun_uses_the_cache_and_gives_identical_metrics(league_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["backtest", "--leagues", "E0", "--test-seasons", "2223", "--models", "dixon_coles",
            "--from-dir", str(league_dir), "--out", str(tmp_path), "--n-jobs", "1", "--json"]  # fmt: skip
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, args)
    assert second.exit_code == 0, second.output
    before, after = json.loads(first.stdout), json.loads(second.stdout)
    assert before["fits"]["fitted"] > 0
    assert after["fits"] == {"fitted": 0, "cached": before["fits"]["fitted"]}  # nothing refitted
    assert before["pooled"] == after["pooled"]


def test_unknown_models_and_leagues_are_refused(league_dir: Path, tmp_path: Path) -> None:
    data = load_from_dir(league_dir, ["E0"])
    with pytest.raises(KeyError, match="unknown model"):
        run_backtest(
            data, BacktestConfig(leagues=("E0",), test_seasons=("2223",), models=("magic",)), tmp_path
        )
    with pytest.raises(LookupError, match="SP1"):
        run_backtest(
            data, BacktestConfig(leagues=("SP1",), test_seasons=("2223",), models=("poisson",)), tmp_path
        )
