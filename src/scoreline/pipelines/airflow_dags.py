"""Airflow DAGs generated from :mod:`scoreline.pipelines.definition`, and the command that runs one locally.

:func:`build_dag` turns a :class:`~scoreline.pipelines.definition.Pipeline` into a DAG by a loop over its
steps: one task per step, named after it, with the step's upstream steps as its upstream tasks, its
parameters as DAG params (``airflow dags trigger -c '{...}'``) and its fan-out as dynamic task mapping: a
``plan_<step>`` task lists the step's calls from the run's params with the function the in-process runner
uses. Each task calls :func:`scoreline.pipelines.runner.run_call`, like ``scoreline run``. Errors that a
retry cannot fix (source unreachable with nothing cached, bad data, bad parameters) fail the task at once,
without retries.

:func:`main` is what ``python dags/<dag>.py`` runs: the pipeline's parameters as command-line options, a
migrated sqlite metadata database if the configured one is sqlite and not migrated yet, ``dag.test()``, and
a SIGTERM that stops the run. Only the DAG files import this module (it needs the ``airflow`` extra).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from airflow.sdk import DAG, Param, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

from scoreline.pipelines.definition import PIPELINES, Parameter, Pipeline, Step, fan_out_calls
from scoreline.settings import get_settings

log = logging.getLogger(__name__)

PLAN_PREFIX = "plan_"
START_DATE = datetime(2024, 7, 1)
TAGS = ("scoreline",)
FAN_OUT = "fan_out"  # the keyword carrying a mapped call's fan-out items
SIGTERM_EXIT = 128 + signal.SIGTERM
LOCAL_BUNDLE = "airflow.dag_processing.bundles.local.LocalDagBundle"

# Set by main(): the in-process run stops on SIGTERM. Airflow's in-process task runner installs a SIGTERM
# handler of its own that only calls the operator's on_kill, so each task reinstalls this one.
_stop_on_sigterm = threading.Event()


def default_args(pipeline: Pipeline) -> dict[str, Any]:
    """The task defaults of ``pipeline``'s DAG: retries, their delay (from the settings) and the timeout."""
    return {
        "retries": pipeline.retries,
        "retry_delay": timedelta(seconds=get_settings().retry_delay_seconds),
        "execution_timeout": pipeline.timeout,
    }


def dag_param(parameter: Parameter) -> Param:
    """The Airflow ``Param`` of a pipeline parameter."""
    schema: dict[str, Any] = {"description": parameter.help}
    schema["type"] = (
        list(parameter.json_type) if isinstance(parameter.json_type, tuple) else parameter.json_type
    )
    if parameter.minimum is not None:
        schema["minimum"] = parameter.minimum
    return Param(parameter.default, **schema)


def non_retryable_errors() -> tuple[type[BaseException], ...]:
    """Errors a retry cannot fix: source unreachable with nothing cached, bad data, bad parameters."""
    from scoreline.pipelines.rules import DataQualityError
    from scoreline.sources.football_data import SourceUnavailableError

    return (SourceUnavailableError, DataQualityError, ValueError)


def run_task(pipeline: str, step: str, results: Mapping[str, Any], fan_out: Mapping[str, Any]) -> Any:
    """The body of every generated task: one call of ``step`` with this run's params and its inputs."""
    from scoreline.pipelines.runner import run_call

    if _stop_on_sigterm.is_set():
        signal.signal(signal.SIGTERM, _terminate)
    definition = PIPELINES[pipeline]
    params = definition.with_defaults(_run_params(definition))
    inputs = {name: _plain(value) for name, value in results.items()}
    try:
        return run_call(definition.step(step), params, inputs, dict(fan_out))
    except non_retryable_errors() as error:
        raise AirflowFailException(f"{step}: {type(error).__name__}: {error} (not retried)") from error


def plan_task(pipeline: str, step: str) -> list[dict[str, Any]]:
    """The keyword arguments of each mapped task instance of a fanned-out ``step``, from this run's params."""
    definition = PIPELINES[pipeline]
    params = definition.with_defaults(_run_params(definition))
    return [{FAN_OUT: call} for call in fan_out_calls(definition.step(step), params)]


def build_dag(pipeline: Pipeline, dag_file: str) -> DAG:
    """``pipeline`` as a DAG: a task per step, mapped over its fan-out (listed by ``plan_<step>``).

    ``dag_file`` is the DAG file calling this (``__file__``), which Airflow shows and reads the DAG from.
    """
    with DAG(
        dag_id=pipeline.name,
        description=pipeline.description,
        schedule=pipeline.schedule,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=default_args(pipeline),
        tags=list(TAGS),
        params={parameter.name: dag_param(parameter) for parameter in pipeline.parameters},
    ) as dag:
        outputs: dict[str, Any] = {}
        for step in pipeline.steps:
            outputs[step.name] = _add_task(pipeline, step, outputs)
    dag.fileloc = dag_file
    return dag


def _add_task(pipeline: Pipeline, step: Step, outputs: Mapping[str, Any]) -> Any:
    """Add ``step``'s task to the DAG being built; returns its output (an ``XComArg``)."""
    decorated = task(task_id=step.name, execution_timeout=step.timeout or pipeline.timeout)(run_task)
    results = {name: outputs[name] for _, name in step.inputs}
    if step.fan_out:
        calls = task(task_id=PLAN_PREFIX + step.name)(plan_task)(pipeline=pipeline.name, step=step.name)
        output = decorated.partial(pipeline=pipeline.name, step=step.name, results=results).expand_kwargs(
            calls
        )
    else:
        output = decorated(pipeline=pipeline.name, step=step.name, results=results, fan_out={})
    for name in step.after:
        outputs[name] >> output
    return output


def _run_params(pipeline: Pipeline) -> dict[str, Any]:
    declared = {parameter.name for parameter in pipeline.parameters}
    return {name: value for name, value in get_current_context()["params"].items() if name in declared}


def _plain(value: Any) -> Any:
    """A mapped task's outputs (Airflow's lazy sequence) as a list; anything else as is."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        return value
    return list(value)


# --- python dags/<dag>.py ----------------------------------------------------------------------------------


def parse_params(pipeline: Pipeline, argv: Sequence[str] | None = None) -> dict[str, Any]:
    """The run's params from the command line: one option per pipeline parameter (``--from-dir DIR``).

    Lists take comma-separated values (``--leagues E0,D1``); booleans ``--fixtures``/``--no-fixtures``.
    Options not given keep the pipeline's defaults, as ``airflow dags trigger -c`` does.
    """
    parser = argparse.ArgumentParser(
        prog=f"python dags/{pipeline.name}.py",
        description=f"{pipeline.description} Runs the DAG once, in this process (dag.test()).",
        allow_abbrev=False,
    )
    for parameter in pipeline.parameters:
        flag = "--" + parameter.name.replace("_", "-")
        default = argparse.SUPPRESS
        if parameter.is_list:
            parser.add_argument(flag, type=_comma_list, default=default, help=parameter.help)
        elif parameter.json_type == "boolean":
            parser.add_argument(
                flag, action=argparse.BooleanOptionalAction, default=default, help=parameter.help
            )
        elif parameter.json_type == "integer":
            parser.add_argument(flag, type=int, default=default, help=parameter.help)
        else:
            parser.add_argument(flag, type=str, default=default, help=parameter.help)
    return dict(vars(parser.parse_args(argv)))


def _comma_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def ensure_metadata_db() -> None:
    """Migrate Airflow's metadata database if it is sqlite (a laptop's throwaway) and not migrated yet.

    A fresh ``AIRFLOW_HOME`` otherwise stops ``dag.test()`` with ``no such table``. Any other database is
    left to ``airflow db migrate``, run by whoever administers it.
    """
    from airflow.configuration import conf
    from airflow.utils import db

    url = conf.get("database", "sql_alchemy_conn")
    if not url.startswith("sqlite"):
        return
    try:
        db.check_migrations(timeout=1)
    except TimeoutError:
        log.warning("migrating the sqlite Airflow metadata database %s", url)
        db.upgradedb()


def ensure_dag_folder(dag: DAG) -> None:
    """Read DAGs from ``dag``'s folder unless the configured DAG folder holds its file already.

    ``dag.test()`` reads the DAG back from the DAG bundles (by default the folder ``$AIRFLOW_HOME/dags``),
    where a fresh ``AIRFLOW_HOME`` has nothing.
    """
    from airflow.configuration import conf

    here = Path(dag.fileloc).resolve().parent
    configured = Path(conf.get("core", "dags_folder")).expanduser().resolve()
    if configured == here or configured in here.parents:
        return
    log.info("the DAG folder %s does not hold %s: reading DAGs from %s", configured, dag.fileloc, here)
    bundle = {"name": "dags-folder", "classpath": LOCAL_BUNDLE, "kwargs": {"path": str(here)}}
    conf.set("core", "dags_folder", str(here))
    conf.set("dag_processor", "dag_bundle_config_list", json.dumps([bundle]))


def _terminate(signum: int, frame: FrameType | None) -> None:
    """Stop the whole in-process run now, as SIGTERM's default action would (writes are atomic)."""
    sys.stderr.write("stopped by SIGTERM\n")
    sys.stderr.flush()
    os._exit(SIGTERM_EXIT)


def main(dag: DAG, pipeline: Pipeline, argv: Sequence[str] | None = None) -> int:
    """Run ``dag`` once in this process with the command line's params; 0 if the run succeeded."""
    params = parse_params(pipeline, argv)
    _stop_on_sigterm.set()
    signal.signal(signal.SIGTERM, _terminate)
    ensure_metadata_db()
    ensure_dag_folder(dag)
    run = dag.test(run_conf=params)
    state = str(getattr(run, "state", "unknown"))
    sys.stderr.write(f"{pipeline.name}: {state}\n")
    return 0 if state == "success" else 1
