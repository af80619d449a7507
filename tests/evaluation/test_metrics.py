import numpy as np
import pytest

from scoreline.evaluation import metrics

UNIFORM = np.full((1, 3), 1 / 3)


def test_perfect_forecast_scores_zero_loss() -> None:
    probs = np.eye(3)
    outcomes = np.array([0, 1, 2])
    assert metrics.rps(probs, outcomes) == 0
    assert metrics.brier(probs, outcomes) == 0
    assert metrics.log_loss(probs, outcomes) == pytest.approx(0, abs=1e-12)
    assert metrics.accuracy(probs, outcomes) == 1


def test_uniform_forecast_matches_hand_worked_values() -> None:
    # Home win: cumulative forecast (1/3, 2/3) against (1, 1): ((2/3)^2 + (1/3)^2) / 2 = 5/18.
    assert metrics.rps(UNIFORM, np.array([0])) == pytest.approx((4 / 9 + 1 / 9) / 2)
    # Draw: (1/3, 2/3) against (0, 1): ((1/3)^2 + (1/3)^2) / 2 = 1/9.
    assert metrics.rps(UNIFORM, np.array([1])) == pytest.approx(1 / 9)
    assert metrics.rps(UNIFORM, np.array([2])) == pytest.approx(5 / 18)
    assert metrics.brier(UNIFORM, np.array([0])) == pytest.approx(4 / 9 + 1 / 9 + 1 / 9)
    assert metrics.log_loss(UNIFORM, np.array([2])) == pytest.approx(np.log(3))


def test_rps_rewards_mass_near_the_outcome_unlike_log_loss() -> None:
    away = np.array([2])
    far, near = np.array([[0.6, 0.2, 0.2]]), np.array([[0.2, 0.6, 0.2]])
    assert metrics.rps(far, away) == pytest.approx((0.6**2 + 0.8**2) / 2)  # 0.5
    assert metrics.rps(near, away) == pytest.approx((0.2**2 + 0.8**2) / 2)  # 0.34
    assert metrics.log_loss(far, away) == pytest.approx(metrics.log_loss(near, away))


def test_scores_are_per_match_and_mean_is_their_average() -> None:
    rng = np.random.default_rng(0)
    probs = rng.dirichlet([2, 1, 1.5], size=50)
    outcomes = rng.integers(0, 3, 50)
    per_match = metrics.rps_scores(probs, outcomes)
    assert per_match.shape == (50,)
    loop = [
        0.5 * sum((np.cumsum(p)[k] - np.cumsum(np.eye(3)[o])[k]) ** 2 for k in range(2))
        for p, o in zip(probs, outcomes, strict=True)
    ]
    assert np.allclose(per_match, loop)
    assert metrics.rps(probs, outcomes) == pytest.approx(np.mean(loop))


def test_log_loss_is_finite_for_a_confident_miss() -> None:
    assert metrics.log_loss(np.array([[1.0, 0.0, 0.0]]), np.array([2])) == pytest.approx(-np.log(1e-15))


def test_calibration_error_hand_worked() -> None:
    # Two matches forecast (0.75, 0.17, 0.08); one home win, one draw.
    probs = np.array([[0.75, 0.17, 0.08], [0.75, 0.17, 0.08]])
    outcomes = np.array([0, 1])
    per_outcome = metrics.calibration_errors(probs, outcomes, n_bins=10)
    assert per_outcome == pytest.approx([0.25, 0.33, 0.08])
    assert metrics.expected_calibration_error(probs, outcomes) == pytest.approx((0.25 + 0.33 + 0.08) / 3)


def test_calibrated_forecasts_have_small_ece_and_a_diagonal_reliability_curve() -> None:
    rng = np.random.default_rng(1)
    probs = rng.dirichlet([3, 2, 2], size=20000)
    outcomes = np.array([rng.choice(3, p=p) for p in probs])
    assert metrics.expected_calibration_error(probs, outcomes) < 0.015
    curve = metrics.reliability_curve(probs, outcomes, n_bins=5)
    assert set(curve["outcome"]) == {"home", "draw", "away"}
    assert (curve.groupby("outcome")["count"].sum() == 20000).all()
    p, count = curve["mean_predicted"], curve["count"]
    tolerance = 4 * np.sqrt(p * (1 - p) / count) + 1e-9  # four standard errors of a bin's frequency
    assert ((curve["observed_frequency"] - p).abs() <= tolerance).all()
    # A forecaster that is twice too confident about home wins is visibly miscalibrated.
    sharpened = probs**2 / (probs**2).sum(axis=1, keepdims=True)
    assert metrics.expected_calibration_error(sharpened, outcomes) > 0.04


def test_summary_keys_and_bad_input_rejected() -> None:
    out = metrics.summary(np.eye(3), np.array([0, 1, 2]))
    assert set(out) == {"n", "rps", "logloss", "brier", "accuracy", "ece"} and out["n"] == 3
    with pytest.raises(ValueError, match="shape"):
        metrics.rps(np.ones((2, 2)), np.array([0, 1]))
    with pytest.raises(ValueError, match="indices"):
        metrics.rps(UNIFORM, np.array([3]))
    with pytest.raises(ValueError, match="H/D/A"):
        metrics.outcome_indices(np.array(["H", "X"]))
    assert metrics.outcome_indices(np.array(["H", "D", "A"])).tolist() == [0, 1, 2]
