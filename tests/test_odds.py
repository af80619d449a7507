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


def test_market_prices_prefer_pinnacle_and_fall_back_to_the_average() -> None:
    import pandas as pd

    from scoreline import columns as c
    from scoreline.odds import market_1x2_prices

    def quotes(home: str, bookmaker: str, timing: str, prices: tuple[float, float, float]) -> list[dict]:
        return [
            {c.LEAGUE: "E0", c.DATE: pd.Timestamp("2024-08-17"), c.HOME: home, c.AWAY: "X",
             c.BOOKMAKER: bookmaker, c.MARKET: c.MARKET_1X2, c.LINE: np.nan, c.TIMING: timing,
             c.OUTCOME: outcome, c.PRICE: price}
            for outcome, price in zip(c.OUTCOMES, prices, strict=True)
        ]  # fmt: skip

    odds = pd.DataFrame(
        quotes("A", "pinnacle", c.OPENING, (2.0, 3.5, 4.0))
        + quotes("A", "market_avg", c.OPENING, (1.9, 3.4, 3.9))
        + quotes("B", "pinnacle", c.OPENING, (1.0, 3.5, 4.0))  # invalid: falls back
        + quotes("B", "market_avg", c.OPENING, (2.1, 3.3, 3.5))
        + quotes("C", "pinnacle", c.CLOSING, (2.0, 3.5, 4.0))  # closing only: absent from opening
    )
    best = market_1x2_prices(odds, c.OPENING).set_index(c.HOME)
    assert best.index.tolist() == ["A", "B"]
    assert best.loc["A", c.BOOKMAKER] == "pinnacle"
    assert best.loc["B", c.BOOKMAKER] == "market_avg"
    assert best.loc["B", "price_home"] == 2.1
