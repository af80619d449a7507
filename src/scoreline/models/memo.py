"""Memoisation for whoever fits many models on the same matches: an explicit :class:`FitMemo` object.

Estimators keep no state outside themselves: no module-level cache. Work that several fits in a row can
share (a feature table built from the same matches, a base model an ensemble fits on the same matches as
another ensemble, a compiled Keras training step) is shared only through a ``FitMemo`` the caller hands to
the estimators as their ``memory`` parameter, in the spirit of scikit-learn's ``memory=``. The caller owns
its lifetime: the walk-forward engine creates one per league-season and drops it when that is done, so
nothing outlives the run and two runs never see each other's entries.

The memo is a *handle*: copying it (``copy.deepcopy``, hence ``sklearn.base.clone``) shares the same store,
as copies of a ``joblib.Memory`` share a folder, and pickling it keeps only its size (a pickled model never
carries memoised tables). It is excluded from every key (:func:`estimator_key` skips ``memory``
parameters) and its ``repr`` names only its size, so a model's fingerprint does not depend on it. Values are
shared, not copied: callers must not modify what they get. Every memoised computation is deterministic, so
a memo changes how often work is done, never a result.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

MEMORY = "memory"  # the parameter name of an estimator that accepts a FitMemo
DEFAULT_MAX_ENTRIES = 32  # two walk-forward rounds of the slow models: ~6 feature tables, ~9 base fits each


class FitMemo:
    """A bounded least-recently-used store of results keyed by content (hashable keys built by callers)."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be >= 1, got {max_entries}")
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value stored under ``key``, computing and storing it first if absent."""
        if key in self._entries:
            self._entries.move_to_end(key)
            self.hits += 1
            return self._entries[key]
        self.misses += 1
        value = compute()
        self._entries[key] = value
        if len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        """Drop every entry (the counters stay)."""
        self._entries.clear()

    def __deepcopy__(self, memo: dict[int, Any]) -> FitMemo:
        return self  # a handle: clones of an estimator share their caller's memo

    def __reduce__(self) -> tuple[type[FitMemo], tuple[int]]:
        return FitMemo, (self.max_entries,)  # pickles empty

    def __repr__(self) -> str:
        return f"FitMemo(max_entries={self.max_entries})"


def memoised(memory: FitMemo | None, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` through ``memory`` when one is given, else computed afresh."""
    return compute() if memory is None else memory.get_or_compute(key, compute)


def with_memory(estimator: Any, memory: FitMemo | None) -> Any:
    """``estimator`` with ``memory`` set on it and on every estimator it holds that has a ``memory``
    parameter (keys ``memory`` and ``<name>__memory`` of ``get_params(deep=True)``); returns it."""
    if not hasattr(estimator, "get_params"):
        return estimator
    names = [name for name in estimator.get_params(deep=True) if name.split("__")[-1] == MEMORY]
    return estimator.set_params(**dict.fromkeys(names, memory)) if names else estimator


def _is_estimator(value: Any) -> bool:
    return hasattr(value, "get_params")


def _holds_estimators(value: Any) -> bool:
    """Whether ``value`` is a composite's list of ``(name, estimator)`` pairs (keyed by its deep params)."""
    return (
        isinstance(value, list | tuple)
        and bool(value)
        and all(isinstance(pair, tuple) and len(pair) == 2 and _is_estimator(pair[1]) for pair in value)
    )


def estimator_key(estimator: Any) -> str:
    """An estimator's class and parameters (nested ones included, ``memory`` excluded): a memo key part."""
    cls = type(estimator)
    params = estimator.get_params(deep=True)
    plain = sorted(
        (name, repr(value))
        for name, value in params.items()
        if name.split("__")[-1] != MEMORY and not _is_estimator(value) and not _holds_estimators(value)
    )
    nested = sorted(
        (name, f"{type(value).__module__}.{type(value).__qualname__}")
        for name, value in params.items()
        if _is_estimator(value)
    )
    return f"{cls.__module__}.{cls.__qualname__}|{plain}|{nested}"
