"""Lazy package exports: a package lists its public names, each imported from its module on first use.

A package ``__init__`` that imported its modules eagerly would make ``import scoreline.pipelines.definition``
(which Airflow does every few seconds while parsing DAG files) load pandas, scikit-learn and SQLAlchemy.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``exports`` maps each public name to its module's name."""

    def attribute(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    return attribute
