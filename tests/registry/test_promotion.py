"""The promotion gate on prepared predictions, and promote/rollback on a real MLflow store."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scoreline.evaluation.predictions import prediction_frame
from scoreline.pipelines.train import train_model
from scoreline.registry import registry
from scoreline.registry.promotion import decide, promote
from scoreline.registry.tracking import Tracking
from scoreline.simulate import SimulatedLeague, simulate_league
from tests.registry.conftest import make_model

TRUE = ["true_p_home", "true_p_draw", "true_p_away"]


@pytest.fixture(scope="module")
def season() -> pd.DataFrame:
    return simulate_league(n_teams=20, seasons=("2324",), strength_spread=0.4, rho=-0.05, seed=3).matches


def frame(matches: pd.DataFrame, probs: np.ndarray) -> pd.DataFrame:
    return prediction_frame(matches, "x", probs)


def blend(matches: pd.DataFrame, weight_truth: float) -> np.ndarray:
    truth = matches[TRUE].to_numpy()
    flat = np.tile(truth.mean(axis=0), (len(truth), 1))
    return weight_truth * truth + (1 - weight_truth) * flat


def test_clearly_better_challenger_is_promoted(season: pd.DataFrame) -> None:
    decision = decide(frame(season, blend(season, 0.0)), frame(season, blend(season, 1.0)))
    assert decision.promote
    assert decision.n == len(season)
    assert decision.mean_diff < 0 and decision.ci_high < 0
    assert decision.p_value < 0.05
    assert decision.rps_challenger < decision.rps_champion


def test_worse_challenger_is_refused(season: pd.DataFrame) -> None:
    decision = decide(frame(season, blend(season, 1.0)), frame(season, blend(season, 0.0)))
    assert not decision.promote
    assert decision.mean_diff > 0
    assert "not lower" in decision.reason


def test_better_but_not_significant_challenger_is_refused(season: pd.DataFrame) -> None:
    decision = decide(frame(season, blend(season, 0.97)), frame(season, blend(season, 1.0)))
    assert decision.mean_diff < 0
    assert decision.ci_low < 0 < decision.ci_high
    assert not decision.promote
    assert "includes 0" in decision.reason


def test_only_common_matches_count_and_too_few_are_refused(season: pd.DataFrame) -> None:
    champion = frame(season, blend(season, 0.0))
    challenger = frame(season.iloc[:150], blend(season.iloc[:150], 1.0))
    decision = decide(champion, challenger)
    assert decision.n == 150
    refused = decide(champion, challenger, min_matches=200)
    assert not refused.promote and refused.n == 150 and "only 150" in refused.reason


@pytest.fixture(scope="module")
def strong_league() -> SimulatedLeague:
    return simulate_league(n_teams=20, seasons=("2223", "2324"), strength_spread=0.4, rho=-0.05, seed=5)


@pytest.mark.slow
def test_promote_then_rollback_on_the_registry(tracking: Tracking, strong_league: SimulatedLeague) -> None:
    def run(name: str) -> str:
        return train_model(
            name, strong_league.matches, "2024-07-01", factory=make_model, tracking=tracking
        ).run_id

    champion = registry.register(run("base_rates"), "champion", tracking)
    challenger = registry.register(run("team_strength"), "challenger", tracking)

    decision = promote(tracking, n_boot=500)
    assert decision.promote, decision.reason
    assert (decision.champion_version, decision.challenger_version) == (champion, challenger)
    assert registry.load_model("champion", tracking).version == challenger
    assert registry.load_model("previous_champion", tracking).version == champion
    assert registry.champion_history(tracking) == [champion, challenger]
    logged = json.loads(registry_tag(tracking, "last_promotion"))
    assert logged["promote"] is True and logged["n"] == decision.n and logged["ci_high"] < 0

    worse = registry.register(run("base_rates"), "challenger", tracking)
    refused = promote(tracking, n_boot=500)
    assert not refused.promote
    assert refused.challenger_version == worse
    assert registry.load_model("champion", tracking).version == challenger
    refitted = promote(tracking, matches=strong_league.matches, n_boot=500, dry_run=True)
    assert (refitted.n, refitted.mean_diff, refitted.ci_high) == (
        refused.n,
        refused.mean_diff,
        refused.ci_high,
    )
    assert_decisions_logged_as_runs(tracking, ["promote", "keep", "keep"])

    assert registry.rollback(tracking) == champion
    assert registry.load_model("champion", tracking).version == champion
    assert registry.champion_history(tracking) == [champion]
    with pytest.raises(registry.RegistryError, match="no previous champion"):
        registry.rollback(tracking)


def registry_tag(tracking: Tracking, name: str) -> str:
    from mlflow import MlflowClient

    mlflow_client = MlflowClient(tracking_uri=tracking.uri, registry_uri=tracking.uri)
    return str(mlflow_client.get_registered_model(registry.MODEL_NAME).tags[name])


def assert_decisions_logged_as_runs(tracking: Tracking, decisions: list[str]) -> None:
    """Every promotion decision is an MLflow run with its record; the second one kept the champion."""
    from mlflow import MlflowClient

    mlflow_client = MlflowClient(tracking_uri=tracking.uri, registry_uri=tracking.uri)
    experiment = mlflow_client.get_experiment_by_name("scoreline-promotion")
    assert experiment is not None
    runs = mlflow_client.search_runs([experiment.experiment_id], order_by=["attributes.start_time ASC"])
    assert [r.data.tags["decision"] for r in runs] == decisions
    path = mlflow_client.download_artifacts(runs[1].info.run_id, "decision.json")
    record = json.loads(Path(path).read_text())
    assert record["promote"] is False and record["mean_diff"] > 0 and record["dry_run"] is False
    assert runs[1].data.metrics["n"] == record["n"]
