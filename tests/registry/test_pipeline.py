"""Train, register, load by alias: a real MLflow store in a temporary folder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scoreline import columns as c
from scoreline.pipelines.train import train_model
from scoreline.registry import registry
from scoreline.registry.pyfunc import FIXTURE_COLUMNS, INPUT_COLUMNS, fixtures_frame
from scoreline.registry.tracking import Tracking
from scoreline.simulate import SimulatedLeague
from tests.registry.conftest import make_model

UNTIL = "2024-06-01"


@pytest.fixture(scope="module")
def trained(tracking: Tracking, simulated_league: SimulatedLeague) -> dict[str, object]:
    first = train_model(
        "team_strength",
        simulated_league.matches,
        UNTIL,
        params={"noise": 0.05},
        seed=7,
        factory=make_model,
        tracking=tracking,
    )
    second = train_model(
        "team_strength",
        simulated_league.matches,
        UNTIL,
        params={"noise": 0.05},
        seed=7,
        factory=make_model,
        tracking=tracking,
    )
    version = registry.register(first.run_id, "champion", tracking)
    return {"first": first, "second": second, "version": version}


def fixtures(league: SimulatedLeague) -> pd.DataFrame:
    return league.matches.tail(30)[list(FIXTURE_COLUMNS)].reset_index(drop=True)


def test_loaded_champion_predicts_exactly_like_the_fitted_estimator(
    trained: dict[str, object], tracking: Tracking, simulated_league: SimulatedLeague
) -> None:
    loaded = registry.load_model("champion", tracking)
    assert loaded.version == trained["version"]
    assert loaded.run_id == trained["first"].run_id
    x = fixtures(simulated_league)
    out = loaded.pyfunc.predict(x)
    expected = trained["first"].estimator.predict_proba(fixtures_frame(x))
    assert list(out.columns) == list(c.PROBABILITY_COLUMNS)
    np.testing.assert_array_equal(out.to_numpy(), expected)
    np.testing.assert_array_equal(loaded.estimator.predict_proba(fixtures_frame(x)), expected)
    assert np.allclose(out.sum(axis=1), 1.0)


def test_same_data_and_seed_give_identical_predictions_and_hash(
    trained: dict[str, object], simulated_league: SimulatedLeague
) -> None:
    first, second = trained["first"], trained["second"]
    assert first.run_id != second.run_id
    assert first.data_hash == second.data_hash
    x = fixtures_frame(fixtures(simulated_league))
    assert first.estimator.predict_proba(x).tobytes() == second.estimator.predict_proba(x).tobytes()
    pd.testing.assert_frame_equal(first.validation, second.validation)
    other_seed = make_model("team_strength", noise=0.05, random_state=8).fit(
        simulated_league.matches[simulated_league.matches[c.DATE] < UNTIL]
    )
    assert not np.array_equal(other_seed.predict_proba(x), first.estimator.predict_proba(x))


def test_run_records_provenance_metrics_and_a_model_card(
    trained: dict[str, object], tracking: Tracking
) -> None:
    from mlflow import MlflowClient

    mlflow_client = MlflowClient(tracking_uri=tracking.uri, registry_uri=tracking.uri)
    run = mlflow_client.get_run(trained["first"].run_id)
    assert run.data.params["model"] == "team_strength"
    assert run.data.params["seed"] == "7"
    assert run.data.params["model.noise"] == "0.05"
    assert run.data.params["validation_season"] == "2324"
    assert run.data.params["n_train"] == str(2 * 380)
    assert 0.1 < run.data.metrics["val_rps"] < 0.3
    assert run.data.metrics["val_n"] > 300
    assert run.data.tags["scoreline.data_hash"] == trained["first"].data_hash
    assert len(run.data.tags["scoreline.git_commit"]) in (40, len("unknown"))
    assert "mlflow" in json.loads(run.data.tags["scoreline.packages"])
    path = mlflow_client.download_artifacts(run.info.run_id, f"model_card/v{trained['version']}.json")
    card = json.loads(Path(path).read_text())
    assert card["training_window"]["matches"] == 760


def test_list_versions_shows_aliases_and_metrics(trained: dict[str, object], tracking: Tracking) -> None:
    rows = registry.list_versions(tracking)
    mine = next(row for row in rows if row["version"] == trained["version"])
    assert "champion" in mine["aliases"]
    assert mine["run_id"] == trained["first"].run_id
    assert mine["metrics"]["val_rps"] == trained["first"].metrics["val_rps"]


def test_goal_model_pyfunc_adds_goal_markets_identical_to_the_grid(
    tracking: Tracking, simulated_league: SimulatedLeague
) -> None:
    result = train_model(
        "dixon_coles",
        simulated_league.matches,
        UNTIL,
        cadence="season",
        factory=make_model,
        tracking=tracking,
    )
    version = registry.register(result.run_id, None, tracking)
    loaded = registry.load_model(version, tracking)
    x = fixtures(simulated_league)
    out = loaded.pyfunc.predict(x)
    grid = result.estimator.predict_grid(fixtures_frame(x))
    np.testing.assert_array_equal(
        out[list(c.PROBABILITY_COLUMNS)].to_numpy(), result.estimator.predict_proba(fixtures_frame(x))
    )
    np.testing.assert_array_equal(
        out[["expected_home_goals", "expected_away_goals"]].to_numpy(), grid.expected_goals
    )
    np.testing.assert_array_equal(out["p_over_2_5"].to_numpy(), grid.totals(2.5).over)
    np.testing.assert_array_equal(out["p_btts"].to_numpy(), grid.both_teams_to_score())
    assert (out["expected_home_goals"] > 0).all()
    outputs = [spec.name for spec in loaded.pyfunc.metadata.get_output_schema().inputs]
    assert {"p_home", "expected_home_goals", "p_over_1_5", "most_likely_home_goals"} <= set(outputs)
    inputs = [spec.name for spec in loaded.pyfunc.metadata.get_input_schema().inputs]
    assert inputs == list(INPUT_COLUMNS)  # fixture columns, then the optional opening prices
    assert list(loaded.pyfunc.input_example.columns) == list(FIXTURE_COLUMNS)


def test_models_without_the_market_ignore_opening_prices(
    trained: dict[str, object], tracking: Tracking, simulated_league: SimulatedLeague
) -> None:
    loaded = registry.load_model("champion", tracking)
    x = fixtures(simulated_league)
    priced = x.assign(opening_price_home=1.5, opening_price_draw=4.0, opening_price_away=7.0)
    np.testing.assert_array_equal(
        loaded.pyfunc.predict(priced).to_numpy(), loaded.pyfunc.predict(x).to_numpy()
    )
