"""Every backtest run is recorded in the index under SCORELINE_HOME, wherever its folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from scoreline.pipelines.backtest import BacktestConfig, run_backtest
from scoreline.pipelines.backtest_index import index_path, latest_backtest, read_backtests
from scoreline.pipelines.data import load_from_dir
from scoreline.simulate import write_simulated_mirror

SEASONS = ("2122", "2223")


@pytest.fixture(scope="module")
def league_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_simulated_mirror(tmp_path_factory.mktemp("football-data"), SEASONS, n_teams=8, seed=7)


@pytest.mark.slow
def test_each_run_is_recorded_with_its_leagues_seasons_models_and_matches(
    league_dir: Path, tmp_path: Path, isolated_home: Path
) -> None:
    data = load_from_dir(league_dir, ["E0"])
    first, second = tmp_path / "out" / "bt", tmp_path / "elsewhere" / "run-2"
    for folder, models in ((first, ("dixon_coles",)), (second, ("pi_rating",))):
        run_backtest(
            data, BacktestConfig(leagues=("E0",), test_seasons=("2223",), models=models, n_boot=50), folder
        )
    records = read_backtests(index_path(isolated_home))
    assert [(r.path, r.models, r.leagues, r.test_seasons, r.matches) for r in records] == [
        (str(second.resolve()), ("pi_rating",), ("E0",), ("2223",), 56),
        (str(first.resolve()), ("dixon_coles",), ("E0",), ("2223",), 56),
    ]
    assert records[0].written_at >= records[1].written_at  # same second: the later record comes first
    latest = latest_backtest(index_path(isolated_home))
    assert latest is not None and latest.path == str(second.resolve())
