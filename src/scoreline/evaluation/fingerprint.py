"""Fingerprints of estimators: a key that changes whenever anything a cached result depends on changes.

The walk-forward cache (and through it ``scoreline train``'s validation and the promotion gate) reuses a
round's predictions when the key of the model and its inputs is unchanged. A key built from the
estimator's own class source missed edits to a shared base class, a feature group, ``odds.py`` or an
ensemble's base models. :func:`estimator_fingerprint` therefore covers

* the estimator's class and parameters, nested estimators' parameters included (``get_params(deep=True)``);
* the source of every scoreline module that the class hierarchies of the estimator and of every nested
  estimator reach through their imports (found statically, function-level imports included), plus the
  modules every model depends on (:data:`ALWAYS_INCLUDED`: ``models/``, ``features/``, ``odds.py``,
  ``columns.py``, ``hashing.py``);
* scoreline's version and the versions of the numeric libraries models call (:data:`NUMERIC_LIBRARIES`).

The data a model is fitted on is keyed separately (the walk-forward engine hashes each round's frames).
Module sources are read and hashed once per process (a file edited while a process runs is seen by the
next process, as its code would be).
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
from collections.abc import Iterable, Iterator
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGE = "scoreline"
PACKAGE_ROOT = Path(__file__).resolve().parents[1]
# Modules and packages (relative to the package root) that every model's results depend on.
ALWAYS_INCLUDED = ("models", "features", "odds.py", "columns.py", "hashing.py")
NUMERIC_LIBRARIES = (
    "numpy",
    "scipy",
    "pandas",
    "scikit-learn",
    "lightgbm",
    "keras",
    "tensorflow-cpu",
    "numba",
)


def estimator_fingerprint(estimator: Any) -> str:
    """SHA-256 of ``estimator``'s class, parameters, reachable scoreline source and library versions."""
    classes = sorted({_qualified_name(cls) for cls in _estimator_classes(estimator)})
    modules = _reachable_modules(tuple(sorted(_class_modules(estimator))))
    if hasattr(estimator, "get_params"):
        params = repr(
            sorted((key, _describe(value)) for key, value in estimator.get_params(deep=True).items())
        )
    else:
        params = repr(estimator)
    text = "\n".join(
        [
            f"classes={classes}",
            f"params={params}",
            f"source={_source_digest(modules)}",
            f"versions={library_versions()}",
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()


@cache
def library_versions() -> tuple[tuple[str, str], ...]:
    """scoreline's version and those of the numeric libraries (``-`` for one not installed)."""
    versions = []
    for name in (PACKAGE, *NUMERIC_LIBRARIES):
        try:
            versions.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            versions.append((name, "-"))
    return tuple(versions)


def _qualified_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _describe(value: Any) -> str:
    """A parameter's value for the key: an estimator by its class (its parameters are listed separately)."""
    if hasattr(value, "get_params") and not isinstance(value, type):
        return f"<{_qualified_name(type(value))}>"
    if isinstance(value, list | tuple):
        return repr(type(value)(_describe(item) for item in value))
    return repr(value)


def _estimator_classes(estimator: Any) -> Iterator[type]:
    """The classes of ``estimator`` and every estimator nested in its parameters, with their bases."""
    yield from type(estimator).__mro__
    if not hasattr(estimator, "get_params"):
        return
    for value in estimator.get_params(deep=False).values():
        for nested in _nested_estimators(value):
            yield from _estimator_classes(nested)


def _nested_estimators(value: Any) -> Iterator[Any]:
    if hasattr(value, "get_params") and hasattr(value, "fit") and not isinstance(value, type):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _nested_estimators(item)


def _class_modules(estimator: Any) -> set[str]:
    """scoreline modules defining the estimator's (and nested estimators') classes and bases."""
    return {cls.__module__ for cls in _estimator_classes(estimator) if _is_scoreline(cls.__module__)}


def _is_scoreline(module: str) -> bool:
    return module == PACKAGE or module.startswith(f"{PACKAGE}.")


@cache
def _reachable_modules(roots: tuple[str, ...]) -> tuple[Path, ...]:
    """Source files of ``roots``, of :data:`ALWAYS_INCLUDED` and of every scoreline module they import."""
    pending = [path for module in roots if (path := _module_path(module)) is not None]
    pending += list(_always_included())
    seen: set[Path] = set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        pending.extend(p for module in _imported_modules(path) if (p := _module_path(module)) is not None)
    return tuple(sorted(seen))


def _always_included() -> Iterator[Path]:
    for name in ALWAYS_INCLUDED:
        target = PACKAGE_ROOT / name
        yield from sorted(target.rglob("*.py")) if target.is_dir() else [target]


def _module_path(module: str) -> Path | None:
    """The source file of a scoreline module, or None for another package's module."""
    if not _is_scoreline(module):
        return None
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin).resolve()


@cache
def _imported_modules(path: Path) -> tuple[str, ...]:
    """Every module ``path`` imports, anywhere in the file (function-level imports too)."""
    tree = ast.parse(path.read_bytes(), filename=str(path))
    package = _package_of(path)
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node.module, node.level, package)
            found.append(base)
            found += [f"{base}.{alias.name}" for alias in node.names]  # ``from pkg import module``
    return tuple(found)


def _package_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE_ROOT.parent).with_suffix("")
    parts = list(relative.parts)
    return ".".join(parts if parts[-1] == "__init__" else parts[:-1]).removesuffix(".__init__")


def _absolute(module: str | None, level: int, package: str) -> str:
    if level == 0:
        return module or ""
    base = package.split(".")
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def _source_digest(paths: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path.relative_to(PACKAGE_ROOT)).encode())
        digest.update(_file_digest(path))
    return digest.hexdigest()


@cache
def _file_digest(path: Path) -> bytes:
    return hashlib.sha256(path.read_bytes()).digest()
