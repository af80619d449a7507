"""Daily staging DAG: refresh data, predict the coming days into the ledger, score results, monitor.

Every task calls one function of :mod:`scoreline.pipelines.steps`; the DAG holds no logic of its own.
Live (no ``from_dir``), ``refresh`` downloads the current season's files (new results) and
football-data.co.uk's ``fixtures.csv`` (the coming rounds), and ``predict`` records the champion's predictions
of the fixtures of the next ``horizon_days``. With ``from_dir`` (CI, replays of past seasons) both are read
from that folder, whose ``fixtures.csv`` is optional. See docs/staging.md.
Run it in-process with ``python dags/scoreline_staging.py`` (``dag.test()``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import Param, dag, get_current_context, task

from scoreline.settings import get_settings

DEFAULT_ARGS = {
    "retries": 3,
    "retry_delay": timedelta(seconds=get_settings().retry_delay_seconds),
    "execution_timeout": timedelta(minutes=30),
}


def _params() -> dict[str, Any]:
    return dict(get_current_context()["params"])


@dag(
    dag_id="scoreline_staging",
    schedule="@daily",
    start_date=datetime(2024, 7, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["scoreline"],
    params={
        "leagues": Param(["E0"], type="array"),
        "season": Param(None, type=["null", "string"]),  # None: the season of as_of (default today)
        "from_dir": Param(None, type=["null", "string"]),
        "as_of": Param(None, type=["null", "string"]),
        "horizon_days": Param(3, type="integer", minimum=1),
        "fixtures": Param(True, type="boolean"),  # also read fixtures.csv
    },
)
def scoreline_staging() -> None:
    """Daily predictions of upcoming fixtures, scoring and monitoring."""

    @task
    def refresh() -> dict[str, Any]:
        from scoreline.pipelines import steps

        p = _params()
        return steps.refresh_step(p["leagues"], p["season"], p["from_dir"], p["as_of"], p["fixtures"])

    @task
    def predict(refreshed: dict[str, Any]) -> dict[str, Any]:
        from scoreline.pipelines import steps

        p = _params()
        return steps.predict_upcoming_step(p["leagues"], p["as_of"], p["horizon_days"])

    @task
    def score(predicted: dict[str, Any]) -> dict[str, Any]:
        from scoreline.pipelines import steps

        return steps.score_finished_step(_params()["as_of"])

    @task
    def monitor(scored: dict[str, Any]) -> dict[str, Any]:
        from scoreline.pipelines import steps

        return steps.monitor_step(_params()["leagues"], _params()["as_of"])

    monitor(score(predict(refresh())))


staging_dag = scoreline_staging()

if __name__ == "__main__":
    staging_dag.test()
