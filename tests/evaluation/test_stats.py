import numpy as np
import pytest

from scoreline.evaluation import metrics, stats


def _forecasts(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True probabilities, a noisy forecast of them, and outcomes drawn from the truth."""
    rng = np.random.default_rng(seed)
    truth = rng.dirichlet([4, 2.5, 3], size=n)
    noisy = truth * np.exp(rng.normal(0, noise, truth.shape))
    noisy /= noisy.sum(axis=1, keepdims=True)
    outcomes = (rng.random(n)[:, None] > np.cumsum(truth, axis=1)).sum(axis=1)
    return truth, noisy, outcomes


def _expected_rps(forecast: np.ndarray, truth: np.ndarray) -> float:
    """Exact expected RPS of ``forecast`` when outcomes follow ``truth``."""
    by_outcome = np.column_stack([metrics.rps_scores(forecast, np.full(len(forecast), k)) for k in range(3)])
    return float((by_outcome * truth).sum(axis=1).mean())


def test_bootstrap_interval_covers_the_true_difference() -> None:
    covered = 0
    reps = 40
    for seed in range(reps):
        truth, noisy, outcomes = _forecasts(400, 0.4, seed)
        true_diff = _expected_rps(truth, truth) - _expected_rps(noisy, truth)
        groups = np.arange(400) // 10
        _, low, high = stats.paired_bootstrap(
            metrics.rps_scores(truth, outcomes),
            metrics.rps_scores(noisy, outcomes),
            groups,
            n_boot=500,
            seed=seed,
        )
        covered += low <= true_diff <= high
    assert covered >= 0.85 * reps  # nominal 95%; 85% leaves room for binomial noise over 40 runs


def test_bootstrap_is_seeded_and_blocks_widen_the_interval_under_dependence() -> None:
    rng = np.random.default_rng(5)
    groups = np.repeat(np.arange(50), 20)
    shared = rng.normal(0, 1, 50)[groups]  # a common shock per round
    a = shared + rng.normal(0, 0.2, 1000)
    b = np.zeros(1000)
    assert stats.paired_bootstrap(a, b, groups, seed=3) == stats.paired_bootstrap(a, b, groups, seed=3)
    mean, low, high = stats.paired_bootstrap(a, b, groups, n_boot=1000)
    _, iid_low, iid_high = stats.paired_bootstrap(a, b, None, n_boot=1000)
    assert low < mean < high
    assert (high - low) > 2.5 * (iid_high - iid_low)  # blocks respect the within-round dependence
    # The block interval's half-width agrees with the standard error of 50 round means.
    se = a.reshape(50, 20).mean(axis=1).std(ddof=1) / np.sqrt(50)
    assert (high - low) / 2 == pytest.approx(1.96 * se, rel=0.25)


def test_diebold_mariano_rejects_for_a_clearly_better_forecaster() -> None:
    truth, noisy, outcomes = _forecasts(2000, 0.8, 11)
    statistic, p_value = stats.diebold_mariano(
        metrics.rps_scores(truth, outcomes), metrics.rps_scores(noisy, outcomes)
    )
    assert statistic < -3 and p_value < 0.01


def test_diebold_mariano_does_not_reject_identical_or_equally_good_forecasters() -> None:
    truth, noisy, outcomes = _forecasts(500, 0.4, 3)
    loss = metrics.rps_scores(noisy, outcomes)
    assert stats.diebold_mariano(loss, loss.copy()) == (0.0, 1.0)
    rejections = 0
    for seed in range(40):
        rng = np.random.default_rng(100 + seed)
        truth, _, outcomes = _forecasts(500, 0.0, seed)
        first, second = (truth * np.exp(rng.normal(0, 0.4, truth.shape)) for _ in range(2))
        first /= first.sum(axis=1, keepdims=True)
        second /= second.sum(axis=1, keepdims=True)
        _, p = stats.diebold_mariano(
            metrics.rps_scores(first, outcomes), metrics.rps_scores(second, outcomes)
        )
        rejections += p < 0.05
    assert rejections <= 6  # about 2 expected at the 5% level


def test_long_run_variance_grows_with_autocorrelation() -> None:
    rng = np.random.default_rng(2)
    shocks = rng.normal(size=5000)
    ar = np.empty(5000)
    ar[0] = shocks[0]
    for t in range(1, 5000):
        ar[t] = 0.5 * ar[t - 1] + shocks[t]
    assert stats.long_run_variance(shocks, 10) == pytest.approx(1.0, rel=0.1)
    # AR(1) with phi 0.5: long-run variance 1 / (1 - 0.5)^2 = 4 (Bartlett with lag 30 gets most of it).
    assert stats.long_run_variance(ar, 30) == pytest.approx(4.0, rel=0.2)
    assert stats.newey_west_lag(380) == 5


def test_compare_reports_a_beats_b_only_when_the_interval_excludes_zero() -> None:
    truth, noisy, outcomes = _forecasts(3000, 0.8, 21)
    good, bad = metrics.rps_scores(truth, outcomes), metrics.rps_scores(noisy, outcomes)
    result = stats.compare("truth", good, "noisy", bad, n_boot=500)
    assert set(result) == {"a", "b", "n", "mean_diff", "ci_low", "ci_high", "dm_stat", "p_value", "a_beats_b"}
    assert result["a_beats_b"] and result["ci_high"] < 0 and result["n"] == 3000
    reverse = stats.compare("noisy", bad, "truth", good, n_boot=500)
    assert not reverse["a_beats_b"] and reverse["ci_low"] > 0
    same = stats.compare("x", good, "y", good.copy(), n_boot=200)
    assert not same["a_beats_b"] and same["mean_diff"] == 0


def test_losses_must_align() -> None:
    with pytest.raises(ValueError, match="one length"):
        stats.paired_bootstrap(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="NaN"):
        stats.diebold_mariano(np.array([0.1, np.nan, 0.2]), np.zeros(3))
