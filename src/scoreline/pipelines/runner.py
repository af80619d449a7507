"""Run a :class:`~scoreline.pipelines.definition.Pipeline` in this process, step after step.

The in-process twin of the Airflow DAGs built from the same definition: each step is called once per fan-out
combination, in the declared order, with its parameters and the results of its inputs. ``scoreline run`` uses
it; a wrapper (``around``) lets the caller show progress.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from scoreline.pipelines.definition import Pipeline, Step, call_arguments, fan_out_calls

log = logging.getLogger(__name__)

Around = Callable[[str, Callable[[], Any]], Any]  # (label, call) -> the call's result


def call_label(step: Step, fan_out: Mapping[str, Any]) -> str:
    """A call's name for progress and logs: the step's, then its fan-out items (``backtest pi_rating E0``)."""
    return " ".join([step.name, *(str(value) for value in fan_out.values())])


def _direct(label: str, call: Callable[[], Any]) -> Any:
    log.info("running %s", label)
    return call()


def run_pipeline(
    pipeline: Pipeline, params: Mapping[str, Any] | None = None, around: Around = _direct
) -> dict[str, Any]:
    """Run every step of ``pipeline``; returns each step's result by step name.

    ``params`` override the pipeline's defaults. A fanned-out step's result is the list of its calls' results,
    in :func:`~scoreline.pipelines.definition.fan_out_calls` order. An exception stops the run.
    """
    values = pipeline.with_defaults(params or {})
    results: dict[str, Any] = {}
    for step in pipeline.steps:
        outputs = [
            around(call_label(step, fan_out), _bind(step, values, results, fan_out))
            for fan_out in fan_out_calls(step, values)
        ]
        results[step.name] = outputs if step.fan_out else outputs[0]
    return results


def run_call(
    step: Step, params: Mapping[str, Any], results: Mapping[str, Any], fan_out: Mapping[str, Any]
) -> Any:
    """One call of ``step``: its function with its parameters, inputs' results and fan-out items.

    The one way a step is called, here and in every Airflow task built from the same definition.
    """
    return step.resolve()(**call_arguments(step, params, results, fan_out))


def _bind(
    step: Step, params: Mapping[str, Any], results: Mapping[str, Any], fan_out: Mapping[str, Any]
) -> Callable[[], Any]:
    return lambda: run_call(step, params, results, fan_out)
