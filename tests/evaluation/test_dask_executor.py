"""The walk-forward engine on a real Dask cluster (a scheduler and two worker processes on loopback) gives
the same predictions and metrics as the local run, also when a worker dies mid-run."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from scoreline import columns as c
from scoreline.cli.main import app
from scoreline.evaluation.cache import CHUNK
from scoreline.evaluation.predictions import TRAIN_CUTOFF
from scoreline.evaluation.walk_forward import walk_forward
from scoreline.models.catalogue import make_model
from scoreline.pipelines.backtest import BacktestConfig, run_backtest
from scoreline.pipelines.data import MatchData, load_from_dir
from scoreline.settings import get_settings
from scoreline.simulate import write_simulated_mirror

distributed = pytest.importorskip("distributed")

SEASONS = ("2122", "2223")
MODELS = ("dixon_coles", "elo")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """Two single-threaded worker processes (restarted by their nannies if killed) and a scheduler."""
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
    ) as local_cluster:
        yield local_cluster


@pytest.fixture(scope="module")
def league_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One simulated league (10 teams) in football-data's format: a history season and a test season."""
    return write_simulated_mirror(tmp_path_factory.mktemp("football-data"), SEASONS, n_teams=10, seed=4)


@pytest.fixture(scope="module")
def league(league_dir: Path) -> MatchData:
    return load_from_dir(league_dir, ["E0"])


@pytest.fixture
def dask_setting(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("SCORELINE_DASK_ADDRESS", "tcp://from-settings:8786")
    get_settings.cache_clear()
    yield "tcp://from-settings:8786"
    get_settings.cache_clear()


def test_backtest_config_takes_the_dask_address_from_the_settings(dask_setting: str) -> None:
    assert BacktestConfig(leagues=("E0",), test_seasons=("2223",)).dask_address == dask_setting
    assert BacktestConfig(leagues=("E0",), test_seasons=("2223",), dask_address=None).dask_address is None


@pytest.mark.parametrize(
    ("option", "expected"), [([], "tcp://from-settings:8786"), (["--dask", "tcp://x:1"], "tcp://x:1")]
)
def test_backtest_command_passes_the_dask_address_down(
    league_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    dask_setting: str,
    option: list[str],
    expected: str,
) -> None:
    seen: list[BacktestConfig] = []

    def fake_run(data: MatchData, config: BacktestConfig, out: Path, progress: Any = None) -> dict[str, Any]:
        seen.append(config)
        return {"pooled": {}, "matches": {}, "fits": {}}

    monkeypatch.setattr("scoreline.pipelines.backtest.run_backtest", fake_run)
    args = ["backtest", "--leagues", "E0", "--test-seasons", "2223", "--models", "elo", "--from-dir",
            str(league_dir), "--out", str(tmp_path), "--json", *option]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert [config.dask_address for config in seen] == [expected]


def _backtest(data: MatchData, out: Path, dask_address: str | None) -> tuple[dict[str, Any], pd.DataFrame]:
    config = BacktestConfig(
        leagues=("E0",), test_seasons=("2223",), models=MODELS, n_boot=100, dask_address=dask_address
    )
    run_backtest(data, config, out)
    return json.loads((out / "metrics.json").read_text()), pd.read_parquet(out / "predictions.parquet")


@pytest.mark.slow
def test_dask_backtest_equals_the_local_one_and_fills_the_same_cache(
    league: MatchData, cluster: Any, tmp_path: Path
) -> None:
    local_metrics, local_predictions = _backtest(league, tmp_path / "local", None)
    dask_metrics, dask_predictions = _backtest(league, tmp_path / "dask", cluster.scheduler_address)

    assert local_metrics["fits"]["fitted"] > 20 and local_metrics["fits"]["cached"] == 0
    assert dask_metrics == local_metrics  # every figure, the fit counts included
    pd.testing.assert_frame_equal(dask_predictions, local_predictions)
    assert set(dask_predictions["model"]) >= set(MODELS)
    # The client wrote the cache (workers only compute): the same entries as the local run's.
    for model in MODELS:
        chunk = Path("cache", model, "E0", "2223", CHUNK)
        local_chunk = pd.read_parquet(tmp_path / "local" / chunk).sort_values(["key", c.HOME])
        dask_chunk = pd.read_parquet(tmp_path / "dask" / chunk).sort_values(["key", c.HOME])
        pd.testing.assert_frame_equal(dask_chunk.reset_index(drop=True), local_chunk.reset_index(drop=True))

    rerun_metrics, rerun_predictions = _backtest(league, tmp_path / "dask", cluster.scheduler_address)
    assert rerun_metrics["fits"] == {"fitted": 0, "cached": local_metrics["fits"]["fitted"]}
    pd.testing.assert_frame_equal(rerun_predictions, local_predictions)


class KillsItsWorkerOnce:
    """A model factory (Dixon-Coles) that kills the Dask worker process running it at its ``kill_at``-th
    call, once per marker file: outside a Dask worker it never kills."""

    def __init__(self, marker: Path, kill_at: int = 4) -> None:
        self.marker = marker
        self.kill_at = kill_at
        self.calls = 0

    def __call__(self) -> Any:
        self.calls += 1
        if self.calls == self.kill_at and _in_dask_worker() and not self.marker.exists():
            self.marker.write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
        return make_model("dixon_coles")


def _in_dask_worker() -> bool:
    try:
        distributed.get_worker()
    except ValueError:
        return False
    return True


def _killer_models(marker: Path) -> dict[str, Any]:
    return {"dixon_coles": KillsItsWorkerOnce(marker), "elo": make_model("elo")}


@pytest.mark.slow
def test_a_worker_killed_mid_run_costs_only_its_task(league: MatchData, cluster: Any, tmp_path: Path) -> None:
    marker = tmp_path / "killed"
    kwargs: dict[str, Any] = {"leagues": ["E0"], "seasons": ["2223"], "cadence": "week"}
    local = walk_forward(league.matches, _killer_models(marker), **kwargs)
    assert not marker.exists()  # the local run killed nothing

    advanced: list[tuple[int, int]] = []
    on_dask = walk_forward(
        league.matches,
        _killer_models(marker),
        **kwargs,
        dask_address=cluster.scheduler_address,
        progress=lambda done, total, label: advanced.append((done, total)),
        cache_dir=tmp_path / "cache",
    )

    assert marker.exists()  # a worker died in the middle of the task (after three fits)...
    pd.testing.assert_frame_equal(on_dask.predictions, local.predictions)  # ...and nothing changed
    assert on_dask.failures.empty and local.failures.empty
    assert on_dask.n_fits == local.n_fits > 10
    n_rounds = local.predictions[TRAIN_CUTOFF].nunique()
    assert advanced[-1] == (n_rounds, n_rounds)  # the progress reached every round
    assert (tmp_path / "cache" / "dixon_coles" / "E0" / "2223" / CHUNK).exists()
