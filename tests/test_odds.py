import numpy as np
import pytest

from scoreline.odds import devig, overround, valid_prices

PRICES = np.array([[1.65, 4.23, 5.28], [2.10, 3.40, 3.60], [8.18, 5.84, 1.34]])


@pytest.mark.parametrize("method", ["multiplicative", "shin", "power"])
def test_probabilities_sum_to_one_and_keep_the_favourite(method: str) -> None:
    fair = devig(PRICES, method)  # type: ignore[arg-type]
    assert np.allclose(fair.sum(axis=1), 1, atol=1e-12)
    assert (np.argmax(fair, axis=1) == np.argmin(PRICES, axis=1)).all()


def test_multiplicative_is_implied_over_booksum() -> None:
    implied = 1 / PRICES[0]
    assert np.allclose(devig(PRICES[:1], "multiplicative")[0], implied / implied.sum())


def test_shin_and_power_move_margin_to_the_long_shot() -> None:
    mult = devig(PRICES[:1], "multiplicative")[0]
    for method in ("shin", "power"):
        fair = devig(PRICES[:1], method)[0]  # type: ignore[arg-type]
        assert fair[0] > mult[0]  # favourite gains
        assert fair[2] < mult[2]  # long shot loses


def test_shin_matches_a_known_value() -> None:
    # Two-way market with implied 0.6 and 0.5: find Shin's z by brute-force grid search on its equation.
    prices = np.array([[1 / 0.6, 1 / 0.5]])
    fair = devig(prices, "shin")[0]
    booksum = 1.1
    zs = np.linspace(0, 0.5, 200001)
    sums = sum((np.sqrt(zs**2 + 4 * (1 - zs) * p**2 / booksum) - zs) / (2 * (1 - zs)) for p in (0.6, 0.5))
    z_star = zs[np.argmin(abs(sums - 1))]
    expected = (np.sqrt(z_star**2 + 4 * (1 - z_star) * 0.36 / booksum) - z_star) / (2 * (1 - z_star))
    assert fair[0] == pytest.approx(expected, abs=1e-5)


def test_bad_rows_give_nan_and_leave_the_others_alone() -> None:
    prices = np.vstack([PRICES, [[1.0, 3.0, 4.0]], [[np.nan, 3.0, 3.0]], [[3.0, 3.0, 3.0]]])
    fair = devig(prices, "shin")
    assert np.isnan(fair[3:]).all()
    assert np.allclose(fair[:3], devig(PRICES, "shin"))
    assert valid_prices(prices).tolist() == [True, True, True, False, False, False]
    assert overround(PRICES[:1])[0] == pytest.approx(1 / 1.65 + 1 / 4.23 + 1 / 5.28)


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown de-vig method"):
        devig(PRICES, "magic")  # type: ignore[arg-type]
