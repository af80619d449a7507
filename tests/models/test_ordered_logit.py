import numpy as np
import pytest
from scipy.optimize import check_grad
from scipy.special import expit

from scoreline.models.ordered_logit import _objective, fit_ordered_logit, predict_ordered_logit


def _simulate(n: int, beta: float, theta: tuple[float, float], seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, (n, 1))
    u = rng.uniform(size=n)
    below_draw = expit(theta[0] - beta * x[:, 0])
    below_home = expit(theta[1] - beta * x[:, 0])
    y = np.where(u < below_draw, 0, np.where(u < below_home, 1, 2))
    return x, y


def test_recovers_coefficient_and_cut_points() -> None:
    x, y = _simulate(40_000, beta=0.8, theta=(-0.6, 0.5), seed=3)
    beta, theta = fit_ordered_logit(x, y, alpha=0.0)
    assert beta[0] == pytest.approx(0.8, abs=0.03)
    assert theta == pytest.approx([-0.6, 0.5], abs=0.03)


def test_gradient_is_exact() -> None:
    x, y = _simulate(300, beta=0.5, theta=(-0.4, 0.6), seed=1)
    x = np.column_stack([x, x[:, 0] ** 2])
    w = np.linspace(0.5, 1.5, len(y))
    params = np.array([0.3, -0.1, -0.2, np.log(0.9)])
    error = check_grad(
        lambda p: _objective(p, x, y, w, 0.01)[0], lambda p: _objective(p, x, y, w, 0.01)[1], params
    )
    assert error < 1e-6


def test_probabilities_are_ordered_and_sum_to_one() -> None:
    beta, theta = np.array([1.0]), np.array([-0.5, 0.5])
    probs = predict_ordered_logit(np.array([[-3.0], [0.0], [3.0]]), beta, theta)
    assert np.allclose(probs.sum(axis=1), 1, atol=1e-12)
    assert (np.diff(probs[:, 0]) > 0).all()  # home win grows with the score
    assert (np.diff(probs[:, 2]) < 0).all()  # away win shrinks


def test_refuses_training_data_without_all_outcomes() -> None:
    with pytest.raises(ValueError, match="away wins, draws and home wins"):
        fit_ordered_logit(np.zeros((4, 1)), np.array([0, 2, 2, 0]))
