"""Weekly training DAG: ingest, validate, features, train every model per league, backtest, register, promote.

Every task calls one function of :mod:`scoreline.pipelines.steps`; the DAG holds no logic of its own.
Parameters (leagues, seasons, models, data folder) come from DAG params, so the same DAG serves a laptop and a
cluster. Run it in-process with ``python dags/scoreline_training.py`` (``dag.test()``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import Param, dag, get_current_context, task

from scoreline.settings import get_settings

DEFAULT_ARGS = {
    "retries": 2,
    "retry_delay": timedelta(seconds=get_settings().retry_delay_seconds),
    "execution_timeout": timedelta(hours=2),
}


def _params() -> dict[str, Any]:
    return dict(get_current_context()["params"])


@dag(
    dag_id="scoreline_training",
    schedule="@weekly",
    start_date=datetime(2024, 7, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["scoreline"],
    params={
        "leagues": Param(["E0"], type="array"),
        "seasons": Param("2122-2425", type="string"),
        "test_seasons": Param(["2425"], type="array"),
        "models": Param(["dixon_coles", "pi_rating"], type="array"),
        "from_dir": Param(None, type=["null", "string"]),
        "until": Param(None, type=["null", "string"]),
    },
)
def scoreline_training() -> None:
    """Weekly retraining with a promotion gate."""

    @task
    def ingest() -> dict[str, Any]:
        from scoreline.pipelines import steps

        p = _params()
        return steps.ingest_step(p["leagues"], p["seasons"], p["from_dir"])

    @task
    def validate(ingested: dict[str, Any]) -> dict[str, Any]:
        from scoreline.pipelines import steps

        return steps.validate_step(ingested)

    @task
    def features(validated: dict[str, Any]) -> str:
        from scoreline.pipelines import steps

        return steps.features_step(_params()["leagues"])

    @task
    def model_names(feature_set_version: str) -> list[str]:
        return list(_params()["models"])

    @task
    def leagues(feature_set_version: str) -> list[str]:
        return list(_params()["leagues"])

    @task(execution_timeout=timedelta(hours=3))
    def backtest(model: str, league: str) -> dict[str, Any]:
        from scoreline.pipelines import steps

        return steps.backtest_step(model, league, _params()["test_seasons"])

    @task
    def train(model: str) -> dict[str, Any]:
        from scoreline.pipelines import steps

        p = _params()
        return steps.train_step(model, p["leagues"], p["until"])

    @task
    def register(trained: list[dict[str, Any]], backtests: list[dict[str, Any]]) -> dict[str, Any]:
        from scoreline.pipelines import steps

        return steps.register_step(list(trained), list(backtests))

    @task
    def promote(registered: dict[str, Any]) -> dict[str, Any]:
        from scoreline.pipelines import steps

        return steps.promote_step(registered)

    version = features(validate(ingest()))
    names = model_names(version)
    backtests = backtest.expand(model=names, league=leagues(version))
    trained = train.expand(model=names)
    promote(register(trained, backtests))


training_dag = scoreline_training()

if __name__ == "__main__":
    training_dag.test()
