"""The walk-forward cache key sees every change a cached result depends on, and nothing else."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scoreline.evaluation import fingerprint
from scoreline.evaluation.fingerprint import PACKAGE_ROOT, estimator_fingerprint
from scoreline.models.catalogue import make_model


def _reached(name: str) -> set[str]:
    model = make_model(name)
    modules = fingerprint._reachable_modules(tuple(sorted(fingerprint._class_modules(model))))
    return {str(path.relative_to(PACKAGE_ROOT)) for path in modules}


def test_key_covers_shared_bases_features_and_odds() -> None:
    reached = _reached("dixon_coles")
    for module in (
        "models/_team_strength.py",
        "models/_goal_likelihood.py",
        "models/base.py",
        "features/ratings.py",
        "odds.py",
        "columns.py",
        "hashing.py",
    ):
        assert module in reached


def test_key_changes_when_a_shared_base_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    model = make_model("dixon_coles")
    before = estimator_fingerprint(model)
    assert estimator_fingerprint(make_model("dixon_coles")) == before  # stable within a process
    original = fingerprint._file_digest

    def edited(path: Path) -> bytes:
        return b"edited" if path.name == "_team_strength.py" else original(path)

    monkeypatch.setattr(fingerprint, "_file_digest", edited)
    assert estimator_fingerprint(model) != before


def test_key_changes_with_parameters_and_library_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    base = estimator_fingerprint(make_model("dixon_coles"))
    assert estimator_fingerprint(make_model("dixon_coles").set_params(xi=0.002)) != base
    versions = (*fingerprint.library_versions(), ("numpy", "0.0"))
    monkeypatch.setattr(fingerprint, "library_versions", lambda: versions)
    assert estimator_fingerprint(make_model("dixon_coles")) != base


def test_nested_estimator_parameters_change_the_ensemble_key() -> None:
    ensemble = make_model("ensemble")
    params = ensemble.get_params(deep=True)
    nested = sorted(key for key, value in params.items() if "__" in key and isinstance(value, float))
    assert nested, "the ensemble exposes its base estimators' parameters"
    changed = make_model("ensemble").set_params(**{nested[0]: params[nested[0]] * 2 + 0.001})
    assert estimator_fingerprint(changed) != estimator_fingerprint(ensemble)


_PRINT_KEY = (
    "from scoreline.evaluation.fingerprint import estimator_fingerprint;"
    "from scoreline.models.catalogue import make_model;"
    "print(estimator_fingerprint(make_model('dixon_coles')), estimator_fingerprint(make_model('pi_rating')))"
)


def _keys_of(tree: Path) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, "-c", _PRINT_KEY], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.split()


@pytest.mark.slow
def test_a_copy_of_the_tree_keeps_its_key_until_a_base_module_is_edited(tmp_path: Path) -> None:
    shutil.copytree(PACKAGE_ROOT, tmp_path / "scoreline", ignore=shutil.ignore_patterns("__pycache__"))
    first = _keys_of(tmp_path)
    assert _keys_of(tmp_path) == first  # an unchanged tree keeps its cache
    base = tmp_path / "scoreline" / "models" / "_team_strength.py"
    base.write_text(base.read_text() + "\n# an edit to the shared team-strength base\n")
    edited = _keys_of(tmp_path)
    assert edited[0] != first[0]  # Dixon-Coles
    assert edited[1] != first[1]  # the rating model reaches it through models/
