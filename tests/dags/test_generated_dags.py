"""The DAGs are generated from the pipeline definition the in-process runner executes: same steps, same
order, same fan-out, same step bodies; both ingest the neighbouring divisions; unfixable errors fail fast.

In-process and fast: the DAG objects are inspected and the task bodies called directly with a run's params
(``get_current_context`` replaced); ``test_dags.py`` runs whole DAGs with ``dag.test()``.
"""

from __future__ import annotations

import importlib
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("airflow", reason="Airflow is an optional extra: pip install '.[airflow]'")

from airflow.sdk.definitions.mappedoperator import MappedOperator
from airflow.sdk.exceptions import AirflowFailException

from scoreline import columns as c
from scoreline.pipelines import airflow_dags, steps
from scoreline.pipelines.definition import STAGING, TRAINING, Pipeline, fan_out_calls
from scoreline.pipelines.runner import run_call
from scoreline.simulate import simulate_league, write_football_data_csv
from scoreline.sources.football_data import SourceUnavailableError

ROOT = Path(__file__).resolve().parents[2]
SEASON = "2324"
DAGS = [("scoreline_training", "training_dag", TRAINING), ("scoreline_staging", "staging_dag", STAGING)]


def load_dag(module: str, name: str) -> Any:
    sys.path.insert(0, str(ROOT / "dags"))
    try:
        return getattr(importlib.import_module(module), name)
    finally:
        sys.path.remove(str(ROOT / "dags"))


@pytest.mark.parametrize(("module", "name", "pipeline"), DAGS, ids=[m for m, _, _ in DAGS])
def test_the_dag_is_the_definition(module: str, name: str, pipeline: Pipeline) -> None:
    dag = load_dag(module, name)
    assert dag.dag_id == pipeline.name and Path(dag.fileloc) == ROOT / "dags" / f"{module}.py"
    fanned = [step.name for step in pipeline.steps if step.fan_out]
    plans = {airflow_dags.PLAN_PREFIX + step for step in fanned}
    assert set(dag.task_ids) == {step.name for step in pipeline.steps} | plans
    for step in pipeline.steps:
        task = dag.get_task(step.name)
        assert task.python_callable is airflow_dags.run_task  # the body the runner's run_call is called from
        expected = set(step.upstream) | ({airflow_dags.PLAN_PREFIX + step.name} if step.fan_out else set())
        assert task.upstream_task_ids == expected, step.name
        assert task.execution_timeout == (step.timeout or pipeline.timeout)
        assert isinstance(task, MappedOperator) == bool(step.fan_out)
    assert {name: param.value for name, param in dag.params.items()} == pipeline.defaults()
    assert dag.default_args["retries"] == pipeline.retries
    assert dag.schedule == pipeline.schedule


def test_default_args_are_defined_once_for_both_dags() -> None:
    training, staging = (
        load_dag("scoreline_training", "training_dag"),
        load_dag("scoreline_staging", "staging_dag"),
    )
    assert training.default_args == airflow_dags.default_args(TRAINING)
    assert staging.default_args == airflow_dags.default_args(STAGING)
    assert training.default_args["retry_delay"] == timedelta(seconds=600)  # from the settings' default
    for path in (ROOT / "dags").glob("*.py"):
        assert "retries" not in path.read_text()  # nothing of the kind in the DAG files themselves


@pytest.fixture
def run_params(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The params of the DAG run the task bodies see."""
    params: dict[str, Any] = {}
    monkeypatch.setattr(airflow_dags, "get_current_context", lambda: {"params": params})
    return params


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("football-data")
    league = simulate_league(n_teams=6, seasons=(SEASON,), seed=5)
    for code in ("E0", "E1", "E2"):
        write_football_data_csv(league.matches.assign(**{c.LEAGUE: code}), root / code / f"{SEASON}.csv")
    return root


def test_the_dag_and_the_runner_both_ingest_the_neighbouring_divisions(
    run_params: dict[str, Any], mirror: Path
) -> None:
    params = {"leagues": ["E0"], "seasons": SEASON, "from_dir": str(mirror)}
    run_params.update(params)
    from_dag = airflow_dags.run_task(TRAINING.name, "ingest", {}, {})
    from_runner = run_call(TRAINING.step("ingest"), TRAINING.with_defaults(params), {}, {})
    assert from_dag["leagues"] == from_runner["leagues"] == ["E0", "E1"]
    assert set(from_dag["statuses"]) == {"E0/2324.csv", "E1/2324.csv"}
    assert set(from_runner["statuses"].values()) == {"unchanged"}  # the same files, already stored

    run_params.clear()
    run_params.update({"leagues": ["E0"], "season": SEASON, "from_dir": str(mirror), "fixtures": False})
    refreshed = airflow_dags.run_task(STAGING.name, "refresh", {}, {})
    assert refreshed["leagues"] == ["E0", "E1"] and set(refreshed["statuses"]) == {
        "E0/2324.csv",
        "E1/2324.csv",
    }


def test_the_plan_tasks_list_the_runners_calls(run_params: dict[str, Any]) -> None:
    run_params.update({"models": ["dixon_coles", "elo"], "leagues": ["E0", "D1"]})
    planned = airflow_dags.plan_task(TRAINING.name, "backtest")
    params = TRAINING.with_defaults(run_params)
    assert planned == [
        {airflow_dags.FAN_OUT: call} for call in fan_out_calls(TRAINING.step("backtest"), params)
    ]
    assert len(planned) == 4 and planned[1] == {"fan_out": {"model": "dixon_coles", "league": "D1"}}


def test_mapped_results_reach_the_next_task_as_lists(
    run_params: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(
        steps, "register_step", lambda trained, backtests: seen.update(t=trained, b=backtests)
    )
    airflow_dags.run_task(TRAINING.name, "register", {"train": iter([{"model": "a"}]), "backtest": ()}, {})
    assert seen == {"t": [{"model": "a"}], "b": []}


def test_an_unreachable_source_fails_the_task_without_retries(
    run_params: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def offline(*args: Any, **kwargs: Any) -> Any:
        raise SourceUnavailableError("cannot reach www.football-data.co.uk (offline?)")

    monkeypatch.setattr(steps, "ingest_step", offline)
    with pytest.raises(
        AirflowFailException, match=r"ingest: SourceUnavailableError: cannot reach .* \(not retried\)"
    ):
        airflow_dags.run_task(TRAINING.name, "ingest", {}, {})

    def flaky(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionResetError("store connection reset")

    monkeypatch.setattr(steps, "ingest_step", flaky)
    with pytest.raises(ConnectionResetError):  # may succeed on a retry: left to Airflow's retries
        airflow_dags.run_task(TRAINING.name, "ingest", {}, {})


def test_parameters_come_from_the_command_line() -> None:
    params = airflow_dags.parse_params(
        TRAINING, ["--from-dir", "/data", "--leagues", "E0, D1", "--test-seasons", "2324,2425"]
    )
    assert params == {"from_dir": "/data", "leagues": ["E0", "D1"], "test_seasons": ["2324", "2425"]}
    staging = airflow_dags.parse_params(
        STAGING, ["--horizon-days", "5", "--no-fixtures", "--as-of", "2025-03-07"]
    )
    assert staging == {"horizon_days": 5, "fixtures": False, "as_of": "2025-03-07"}
    assert airflow_dags.parse_params(STAGING, []) == {}  # the DAG's defaults apply
    with pytest.raises(SystemExit):
        airflow_dags.parse_params(TRAINING, ["--league", "E0"])
