"""Outputs written to ``s3://`` URLs: backtest folders, feature tables, insights reports; all or nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from scoreline import storage
from scoreline.cli.main import app
from scoreline.pipelines.backtest import BacktestConfig, run_backtest
from scoreline.pipelines.backtest_index import index_path, read_backtests
from scoreline.pipelines.data import load_from_dir
from scoreline.settings import get_settings
from scoreline.simulate import write_simulated_mirror
from tests.s3.conftest import upload_folder

runner = CliRunner()
SEASONS = ("2122", "2223")


@pytest.fixture(scope="module")
def league_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_simulated_mirror(tmp_path_factory.mktemp("football-data"), SEASONS, n_teams=6, seed=4)


def objects(s3: Any, url: str) -> list[str]:
    root = url.removeprefix("s3://")
    return sorted(path[len(root) + 1 :] for path in s3.find(root))


@pytest.mark.slow
def test_cli_backtest_from_and_to_s3(s3: Any, bucket: str, league_dir: Path) -> None:
    upload_folder(s3, league_dir, f"s3://{bucket}/football-data")
    out = f"s3://{bucket}/backtests/e0"
    args = ["backtest", "--leagues", "E0", "--test-seasons", "2223", "--models", "poisson",
            "--cadence", "season", "--from-dir", f"s3://{bucket}/football-data", "--out", out,
            "--n-jobs", "1", "--json"]  # fmt: skip
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert objects(s3, out) == ["metrics.json", "predictions.parquet", "report.html"]  # the cache stays local
    printed = json.loads(first.stdout)
    written = json.loads(s3.cat_file(f"{bucket}/backtests/e0/metrics.json"))
    assert written["pooled"] == printed["pooled"] and printed["pooled"]["poisson"]["n"] == 30
    with s3.open(f"{bucket}/backtests/e0/predictions.parquet") as handle:
        predictions = pd.read_parquet(handle)
    assert len(predictions[predictions["model"] == "poisson"]) == 30
    assert b"<table" in s3.cat_file(f"{bucket}/backtests/e0/report.html")
    assert [r.path for r in read_backtests(index_path(get_settings().home_dir))] == [out]

    second = runner.invoke(app, args)  # resumes from the local staging folder's cache
    assert second.exit_code == 0, second.output
    assert json.loads(second.stdout)["fits"] == {"fitted": 0, "cached": printed["fits"]["fitted"]}
    assert json.loads(second.stdout)["pooled"] == printed["pooled"]


def test_a_failed_backtest_uploads_nothing(s3: Any, bucket: str, league_dir: Path) -> None:
    data = load_from_dir(league_dir, ["E0"])
    config = BacktestConfig(leagues=("SP1",), test_seasons=("2223",), models=("poisson",), n_boot=10)
    with pytest.raises(LookupError, match="no matches for league"):
        run_backtest(data, config, f"s3://{bucket}/backtests/sp1")
    assert s3.find(bucket) == []
    assert read_backtests(index_path(get_settings().home_dir)) == []


def test_staged_folder_uploads_the_last_names_last_and_nothing_on_failure(
    s3: Any, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    uploaded: list[str] = []
    real = storage._upload

    def upload(local: Path, target: str | Path) -> None:
        uploaded.append(str(target))
        real(local, target)

    monkeypatch.setattr(storage, "_upload", upload)
    out = f"s3://{bucket}/run"
    with pytest.raises(RuntimeError), storage.staged_folder(out, last=("metrics.json",)) as folder:
        (folder / "metrics.json").write_text("{}")
        raise RuntimeError("the run failed")
    assert uploaded == [] and s3.find(bucket) == []

    with storage.staged_folder(out, last=("metrics.json",), local_only=("cache",)) as folder:
        for name in ("metrics.json", "predictions.parquet", "report.html", "cache/fit.pkl", "plots/a.png"):
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(name)
    assert uploaded[-1] == f"{out}/metrics.json" and len(uploaded) == 4
    assert objects(s3, out) == ["metrics.json", "plots/a.png", "predictions.parquet", "report.html"]
    assert s3.cat_file(f"{bucket}/run/plots/a.png") == b"plots/a.png"
    assert [p.name for p in folder.iterdir()] == ["cache"]  # outputs removed once uploaded, the cache kept


@pytest.mark.slow
def test_cli_features_out_s3_equals_the_local_table(
    s3: Any, bucket: str, local_mirror: Path, tmp_path: Path
) -> None:
    db = f"duckdb:///{tmp_path / 'store.duckdb'}"
    assert runner.invoke(app, ["ingest", "--from-dir", str(local_mirror), "--db", db]).exit_code == 0
    build = ["features", "build", "--db", db, "--leagues", "E0", "--groups", "elo,form"]
    local = runner.invoke(app, [*build, "--out", str(tmp_path / "elo.parquet")])
    assert local.exit_code == 0, local.output
    url = f"s3://{bucket}/features/elo.parquet"
    remote = runner.invoke(app, [*build, "--out", url])
    assert remote.exit_code == 0, remote.output
    assert remote.output.rstrip().endswith(f"-> {url}")
    with s3.open(f"{bucket}/features/elo.parquet") as handle:
        from_s3 = pd.read_parquet(handle)
    expected = pd.read_parquet(tmp_path / "elo.parquet")
    pd.testing.assert_frame_equal(from_s3, expected)
    assert len(from_s3) == 112


@pytest.mark.slow
def test_insights_report_to_s3(s3: Any, bucket: str) -> None:
    from scoreline.insights.simulate_styles import simulate_styled_leagues
    from scoreline.pipelines.insights import run_cluster_insights

    sim = simulate_styled_leagues(n_leagues=1, n_teams=10, seasons=("2223", "2324"), seed=2)
    out = f"s3://{bucket}/insights"
    outputs = run_cluster_insights(sim.matches, out, n_boot=2, k_range=(2, 3))
    assert (outputs.report, outputs.clusters, outputs.insights) == (
        f"{out}/report.html", f"{out}/clusters.parquet", f"{out}/insights.json",
    )  # fmt: skip
    assert objects(s3, out) == ["clusters.parquet", "insights.json", "report.html"]
    document = json.loads(s3.cat_file(f"{bucket}/insights/insights.json"))
    with s3.open(f"{bucket}/insights/clusters.parquet") as handle:
        clusters = pd.read_parquet(handle)
    assert len(clusters[clusters["period"] == "season"]) == document["data"]["team_seasons"] == 20
