"""The ensemble's log-linear opinion pool."""

import numpy as np
import pandas as pd
import pytest

from scoreline.models.ensemble import LogLinearPool


def _forecasts(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True probabilities, outcomes drawn from them, and an uninformative forecast."""
    logits = rng.normal(0.0, 1.0, size=(n, 3)) + np.array([0.3, 0.0, -0.2])
    truth = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    outcomes = np.array([rng.choice(3, p=p) for p in truth])
    noise = rng.dirichlet(np.ones(3) * 2.0, size=n)
    return truth, outcomes, noise


def test_pool_puts_its_weight_on_the_informative_forecast() -> None:
    rng = np.random.default_rng(7)
    truth, outcomes, noise = _forecasts(rng, 6000)
    stacked = np.log(np.hstack([noise, truth]))
    pool = LogLinearPool().fit(stacked, outcomes)
    assert pool.weights_.sum() == pytest.approx(1.0)
    assert pool.weights_[1] > 0.9
    assert np.abs(pool.bias_).max() < 0.1  # the truth needs no correction
    probabilities = pool.predict_proba(stacked)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    np.testing.assert_allclose(probabilities, truth, atol=0.08)


def test_pool_keeps_the_sharpness_a_logistic_combiner_would_change() -> None:
    # Two forecasts, both twice as sharp as the truth: a logistic combiner flattens them (it learns the
    # scale from these rows); the pool's weights sum to one, so its answers stay as sharp as its inputs.
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(3)
    truth, outcomes, _ = _forecasts(rng, 3000)
    sharp = np.log(truth) * 2.0
    sharp -= np.log(np.exp(sharp).sum(axis=1, keepdims=True))
    noisy = sharp + rng.normal(0.0, 0.3, size=sharp.shape)
    noisy -= np.log(np.exp(noisy).sum(axis=1, keepdims=True))
    stacked = np.hstack([sharp, noisy])

    def spread(probabilities: np.ndarray) -> float:
        logs = np.log(probabilities)
        return float((logs.max(axis=1) - logs.min(axis=1)).mean())

    pool = LogLinearPool().fit(stacked, outcomes)
    logistic = LogisticRegression(max_iter=1000).fit(stacked, outcomes)
    assert pool.weights_.sum() == pytest.approx(1.0) and pool.weights_[0] > pool.weights_[1]
    assert spread(pool.predict_proba(stacked)) > 0.85 * spread(np.exp(sharp))
    assert spread(logistic.predict_proba(stacked)) < 0.7 * spread(np.exp(sharp))


def test_goal_model_bases_see_only_their_recent_window_and_blocks_end_the_period() -> None:
    from scoreline import columns as c
    from scoreline.models.catalogue import make_model
    from scoreline.models.ensemble import EnsembleModel
    from scoreline.simulate import simulate_league

    matches = simulate_league(n_teams=10, seasons=("2122", "2223", "2324"), seed=5).matches
    days = matches[c.DATE]
    bases = [("poisson", make_model("poisson")), ("pi_rating", make_model("pi_rating"))]
    model = EnsembleModel(bases, out_of_time_days=300, goal_model_days=200)
    model.fit(matches)
    recent = int((days > days.max() - pd.Timedelta(days=200)).sum())
    assert model.models_[0].n_matches_ == recent < len(matches)  # the goal model: last 200 days only
    assert len(model.models_[1].history_) == len(matches)  # the rating model: every match
    assert model.n_out_of_time_ == int((days >= days.max() - pd.Timedelta(days=300)).sum())
    np.testing.assert_allclose(model.predict_proba(matches.head(5)).sum(axis=1), 1.0)


def test_base_model_parameters_are_reachable_through_the_ensemble() -> None:
    from sklearn.base import clone

    from scoreline.models.catalogue import make_model

    ensemble = make_model("ensemble_market")
    params = ensemble.get_params(deep=True)
    assert [name for name, _ in ensemble.estimators] == ["dixon_coles", "pi_shots", "lgbm_market"]
    assert params["dixon_coles__xi"] == make_model("dixon_coles").xi
    assert params["lgbm_market__init_from_market"] is True
    ensemble.set_params(dixon_coles__xi=0.004, pi_shots__learn_days=400)
    assert ensemble.named_estimators["dixon_coles"].xi == 0.004
    assert clone(ensemble).get_params(deep=True)["pi_shots__learn_days"] == 400
    assert make_model("ensemble").named_estimators["dixon_coles"].xi != 0.004  # nothing shared between builds
    built = make_model("ensemble", dixon_coles__xi=0.004, n_folds=3)  # as ``scoreline train --param`` does
    assert (built.named_estimators["dixon_coles"].xi, built.n_folds) == (0.004, 3)


def test_ensemble_rejects_bad_estimators_with_a_clear_message() -> None:
    from scoreline.models.catalogue import make_model
    from scoreline.models.ensemble import EnsembleModel
    from scoreline.simulate import simulate_league

    matches = simulate_league(n_teams=6, seasons=("2223", "2324"), seed=1).matches
    bad = {
        "Names provided are not unique": [("a", make_model("elo")), ("a", make_model("poisson"))],
        "must have fit and predict_proba": [("a", "elo")],
        "at least one": [],
    }
    for message, estimators in bad.items():
        with pytest.raises(ValueError, match=message):
            EnsembleModel(estimators).fit(matches)
