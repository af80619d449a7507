"""The one definition of scoreline's pipelines: their parameters and steps, for every way of running them.

A :class:`Pipeline` is a declared list of :class:`Step` objects (in the spirit of kedro's nodes and
pipelines). Each step names its function, the pipeline parameters it takes, the earlier steps whose results
it receives, the steps it must merely follow, and its fan-out (one call per model, per league, ...).
``scoreline run`` executes :data:`TRAINING` in-process with :mod:`scoreline.pipelines.runner`; both Airflow
DAGs are generated from :data:`TRAINING` and :data:`STAGING` by :mod:`scoreline.pipelines.airflow_dags`, so
the command line and the scheduler cannot drift apart.

Functions are named by import path and resolved when a step runs: Airflow parses DAG files every few
seconds, and parsing must not import pandas or scikit-learn.
"""

from __future__ import annotations

import importlib
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

JsonType = str | tuple[str, ...]  # a JSON-schema type, as Airflow's ``Param`` takes it


@dataclass(frozen=True)
class Parameter:
    """A pipeline parameter: its name, default, JSON-schema type and a one-line help."""

    name: str
    default: Any
    json_type: JsonType
    help: str
    minimum: int | None = None

    @property
    def is_list(self) -> bool:
        """Whether the parameter holds a list (``leagues``, ``models``)."""
        return self.json_type == "array"


@dataclass(frozen=True)
class Step:
    """One step: ``function`` called with its parameters, its inputs' results and its fan-out item.

    ``params`` are pipeline parameters passed by name; ``inputs`` map an argument to an earlier step whose
    result it receives (a fanned-out step's result is the list of its calls' results); ``after`` are
    earlier steps this one must follow without using their results; ``fan_out`` maps an argument to a list
    parameter, and the step is called once per combination of their items (``model`` over ``models``).
    """

    name: str
    function: str  # "module:function"
    params: tuple[str, ...] = ()
    inputs: tuple[tuple[str, str], ...] = ()
    after: tuple[str, ...] = ()
    fan_out: tuple[tuple[str, str], ...] = ()
    timeout: timedelta | None = None  # overrides the pipeline's

    @property
    def upstream(self) -> tuple[str, ...]:
        """Every step this one runs after: its inputs, then its other predecessors."""
        return (*(step for _, step in self.inputs), *self.after)

    def resolve(self) -> Callable[..., Any]:
        """The step's function, imported now."""
        module, _, name = self.function.partition(":")
        function: Callable[..., Any] = getattr(importlib.import_module(module), name)
        return function


@dataclass(frozen=True)
class Pipeline:
    """Parameters and steps (in an order where every step follows its upstream steps), and task settings."""

    name: str
    description: str
    schedule: str
    parameters: tuple[Parameter, ...]
    steps: tuple[Step, ...]
    retries: int = 2
    timeout: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        declared = {parameter.name: parameter for parameter in self.parameters}
        seen: set[str] = set()
        for step in self.steps:
            unknown = [name for name in step.params if name not in declared]
            unknown += [param for _, param in step.fan_out if param not in declared]
            if unknown:
                raise ValueError(f"step {step.name!r} takes undeclared parameters {unknown}")
            if not all(declared[param].is_list for _, param in step.fan_out):
                raise ValueError(f"step {step.name!r} fans out over a parameter that is not a list")
            if missing := [name for name in step.upstream if name not in seen]:
                raise ValueError(f"step {step.name!r} follows {missing}, which do not come before it")
            if step.name in seen:
                raise ValueError(f"two steps are named {step.name!r}")
            seen.add(step.name)

    def step(self, name: str) -> Step:
        """The step called ``name``."""
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(f"pipeline {self.name!r} has no step {name!r}")

    def defaults(self) -> dict[str, Any]:
        """Every parameter's default value."""
        return {parameter.name: parameter.default for parameter in self.parameters}

    def with_defaults(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``params`` completed with the defaults; an unknown name is a ``ValueError``."""
        unknown = sorted(set(params) - {parameter.name for parameter in self.parameters})
        if unknown:
            raise ValueError(f"pipeline {self.name!r} has no parameters {unknown}")
        return {**self.defaults(), **params}


def fan_out_calls(step: Step, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The fan-out arguments of each call of ``step``: one empty dict for a step that does not fan out.

    Several fanned-out arguments give their cross product, the first varying slowest (model by league).
    """
    if not step.fan_out:
        return [{}]
    arguments = [argument for argument, _ in step.fan_out]
    values = [list(params[param]) for _, param in step.fan_out]
    return [dict(zip(arguments, combination, strict=True)) for combination in itertools.product(*values)]


def call_arguments(
    step: Step, params: Mapping[str, Any], results: Mapping[str, Any], fan_out: Mapping[str, Any]
) -> dict[str, Any]:
    """The keyword arguments of one call of ``step``: its parameters, inputs' results and fan-out item."""
    arguments = {name: params[name] for name in step.params}
    arguments.update({argument: results[name] for argument, name in step.inputs})
    arguments.update(fan_out)
    return arguments


def _steps_module(name: str) -> str:
    return f"scoreline.pipelines.steps:{name}"


TRAINING = Pipeline(
    name="scoreline_training",
    description="Ingest, validate, build features, backtest and train every model, register, promote.",
    schedule="@weekly",
    parameters=(
        Parameter(
            "leagues", ["E0"], "array", "Leagues to backtest and train on (their neighbours are ingested)."
        ),
        Parameter("seasons", "2122-2425", "string", "Seasons to ingest, e.g. 2122-2425."),
        Parameter("test_seasons", ["2425"], "array", "Seasons the backtest predicts."),
        Parameter("models", ["dixon_coles", "pi_rating"], "array", "Catalogue models to backtest and train."),
        Parameter("from_dir", None, ("null", "string"), "Read football-data files from this folder."),
        Parameter("until", None, ("null", "string"), "Train on matches before this date (default today)."),
    ),
    steps=(
        Step("ingest", _steps_module("ingest_step"), params=("leagues", "seasons", "from_dir")),
        Step("validate", _steps_module("validate_step"), inputs=(("ingested", "ingest"),)),
        Step("features", _steps_module("features_step"), inputs=(("validated", "validate"),)),
        Step(
            "backtest",
            _steps_module("backtest_step"),
            params=("test_seasons",),
            after=("features",),
            fan_out=(("model", "models"), ("league", "leagues")),
            timeout=timedelta(hours=3),
        ),
        Step(
            "train",
            _steps_module("train_step"),
            params=("leagues", "until"),
            after=("features",),
            fan_out=(("model", "models"),),
        ),
        Step(
            "register",
            _steps_module("register_step"),
            inputs=(("trained", "train"), ("backtests", "backtest")),
        ),
        Step("promote", _steps_module("promote_step"), inputs=(("registered", "register"),)),
    ),
    retries=2,
    timeout=timedelta(hours=2),
)

STAGING = Pipeline(
    name="scoreline_staging",
    description="Refresh data, predict the coming days into the ledger, score results, monitor.",
    schedule="@daily",
    parameters=(
        Parameter("leagues", ["E0"], "array", "Leagues to predict (their neighbours are ingested too)."),
        Parameter("season", None, ("null", "string"), "Season to refresh (default: the season of as_of)."),
        Parameter("from_dir", None, ("null", "string"), "Read football-data files from this folder."),
        Parameter("as_of", None, ("null", "string"), "The pipeline's clock (default now)."),
        Parameter("horizon_days", 3, "integer", "Predict fixtures kicking off within this many days.", 1),
        Parameter("fixtures", True, "boolean", "Also read football-data's fixtures.csv."),
    ),
    steps=(
        Step(
            "refresh",
            _steps_module("refresh_step"),
            params=("leagues", "season", "from_dir", "as_of", "fixtures"),
        ),
        Step(
            "predict",
            _steps_module("predict_upcoming_step"),
            params=("leagues", "as_of", "horizon_days"),
            after=("refresh",),
        ),
        Step("score", _steps_module("score_finished_step"), params=("as_of",), after=("predict",)),
        Step("monitor", _steps_module("monitor_step"), params=("leagues", "as_of"), after=("score",)),
    ),
    retries=3,
    timeout=timedelta(minutes=30),
)

PIPELINES: dict[str, Pipeline] = {pipeline.name: pipeline for pipeline in (TRAINING, STAGING)}


__all__ = [
    "PIPELINES",
    "STAGING",
    "TRAINING",
    "Parameter",
    "Pipeline",
    "Step",
    "call_arguments",
    "fan_out_calls",
]
