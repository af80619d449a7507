"""The contract every match model follows (see ``scoreline.models.base``), checked on every catalogue model.

The models are the catalogue's own (``model_names()``, built by ``make_model``), so a new catalogue entry is
under contract without editing this file. Only sizes are made small (:data:`FAST`, applied to every estimator
in a model that has the parameter). Data: a small simulated league with opening prices, for market models.
"""

from __future__ import annotations

import ast
import copy
import importlib
import inspect
import pkgutil
import weakref
from collections import OrderedDict, deque
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone, is_classifier
from sklearn.exceptions import NotFittedError

import scoreline.models
from scoreline import columns as c
from scoreline.models.base import MatchModel, predict_frame
from scoreline.models.catalogue import CATALOGUE, make_model, model_names
from scoreline.models.ensemble import EnsembleModel
from scoreline.models.memo import FitMemo, with_memory
from scoreline.odds import OPENING_PRICE_COLUMNS
from scoreline.simulate import football_data_frame, simulate_league

FAST = {"n_estimators": 20, "hidden_units": (8,), "max_epochs": 3, "n_networks": 1, "min_train_days": 150}
SLOW_MODULES = ("scoreline.models.keras_mlp",)  # TensorFlow: seconds per fit


def _uses_slow_module(name: str) -> bool:
    entry = CATALOGUE[name]
    return any(
        CATALOGUE[part].target.startswith(SLOW_MODULES) for part in (name, *entry.estimators)
    )  # fmt: skip


MODELS = [
    pytest.param(name, id=name, marks=[pytest.mark.slow] if _uses_slow_module(name) else [])
    for name in model_names()
]


def build(name: str) -> MatchModel:
    """The catalogue's ``name`` with :data:`FAST` sizes wherever an estimator in it has the parameter."""
    model = make_model(name)
    if _uses_slow_module(name):
        pytest.importorskip("tensorflow", reason="the Keras model needs the nn extra (tensorflow)")
    small = {
        key: FAST[key.split("__")[-1]] for key in model.get_params(deep=True) if key.split("__")[-1] in FAST
    }
    return model.set_params(**small)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def league() -> pd.DataFrame:
    """Two seasons of a 10-team league (180 matches) with Pinnacle-like opening prices."""
    matches = simulate_league(n_teams=10, seasons=("2223", "2324"), seed=7).matches
    opening = football_data_frame(matches, seed=1)
    for column, source in zip(OPENING_PRICE_COLUMNS, ("PSH", "PSD", "PSA"), strict=True):
        matches[column] = opening[source].to_numpy()
    return matches


@pytest.fixture(scope="module")
def split(league: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train on matches before the cutoff date, predict the rest (with their results removed)."""
    cutoff = league[c.DATE].sort_values().iloc[140]
    train = league[league[c.DATE] < cutoff]
    test = league[league[c.DATE] >= cutoff].copy()
    test[[c.HOME_GOALS, c.AWAY_GOALS, c.RESULT]] = None
    return train, test


_FITTED: dict[str, tuple[MatchModel, list[str]]] = {}


def fitted(name: str, train: pd.DataFrame, test: pd.DataFrame) -> MatchModel:
    """``build(name)`` fitted on ``train`` once for the tests that only read it (and predicted ``test`` once,
    recording which module-level containers of ``scoreline.models`` that fit and prediction changed)."""
    if name not in _FITTED:
        before = _module_state()
        model = build(name).fit(train)
        model.predict_proba(test)
        after = _module_state()
        changed = [
            key for key in before.keys() | after.keys() if repr(before.get(key)) != repr(after.get(key))
        ]
        _FITTED[name] = model, changed
    return _FITTED[name][0]


def _assert_valid(probabilities: np.ndarray, n: int) -> None:
    assert probabilities.shape == (n, 3)
    assert np.all(np.isfinite(probabilities))
    assert np.all((probabilities >= 0) & (probabilities <= 1))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-9)


def _plain_params(model: Any) -> dict[str, Any]:
    """Deep parameters with every estimator replaced by its class (estimators compare by identity)."""
    return {
        key: type(value) if hasattr(value, "get_params") else value
        for key, value in model.get_params(deep=True).items()
        if key != "estimators"
    }


def test_the_contract_covers_the_whole_catalogue() -> None:
    assert [param.values[0] for param in MODELS] == model_names()
    assert {"lgbm_market", "ensemble_market"} <= set(model_names())


@pytest.mark.parametrize("name", MODELS)
def test_probabilities_are_valid_and_ordered(name: str, split: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    train, test = split
    model = fitted(name, train, test)
    probabilities = model.predict_proba(test)
    _assert_valid(probabilities, len(test))
    assert list(model.classes_) == list(c.OUTCOMES)
    assert is_classifier(model)
    labels = model.predict(test)
    np.testing.assert_array_equal(labels, model.classes_[probabilities.argmax(axis=1)])
    frame = predict_frame(model, test)
    assert list(frame.columns) == list(c.PROBABILITY_COLUMNS)
    assert frame.index.equals(test.index)
    np.testing.assert_array_equal(frame.to_numpy(), probabilities)


def _learned_objects(model: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every mutable learned attribute of ``model`` and of the fitted models it holds, with its path."""
    for key, value in vars(model).items():
        if not key.endswith("_") or isinstance(value, str | int | float | bool | type(None) | np.generic):
            continue
        yield f"{path}{key}", value
        nested = value if isinstance(value, list) else []
        for i, part in enumerate(nested):
            if hasattr(part, "get_params"):
                yield from _learned_objects(part, f"{path}{key}[{i}].")


@pytest.mark.parametrize("name", MODELS)
def test_fit_returns_self_and_is_deterministic_from_scratch(
    name: str, split: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    train, test = split
    model = fitted(name, train, test)
    fresh = build(name)
    assert fresh.fit(train) is fresh
    again = fresh
    np.testing.assert_array_equal(model.predict_proba(test), again.predict_proba(test))
    # the second fit really fitted: no learned object (nor any of its base models') is the first fit's
    first = dict(_learned_objects(model))
    shared = [path for path, value in _learned_objects(again) if first.get(path) is value]
    assert first and not shared, shared


@pytest.mark.parametrize("name", MODELS)
def test_init_stores_params_and_clone_works(name: str, split: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    train, test = split
    model = build(name)
    params = model.get_params(deep=False)
    assert set(vars(model)) == set(params), "__init__ must store exactly its parameters"
    for key, value in params.items():
        assert getattr(model, key) is value
    model = fitted(name, train, test)
    copied = clone(model)
    assert _plain_params(copied) == _plain_params(model)
    assert set(vars(copied)) == set(params), "clone must return an unfitted model"
    copied.set_params(**params)
    np.testing.assert_array_equal(copied.fit(train).predict_proba(test), model.predict_proba(test))


@pytest.mark.parametrize("name", MODELS)
def test_every_parameter_is_validated_in_fit_with_its_name(
    name: str, split: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    model = build(name)
    params = model.get_params(deep=False)
    assert set(model._parameter_constraints) == set(params)
    for key in params:
        broken = clone(model).set_params(**{key: object()})
        with pytest.raises(ValueError, match=rf"'{key}' parameter of {type(model).__name__}"):
            broken.fit(split[0])


@pytest.mark.parametrize("name", MODELS)
def test_learned_attributes_end_with_underscore(name: str, split: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    model = fitted(name, *split)
    params = set(model.get_params(deep=False))
    learned = set(vars(model)) - params
    assert learned, "fit must learn something"
    public = {key for key in learned if not key.startswith("_")}
    assert all(key.endswith("_") for key in public), sorted(public)
    assert {"classes_"} <= public


@pytest.mark.parametrize("name", MODELS)
def test_predict_before_fit_raises(name: str, split: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    with pytest.raises(NotFittedError):
        build(name).predict_proba(split[1])


@pytest.mark.parametrize("name", MODELS)
def test_rows_without_result_are_ignored_and_inputs_left_unchanged(
    name: str, split: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    train, test = split
    frame = pd.concat([train, test])  # includes unplayed rows
    before, before_test = copy.deepcopy(frame), copy.deepcopy(test)
    with_fixtures = build(name).fit(frame)
    pd.testing.assert_frame_equal(frame, before)
    probabilities = with_fixtures.predict_proba(test)
    pd.testing.assert_frame_equal(test, before_test)
    plain = fitted(name, train, test).predict_proba(test)
    np.testing.assert_allclose(probabilities, plain, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", MODELS)
def test_unseen_teams_get_valid_probabilities(name: str, split: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    train, test = split
    model = fitted(name, train, test)
    fixtures = test.head(3).copy()
    fixtures[c.HOME] = ["Unseen A", fixtures[c.HOME].iloc[1], "Unseen A"]
    fixtures[c.AWAY] = [fixtures[c.AWAY].iloc[0], "Unseen B", "Unseen B"]
    _assert_valid(model.predict_proba(fixtures), 3)


# --- no hidden state --------------------------------------------------------------------------------------
_CONTAINERS = (dict, list, set, OrderedDict, deque)
_WEAK = (weakref.WeakKeyDictionary, weakref.WeakValueDictionary, weakref.WeakSet)


def _model_modules() -> list[Any]:
    return [
        importlib.import_module(f"scoreline.models.{info.name}")
        for info in pkgutil.iter_modules(scoreline.models.__path__)
    ]


def _module_state() -> dict[str, Any]:
    """A copy of every module-level mutable container in ``scoreline.models``."""
    return {
        f"{module.__name__}.{key}": copy.deepcopy(value)
        for module in _model_modules()
        for key, value in vars(module).items()
        if isinstance(value, _CONTAINERS) and not key.startswith("__")  # not __builtins__
    }


def test_models_hold_no_weak_registries_or_memoising_functions() -> None:
    """A weak dictionary keyed by estimators, or a functools cache of a function with arguments, would keep
    state outside the estimators (a zero-argument cache is a lazily built constant: a BLAS controller)."""
    found = []
    for module in _model_modules():
        for key, value in vars(module).items():
            if isinstance(value, _WEAK):
                found.append(f"{module.__name__}.{key}")
            wrapped = getattr(value, "__wrapped__", None)
            if hasattr(value, "cache_info") and wrapped and inspect.signature(wrapped).parameters:
                found.append(f"{module.__name__}.{key}")
    assert not found


@pytest.mark.parametrize("name", MODELS)
def test_fitting_and_predicting_change_no_module_state(
    name: str, split: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    fitted(name, *split)  # the first fit of this model in the session is the one watched
    changed = _FITTED[name][1]
    assert not changed, f"module-level containers changed by fitting and predicting: {changed}"


def test_ensembles_share_base_fits_only_through_a_memo_they_are_given(
    split: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    train, test = split

    def ensemble(*names: str) -> EnsembleModel:
        return EnsembleModel([(n, make_model(n)) for n in names], min_train_days=150)

    memo = FitMemo()
    first = with_memory(ensemble("poisson", "pi_rating"), memo).fit(train)
    other = with_memory(ensemble("pi_rating", "elo"), memo).fit(train)
    assert other.models_[0] is first.models_[1]  # pi-rating fitted once on the same matches
    alone = ensemble("poisson", "pi_rating").fit(train)
    assert alone.models_[1] is not first.models_[1]
    np.testing.assert_array_equal(first.predict_proba(test), alone.predict_proba(test))


def test_no_model_imports_the_catalogue() -> None:
    """The catalogue wires models together; a model depending on it would depend on the wiring table."""
    importers = []
    for module in _model_modules():
        for node in ast.walk(ast.parse(inspect.getsource(module))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += (
                [alias.name for alias in node.names] if isinstance(node, ast.Import | ast.ImportFrom) else []
            )
            if any(name.endswith("catalogue") for name in names):
                importers.append(module.__name__)
    assert set(importers) <= {"scoreline.models.catalogue", "scoreline.models"}
