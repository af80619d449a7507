"""The model catalogue: names the CLI, pipelines and registry use, mapped to estimators and defaults.

A name ending in ``_market`` marks a model that uses pre-match (opening) odds features; it needs the
fixtures' opening prices (:func:`scoreline.odds.attach_opening_prices`). Classes are imported on first use,
so listing the catalogue loads neither LightGBM nor TensorFlow.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

MARKET_SUFFIX = "_market"
RATINGS_AND_FORM = ("elo", "pi", "pi_shots", "form")


@dataclass(frozen=True)
class CatalogueEntry:
    """A model's estimator class (``module:Class``), default parameters and one-line description."""

    target: str
    params: dict[str, Any] = field(default_factory=dict)
    description: str = ""


CATALOGUE: dict[str, CatalogueEntry] = {
    "poisson": CatalogueEntry(
        "scoreline.models.poisson:PoissonGoalModel", {}, "independent Poisson goals (Maher 1982)"
    ),
    "dixon_coles": CatalogueEntry(
        "scoreline.models.dixon_coles:DixonColesGoalModel",
        {},
        "Dixon-Coles (1997) with time decay and a promoted-team prior: the existing baseline",
    ),
    "bivariate_poisson": CatalogueEntry(
        "scoreline.models.bivariate_poisson:BivariatePoissonGoalModel",
        {},
        "bivariate Poisson (Karlis & Ntzoufras 2003)",
    ),
    "elo": CatalogueEntry(
        "scoreline.models.rating:RatingModel", {"rating": "elo"}, "ordered logit on the Elo difference"
    ),
    "pi_rating": CatalogueEntry(
        "scoreline.models.rating:RatingModel", {"rating": "pi"}, "ordered logit on the pi-rating difference"
    ),
    "pi_shots": CatalogueEntry(
        "scoreline.models.rating:RatingModel",
        {"rating": "pi_shots"},
        "ordered logit on pi-ratings driven by goals and shots on target",
    ),
    "lgbm": CatalogueEntry(
        "scoreline.models.lgbm:LGBMModel",
        {"groups": RATINGS_AND_FORM},
        "LightGBM on rating and form features",
    ),
    "lgbm_market": CatalogueEntry(
        "scoreline.models.lgbm:LGBMModel",
        {"groups": (*RATINGS_AND_FORM, "market"), "init_from_market": True},
        "LightGBM boosted from the opening odds, with rating, form and market features",
    ),
    "keras_mlp": CatalogueEntry(
        "scoreline.models.keras_mlp:KerasMLPModel",
        {"groups": RATINGS_AND_FORM},
        "Keras neural network on rating and form features",
    ),
    "ensemble": CatalogueEntry(
        "scoreline.models.ensemble:EnsembleModel",
        {"base_models": ("dixon_coles", "pi_shots")},
        "log-linear pool of Dixon-Coles and pi_shots, weights fitted out of time",
    ),
    "ensemble_market": CatalogueEntry(
        "scoreline.models.ensemble:EnsembleModel",
        {"base_models": ("dixon_coles", "pi_shots", "lgbm_market")},
        "log-linear pool of Dixon-Coles, pi_shots and the market-boosted LightGBM",
    ),
}


def model_names() -> list[str]:
    """Every model name in the catalogue."""
    return list(CATALOGUE)


def uses_market(name: str) -> bool:
    """Whether the named model needs opening odds (its name ends in ``_market``)."""
    return name.endswith(MARKET_SUFFIX)


def make_model(name: str, **params: Any) -> Any:
    """A new, unfitted estimator for ``name`` with its default parameters, overridden by ``params``."""
    if name not in CATALOGUE:
        raise KeyError(f"unknown model {name!r}; choose one of {', '.join(CATALOGUE)}")
    entry = CATALOGUE[name]
    module_name, class_name = entry.target.split(":")
    estimator_class = getattr(importlib.import_module(module_name), class_name)
    return estimator_class(**{**entry.params, **params})
