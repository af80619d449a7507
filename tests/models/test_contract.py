"""The contract every match model follows (see ``scoreline.models.base``), checked on every model.

To put a model under contract, add ONE line to ``MODELS``:
``pytest.param(lambda: YourModel(...), id="name")``.
The factory must return an unfitted model with small, fast settings. Data: a small simulated league.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from scoreline import columns as c
from scoreline.models.base import MatchModel, predict_frame
from scoreline.models.bivariate_poisson import BivariatePoissonGoalModel
from scoreline.models.dixon_coles import DixonColesGoalModel
from scoreline.models.ensemble import EnsembleModel
from scoreline.models.keras_mlp import KerasMLPModel
from scoreline.models.lgbm import LGBMModel
from scoreline.models.poisson import PoissonGoalModel
from scoreline.models.rating import RatingModel
from scoreline.simulate import simulate_league

MODELS = [
    pytest.param(PoissonGoalModel, id="poisson"),
    pytest.param(DixonColesGoalModel, id="dixon_coles"),
    pytest.param(lambda: DixonColesGoalModel(prior_weight=0.0, xi=0.0), id="dixon_coles_mle"),
    pytest.param(BivariatePoissonGoalModel, id="bivariate_poisson"),
    pytest.param(lambda: BivariatePoissonGoalModel(home_effect=True), id="bivariate_poisson_home"),
    pytest.param(lambda: RatingModel(rating="elo"), id="elo"),
    pytest.param(lambda: RatingModel(rating="pi"), id="pi_rating"),
    pytest.param(lambda: RatingModel(rating="pi_shots"), id="pi_shots"),
    pytest.param(lambda: LGBMModel(n_estimators=20), id="lgbm"),
    pytest.param(lambda: KerasMLPModel(hidden_units=(8,), max_epochs=3), id="keras_mlp"),
    pytest.param(
        lambda: EnsembleModel(base_models=("poisson", "pi_rating"), min_train_days=150), id="ensemble"
    ),
]

Factory = Callable[[], MatchModel]


@pytest.fixture(scope="module")
def league() -> pd.DataFrame:
    """Two seasons of a 10-team league (180 matches)."""
    return simulate_league(n_teams=10, seasons=("2223", "2324"), seed=7).matches


@pytest.fixture(scope="module")
def split(league: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train on matches before the cutoff date, predict the rest (with their results removed)."""
    cutoff = league[c.DATE].sort_values().iloc[140]
    train = league[league[c.DATE] < cutoff]
    test = league[league[c.DATE] >= cutoff].copy()
    test[[c.HOME_GOALS, c.AWAY_GOALS, c.RESULT]] = None
    return train, test


def _assert_valid(probabilities: np.ndarray, n: int) -> None:
    assert probabilities.shape == (n, 3)
    assert np.all(np.isfinite(probabilities))
    assert np.all((probabilities >= 0) & (probabilities <= 1))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-9)


@pytest.mark.parametrize("factory", MODELS)
def test_probabilities_are_valid_and_ordered(
    factory: Factory, split: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    train, test = split
    model = factory().fit(train)
    probabilities = model.predict_proba(test)
    _assert_valid(probabilities, len(test))
    assert list(model.classes_) == list(c.OUTCOMES)
    labels = model.predict(test)
    np.testing.assert_array_equal(labels, model.classes_[probabilities.argmax(axis=1)])
    frame = predict_frame(model, test)
    assert list(frame.columns) == list(c.PROBABILITY_COLUMNS)
    assert frame.index.equals(test.index)
    np.testing.assert_array_equal(frame.to_numpy(), probabilities)


@pytest.mark.parametrize("factory", MODELS)
def test_fit_returns_self_and_is_deterministic(
    factory: Factory, split: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    train, test = split
    model = factory()
    assert model.fit(train) is model
    again = factory().fit(train)
    np.testing.assert_array_equal(model.predict_proba(test), again.predict_proba(test))


@pytest.mark.parametrize("factory", MODELS)
def test_init_stores_params_and_clone_works(
    factory: Factory, split: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    train, test = split
    model = factory()
    params = model.get_params()
    assert set(vars(model)) == set(params), "__init__ must store exactly its parameters"
    for name, value in params.items():
        assert getattr(model, name) is value
    fitted = clone(model).fit(train)
    copied = clone(fitted)
    assert copied.get_params() == fitted.get_params()
    assert set(vars(copied)) == set(params), "clone must return an unfitted model"
    copied.set_params(**params)
    np.testing.assert_array_equal(copied.fit(train).predict_proba(test), fitted.predict_proba(test))


@pytest.mark.parametrize("factory", MODELS)
def test_learned_attributes_end_with_underscore(
    factory: Factory, split: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    model = factory()
    params = set(model.get_params())
    model.fit(split[0])
    learned = set(vars(model)) - params
    assert learned, "fit must learn something"
    public = {name for name in learned if not name.startswith("_")}
    assert all(name.endswith("_") for name in public), sorted(public)
    assert {"classes_"} <= public


@pytest.mark.parametrize("factory", MODELS)
def test_predict_before_fit_raises(factory: Factory, split: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    with pytest.raises(NotFittedError):
        factory().predict_proba(split[1])


@pytest.mark.parametrize("factory", MODELS)
def test_fit_leaves_input_unchanged(factory: Factory, split: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    train, test = split
    frame = pd.concat([train, test])  # includes unplayed rows
    before = copy.deepcopy(frame)
    model = factory().fit(frame)
    pd.testing.assert_frame_equal(frame, before)
    before_test = copy.deepcopy(test)
    model.predict_proba(test)
    pd.testing.assert_frame_equal(test, before_test)


@pytest.mark.parametrize("factory", MODELS)
def test_rows_without_result_are_ignored(factory: Factory, split: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    train, test = split
    plain = factory().fit(train).predict_proba(test)
    with_fixtures = factory().fit(pd.concat([train, test])).predict_proba(test)
    np.testing.assert_allclose(with_fixtures, plain, rtol=0, atol=1e-12)


@pytest.mark.parametrize("factory", MODELS)
def test_unseen_teams_get_valid_probabilities(
    factory: Factory, split: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    train, test = split
    model = factory().fit(train)
    fixtures = test.head(3).copy()
    fixtures[c.HOME] = ["Unseen A", fixtures[c.HOME].iloc[1], "Unseen A"]
    fixtures[c.AWAY] = [fixtures[c.AWAY].iloc[0], "Unseen B", "Unseen B"]
    _assert_valid(model.predict_proba(fixtures), 3)


def test_ensembles_share_fitted_base_models_without_changing_predictions(
    split: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    from scoreline.models import ensemble

    train, test = split
    ensemble._fitted.clear()
    first = EnsembleModel(base_models=("poisson", "pi_rating"), min_train_days=150).fit(train)
    other = EnsembleModel(base_models=("pi_rating", "elo"), min_train_days=150).fit(train)
    assert other.models_[0] is first.models_[1]  # pi-rating fitted once on the same matches
    ensemble._fitted.clear()
    again = EnsembleModel(base_models=("poisson", "pi_rating"), min_train_days=150).fit(train)
    assert again.models_[1] is not first.models_[1]
    assert np.array_equal(first.predict_proba(test), again.predict_proba(test))
