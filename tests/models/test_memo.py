"""FitMemo: the explicit cache a caller running many fits hands to the models (never a module global)."""

from __future__ import annotations

import copy
import pickle

import pytest
from sklearn.base import clone

from scoreline.models.catalogue import make_model
from scoreline.models.memo import FitMemo, estimator_key, with_memory


def test_memo_computes_once_per_key_and_forgets_the_least_recently_used() -> None:
    memo = FitMemo(max_entries=2)
    calls: list[str] = []

    def value(key: str) -> str:
        return memo.get_or_compute(key, lambda: calls.append(key) or key.upper())

    assert [value("a"), value("b"), value("a")] == ["A", "B", "A"]
    assert calls == ["a", "b"] and (memo.hits, memo.misses) == (1, 2)
    value("c")  # evicts b, the least recently used
    value("a")
    value("b")
    assert calls == ["a", "b", "c", "b"] and len(memo) == 2
    with pytest.raises(ValueError, match="max_entries"):
        FitMemo(max_entries=0)


def test_memo_is_a_handle_clones_share_it_and_pickles_carry_no_entries() -> None:
    memo = FitMemo(max_entries=5)
    memo.get_or_compute("table", lambda: [1, 2, 3])
    model = make_model("pi_shots", memory=memo)
    assert clone(model).memory is memo and copy.deepcopy(memo) is memo
    restored = pickle.loads(pickle.dumps(model))
    assert isinstance(restored.memory, FitMemo) and restored.memory is not memo
    assert len(restored.memory) == 0 and restored.memory.max_entries == 5
    assert repr(memo) == "FitMemo(max_entries=5)"  # the same in every process: fingerprints stay stable


def test_with_memory_reaches_every_estimator_that_takes_one() -> None:
    memo = FitMemo()
    ensemble = with_memory(make_model("ensemble_market"), memo)
    params = ensemble.get_params(deep=True)
    assert {key for key, value in params.items() if value is memo} == {
        "memory",
        "pi_shots__memory",
        "lgbm_market__memory",
    }  # Dixon-Coles has nothing to share and no memory parameter
    goal_model = make_model("dixon_coles")
    assert with_memory(goal_model, memo) is goal_model and "memory" not in goal_model.get_params()


def test_estimator_key_sees_parameters_but_not_the_memo() -> None:
    plain, memoised = make_model("ensemble"), with_memory(make_model("ensemble"), FitMemo())
    assert estimator_key(plain) == estimator_key(memoised)
    assert estimator_key(plain) != estimator_key(make_model("ensemble").set_params(dixon_coles__xi=0.003))
    assert estimator_key(make_model("elo")) != estimator_key(make_model("pi_rating"))
