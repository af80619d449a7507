"""The reduced real-data backtest CI runs: one league, one season, every catalogue model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scoreline import columns as c
from scoreline.models.catalogue import model_names
from scoreline.pipelines.backtest import BacktestConfig, run_backtest
from scoreline.pipelines.data import load_from_dir

# E0 2024/25 in the whole-catalogue top-five run recorded in docs/benchmarks.md (bench/backtest.py): a
# league-season's walk-forward depends only on its league and the division below, so it comes out the same.
FULL_RUN_E0_2425 = {
    "dixon_coles": 0.20173498993,
    "elo": 0.20013990344,
    "pi_shots": 0.19980667115,
    "lgbm_market": 0.19723344575,
    "market_closing_shin": 0.19615258631,
    "market_opening_shin": 0.19739267523,
}


@pytest.mark.slow
@pytest.mark.shared_data
def test_every_model_on_premier_league_2024_25_before_kickoff_and_as_in_the_full_run(
    shared_data: Path, tmp_path: Path
) -> None:
    data = load_from_dir(shared_data / "football-data", ["E0", "E1"])
    config = BacktestConfig(leagues=("E0",), test_seasons=("2425",), models=tuple(model_names()), n_boot=200)
    metrics = run_backtest(data, config, tmp_path)

    pooled = metrics["pooled"]
    assert set(pooled) == {*model_names(), "market_closing_shin", "market_opening_shin", "base_rates"}
    assert {row["n"] for row in pooled.values()} == {380}
    predictions = pd.read_parquet(tmp_path / "predictions.parquet")
    models = predictions[predictions["model"].isin(model_names())]
    assert len(models) == 380 * len(model_names())
    assert (pd.to_datetime(models["train_cutoff"]) < pd.to_datetime(models[c.KICKOFF])).all()
    np.testing.assert_allclose(models[list(c.PROBABILITY_COLUMNS)].sum(axis=1), 1.0, atol=1e-9)
    for name, rps in FULL_RUN_E0_2425.items():
        assert pooled[name]["rps"] == pytest.approx(rps, abs=1e-9), name
