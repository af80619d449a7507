"""The model catalogue: names the CLI, pipelines and registry use, mapped to estimators and defaults.

The catalogue is the wiring table: it builds ensembles from its own entries (an entry's ``estimators`` names
the base models, each built with its catalogue defaults), so no model imports it. A name ending in ``_market``
marks a model that predicts from the fixtures' opening prices (:func:`scoreline.odds.attach_opening_prices`);
ask the estimator itself with :func:`scoreline.models.base.needs_opening_prices`. Classes are imported on
first use, so listing the catalogue loads neither LightGBM nor TensorFlow.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

MARKET_SUFFIX = "_market"
RATINGS_AND_FORM = ("elo", "pi", "pi_shots", "form")


@dataclass(frozen=True)
class CatalogueEntry:
    """A model's estimator class (``module:Class``), default parameters, one-line description and, for an
    ensemble, the catalogue names of its base models (given to it as ``estimators``)."""

    target: str
    params: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    estimators: tuple[str, ...] = ()


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
        {},
        "log-linear pool of Dixon-Coles and pi_shots, weights fitted out of time",
        estimators=("dixon_coles", "pi_shots"),
    ),
    "ensemble_market": CatalogueEntry(
        "scoreline.models.ensemble:EnsembleModel",
        {},
        "log-linear pool of Dixon-Coles, pi_shots and the market-boosted LightGBM",
        estimators=("dixon_coles", "pi_shots", "lgbm_market"),
    ),
}


def model_names() -> list[str]:
    """Every model name in the catalogue."""
    return list(CATALOGUE)


def make_model(name: str, **params: Any) -> Any:
    """A new, unfitted estimator for ``name`` with its default parameters, overridden by ``params`` (nested
    ones too, e.g. an ensemble's ``dixon_coles__xi``)."""
    if name not in CATALOGUE:
        raise KeyError(f"unknown model {name!r}; choose one of {', '.join(CATALOGUE)}")
    entry = CATALOGUE[name]
    module_name, class_name = entry.target.split(":")
    estimator_class = getattr(importlib.import_module(module_name), class_name)
    defaults = dict(entry.params)
    if entry.estimators:
        defaults["estimators"] = [(base, make_model(base)) for base in entry.estimators]
    nested = {key: value for key, value in params.items() if "__" in key}
    own = {key: value for key, value in params.items() if "__" not in key}
    estimator = estimator_class(**{**defaults, **own})
    return estimator.set_params(**nested) if nested else estimator
