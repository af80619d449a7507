"""The models package: its public names, imported lazily, and the one probability check."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import scoreline.models
from scoreline.models.base import PROBABILITY_TOLERANCE, check_probabilities


def test_every_public_name_resolves_to_its_module() -> None:
    for name in scoreline.models.__all__:
        value = getattr(scoreline.models, name)
        assert getattr(value, "__name__", name) == name or name.isupper()
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        scoreline.models.Nope  # noqa: B018


@pytest.mark.slow
def test_importing_the_package_and_the_catalogue_loads_no_lightgbm_nor_tensorflow() -> None:
    code = (
        "import sys, scoreline.models as m; m.make_model('ensemble_market'); m.model_names(); m.MatchModel;"
        "print(sorted(k for k in ('lightgbm', 'tensorflow', 'keras') if k in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_check_probabilities_accepts_valid_rows_and_names_what_is_wrong() -> None:
    good = np.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]])
    first_cell = np.array([[1.0, 0, 0], [0, 0, 0]])
    check_probabilities(good, 2)
    check_probabilities(good + PROBABILITY_TOLERANCE / 2 * first_cell, 2)  # float32-style rounding
    cases = {
        "shape": (good, 3),
        "outside": (np.array([[1.2, -0.1, -0.1]]), 1),
        "do not sum to one": (good + 1e-4 * first_cell, 2),
        "missing": (np.array([[np.nan, 0.5, 0.5]]), 1),
        "infinite": (np.array([[np.inf, 0.0, 0.0]]), 1),
    }
    for message, (probs, n) in cases.items():
        with pytest.raises(ValueError, match=message):
            check_probabilities(probs, n)
    check_probabilities(np.array([[np.nan] * 3, [0.2, 0.2, 0.6]]), 2, allow_missing=True)
    with pytest.raises(ValueError, match="do not sum to one"):
        check_probabilities(np.array([[np.nan] * 3, [0.2, 0.2, 0.5]]), 2, allow_missing=True)
