"""The pipeline definition and its in-process runner: one declared list of steps, run as declared."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from scoreline.pipelines import steps
from scoreline.pipelines.definition import (
    PIPELINES,
    STAGING,
    TRAINING,
    Parameter,
    Pipeline,
    Step,
    fan_out_calls,
)
from scoreline.pipelines.runner import run_pipeline

HERE = __name__


def add(x: int, y: int) -> int:
    return x + y


def square(number: int, offset: int) -> int:
    return number * number + offset


def total(values: list[int], base: int) -> int:
    return base + sum(values)


def toy(*steps: Step) -> Pipeline:
    """A pipeline of ``steps`` over integer parameters x, y, base and the list numbers."""
    parameters = (
        Parameter("x", 1, "integer", "x"),
        Parameter("y", 2, "integer", "y"),
        Parameter("base", 100, "integer", "b"),
        Parameter("numbers", [1, 2, 3], "array", "n"),
    )
    return Pipeline("toy", "toy", "@daily", parameters, steps)


def test_the_runner_calls_each_step_once_per_fan_out_item_in_order() -> None:
    pipeline = toy(
        Step("add", f"{HERE}:add", params=("x",), fan_out=(("y", "numbers"),)),
        Step("total", f"{HERE}:total", inputs=(("values", "add"),), params=("base",)),
    )
    labels: list[str] = []

    def around(label: str, call: Any) -> Any:
        labels.append(label)
        return call()

    results = run_pipeline(pipeline, {"x": 10, "numbers": [5, 6]}, around=around)
    assert results == {"add": [15, 16], "total": 131}
    assert labels == ["add 5", "add 6", "total"]


def test_a_step_missing_an_argument_fails_loudly() -> None:
    with pytest.raises(TypeError, match="y"):
        run_pipeline(toy(Step("add", f"{HERE}:add", params=("x",))))


def test_inputs_from_a_fanned_out_step_are_the_list_of_its_results() -> None:
    pipeline = toy(
        Step("add", f"{HERE}:add", params=("x", "y")),
        Step("square", f"{HERE}:square", inputs=(("offset", "add"),), fan_out=(("number", "numbers"),)),
        Step("total", f"{HERE}:total", inputs=(("values", "square"), ("base", "add"))),
    )
    results = run_pipeline(pipeline)
    assert results == {"add": 3, "square": [4, 7, 12], "total": 3 + 4 + 7 + 12}


def test_fan_out_is_the_cross_product_first_argument_slowest() -> None:
    step = TRAINING.step("backtest")
    calls = fan_out_calls(step, {"models": ["a", "b"], "leagues": ["E0", "D1"]})
    assert calls == [
        {"model": "a", "league": "E0"},
        {"model": "a", "league": "D1"},
        {"model": "b", "league": "E0"},
        {"model": "b", "league": "D1"},
    ]
    assert fan_out_calls(TRAINING.step("ingest"), TRAINING.defaults()) == [{}]


@pytest.mark.parametrize(
    ("bad_steps", "message"),
    [
        ((Step("a", f"{HERE}:add", params=("nope",)),), "undeclared parameters"),
        ((Step("a", f"{HERE}:add", after=("b",)), Step("b", f"{HERE}:add")), "do not come before"),
        ((Step("a", f"{HERE}:add", fan_out=(("y", "x"),)),), "not a list"),
        ((Step("a", f"{HERE}:add"), Step("a", f"{HERE}:add")), "two steps"),
    ],
)
def test_a_definition_that_cannot_run_is_refused(bad_steps: tuple[Step, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Pipeline("bad", "bad", "@daily", (Parameter("x", 1, "integer", "x"),), bad_steps)


def test_unknown_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="no parameters"):
        TRAINING.with_defaults({"league": ["E0"]})


@pytest.mark.parametrize("pipeline", list(PIPELINES.values()), ids=list(PIPELINES))
def test_every_step_function_takes_exactly_what_the_definition_gives(pipeline: Pipeline) -> None:
    for step in pipeline.steps:
        function = step.resolve()
        assert function.__module__ == steps.__name__
        given = {*step.params, *(argument for argument, _ in step.inputs), *(a for a, _ in step.fan_out)}
        signature = inspect.signature(function)
        required = {
            name
            for name, parameter in signature.parameters.items()
            if parameter.default is inspect.Parameter.empty
        }
        assert required <= given, f"{step.name}: {required - given} not given"
        assert given <= set(signature.parameters), (
            f"{step.name}: {given - set(signature.parameters)} not taken"
        )


def test_steps_use_what_they_are_given() -> None:
    # registration is gated on the backtests, validation on the ingest, the features on the validation
    assert dict(TRAINING.step("register").inputs) == {"trained": "train", "backtests": "backtest"}
    assert dict(TRAINING.step("validate").inputs) == {"ingested": "ingest"}
    assert dict(TRAINING.step("features").inputs) == {"validated": "validate"}
    assert dict(TRAINING.step("promote").inputs) == {"registered": "register"}
    assert [step.name for step in STAGING.steps] == ["refresh", "predict", "score", "monitor"]


def test_training_runs_every_step_as_declared(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []

    def fake(name: str, result: Any) -> Any:
        def step_function(**kwargs: Any) -> Any:
            calls.append((name, kwargs))
            return result(kwargs) if callable(result) else result

        return step_function

    monkeypatch.setattr(steps, "ingest_step", fake("ingest", {"leagues": ["E0", "E1"], "seasons": None}))
    monkeypatch.setattr(steps, "validate_step", fake("validate", {"leagues": ["E0", "E1"]}))
    monkeypatch.setattr(steps, "features_step", fake("features", "v1"))
    monkeypatch.setattr(
        steps, "backtest_step", fake("backtest", lambda kw: {"model": kw["model"], "rps": 0.2})
    )
    monkeypatch.setattr(steps, "train_step", fake("train", lambda kw: {"model": kw["model"], "run_id": "r"}))
    monkeypatch.setattr(steps, "register_step", fake("register", {"challenger": None}))
    monkeypatch.setattr(steps, "promote_step", fake("promote", {"promote": False}))
    results = run_pipeline(
        TRAINING, {"leagues": ["E0", "D1"], "models": ["dixon_coles", "elo"], "from_dir": "x"}
    )
    assert [name for name, _ in calls] == [
        "ingest", "validate", "features", "backtest", "backtest", "backtest", "backtest", "train", "train",
        "register", "promote",
    ]  # fmt: skip
    assert calls[0][1] == {"leagues": ["E0", "D1"], "seasons": "2122-2425", "from_dir": "x"}
    assert calls[1][1] == {"ingested": {"leagues": ["E0", "E1"], "seasons": None}}
    assert [kw["league"] for name, kw in calls if name == "backtest"] == ["E0", "D1", "E0", "D1"]
    register = dict(calls)["register"]
    assert register["backtests"] == results["backtest"] and len(register["backtests"]) == 4
    assert register["trained"] == [{"model": "dixon_coles", "run_id": "r"}, {"model": "elo", "run_id": "r"}]
    assert dict(calls)["promote"] == {"registered": {"challenger": None}}
