"""Feature-based models: rating ordered logits, LightGBM with and without the market, Keras MLP."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scoreline import columns as c
from scoreline.models.lgbm import LGBMModel, time_validation_mask
from scoreline.models.rating import RatingModel
from scoreline.odds import OPENING_PRICE_COLUMNS
from scoreline.simulate import football_data_frame, simulate_league


@pytest.fixture(scope="module")
def league() -> pd.DataFrame:
    matches = simulate_league(seasons=("2021", "2122", "2223", "2324"), seed=2, strength_spread=0.35).matches
    opening = football_data_frame(matches, seed=1)
    for column, source in zip(OPENING_PRICE_COLUMNS, ("PSH", "PSD", "PSA"), strict=True):
        matches[column] = opening[source].to_numpy()
    return matches


def _rps(probabilities: np.ndarray, results: pd.Series) -> float:
    observed = np.eye(3)[results.map(c.RESULT_TO_INDEX).to_numpy()]
    gap = np.cumsum(probabilities, axis=1)[:, :2] - np.cumsum(observed, axis=1)[:, :2]
    return float((gap**2).sum(axis=1).mean() / 2)


def _split(league: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train before a mid-season cutoff, test on the next 16 weeks (models are refitted often in use)."""
    cutoff = pd.Timestamp("2023-12-01")
    later = league[c.DATE] >= cutoff
    return league[~later], league[later & (league[c.DATE] < cutoff + pd.Timedelta(weeks=16))]


@pytest.mark.parametrize("rating", ["elo", "pi", "pi_shots"])
def test_rating_models_beat_base_rates_and_learn_a_positive_slope(league: pd.DataFrame, rating: str) -> None:
    train, test = _split(league)
    model = RatingModel(rating=rating).fit(train)
    assert model.beta_[0] > 0  # a stronger home side makes home wins likelier
    base = np.tile(
        train[c.RESULT].value_counts(normalize=True).reindex(["H", "D", "A"]).to_numpy(), (len(test), 1)
    )
    assert _rps(model.predict_proba(test), test[c.RESULT]) < _rps(base, test[c.RESULT]) - 0.005


def test_predictions_ignore_the_fixtures_own_results(league: pd.DataFrame) -> None:
    train, test = _split(league)
    model = RatingModel(rating="pi").fit(train)
    flipped = test.assign(**{c.HOME_GOALS: 9, c.AWAY_GOALS: 0, c.RESULT: "H"})
    assert np.array_equal(model.predict_proba(test), model.predict_proba(flipped))


def test_fit_leaves_its_input_unchanged(league: pd.DataFrame) -> None:
    train, _ = _split(league)
    before = train.copy(deep=True)
    LGBMModel(n_estimators=20).fit(train)
    pd.testing.assert_frame_equal(train, before)


def test_lgbm_from_the_market_keeps_the_markets_calibration(league: pd.DataFrame) -> None:
    train, test = _split(league)
    plain = LGBMModel(groups=("market",), n_estimators=200).fit(train)
    boosted = LGBMModel(groups=("market",), init_from_market=True, n_estimators=200).fit(train)
    market = 1 / test[list(OPENING_PRICE_COLUMNS)].to_numpy()
    market /= market.sum(axis=1, keepdims=True)
    rps_market = _rps(market, test[c.RESULT])
    predicted = boosted.predict_proba(test)
    assert np.abs(predicted.mean(axis=0) - market.mean(axis=0)).max() < 0.02  # market's calibration kept
    assert _rps(predicted, test[c.RESULT]) <= rps_market + 0.005
    assert _rps(predicted, test[c.RESULT]) <= _rps(plain.predict_proba(test), test[c.RESULT])


def test_market_models_require_opening_prices(league: pd.DataFrame) -> None:
    train, test = _split(league)
    model = LGBMModel(groups=("pi", "market"), init_from_market=True, n_estimators=10).fit(train)
    with pytest.raises(ValueError, match="opening prices"):
        model.predict_proba(test.drop(columns=list(OPENING_PRICE_COLUMNS)))


def test_validation_split_is_by_date_and_keeps_days_together() -> None:
    dates = pd.Series(
        pd.to_datetime(["2024-01-01"] * 3 + ["2024-01-02"] * 2 + [f"2024-02-{d:02d}" for d in range(1, 9)])
    )
    mask = time_validation_mask(dates, 0.25)
    assert mask[-1] and not mask[0]
    first_valid = dates[mask].min()
    assert (dates[~mask] < first_valid).all()


@pytest.mark.slow
def test_keras_mlp_is_deterministic_and_sane(league: pd.DataFrame) -> None:
    from scoreline.models.keras_mlp import KerasMLPModel

    train, test = _split(league)
    first = KerasMLPModel().fit(train).predict_proba(test)
    second = KerasMLPModel().fit(train).predict_proba(test)
    assert np.array_equal(first, second)
    assert np.allclose(first.sum(axis=1), 1, atol=1e-9)
    base = train[c.RESULT].value_counts(normalize=True).reindex(["H", "D", "A"]).to_numpy()
    assert np.abs(first.mean(axis=0) - base).max() < 0.08  # roughly calibrated in the large
    assert _rps(first, test[c.RESULT]) < _rps(np.tile(base, (len(test), 1)), test[c.RESULT])


def test_categorical_indicators_add_information_and_missing_levels_are_the_baseline(
    league: pd.DataFrame,
) -> None:
    # a pre-match label, as a style cluster would be: here the true favourite
    labelled = league.assign(home_cluster=(league["true_p_home"] > league["true_p_away"]).astype("Int64"))
    train, test = _split(labelled)
    plain = RatingModel(rating="pi").fit(train)
    with_label = RatingModel(rating="pi", categorical=("home_cluster",)).fit(train)
    assert with_label.levels_ == {"home_cluster": [0, 1]}
    assert with_label.beta_[1] > 0  # the favourite label pushes towards home wins
    assert plain.beta_.shape == (1,) and with_label.beta_.shape == (2,)
    favourite = with_label.predict_proba(test.assign(home_cluster=pd.array([1] * len(test), dtype="Int64")))
    unknown = test.assign(home_cluster=pd.array([pd.NA] * len(test), dtype="Int64"))
    baseline = test.assign(home_cluster=pd.array([0] * len(test), dtype="Int64"))
    assert np.allclose(with_label.predict_proba(unknown), with_label.predict_proba(baseline))
    assert (favourite[:, 0] > with_label.predict_proba(baseline)[:, 0]).all()


def test_learn_days_limits_the_rows_learned_from_but_not_the_ratings(league: pd.DataFrame) -> None:
    train, test = _split(league)
    recent = RatingModel(rating="pi", learn_days=200).fit(train)
    everything = RatingModel(rating="pi", learn_days=None).fit(train)
    cutoff = train[c.DATE].max() - pd.Timedelta(days=200)
    # Results older than the learning window still move the ratings, hence the recent model's predictions ...
    older = train[c.DATE] < cutoff - pd.Timedelta(days=30)
    flipped = train.copy()
    swapped = train.loc[older, [c.AWAY_GOALS, c.HOME_GOALS]].to_numpy()
    flipped.loc[older, [c.HOME_GOALS, c.AWAY_GOALS]] = swapped
    flipped.loc[older, c.RESULT] = train.loc[older, c.RESULT].map({"H": "A", "D": "D", "A": "H"})
    assert not np.allclose(RatingModel(rating="pi", learn_days=200).fit(flipped).predict_proba(test),
                           recent.predict_proba(test))  # fmt: skip
    # ... while the ordered logit learns from the last 200 days only, so its fit differs from learning on all.
    rows = RatingModel(rating="pi", learn_days=200)._training_table(train)[2]
    assert rows[c.DATE].min() >= cutoff
    assert len(rows) < len(everything._training_table(train)[2])
    assert not np.allclose(recent.beta_, everything.beta_)


def test_feature_tables_are_shared_only_through_a_memo(
    league: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scoreline.features import build_features
    from scoreline.models import feature_model
    from scoreline.models.memo import FitMemo

    train, test = _split(league)
    own = build_features(train.reset_index(drop=True), groups=("pi", "form"))
    shared = LGBMModel(groups=("pi", "form"))._features(train.reset_index(drop=True))  # market built too
    pd.testing.assert_frame_equal(shared, own, check_like=False)
    builds: list[int] = []
    build_all = feature_model._all_features

    def counted(matches: pd.DataFrame, memory: FitMemo | None = None) -> pd.DataFrame:
        builds.append(len(matches))
        return build_all(matches, memory)

    monkeypatch.setattr(feature_model, "_all_features", counted)
    alone = RatingModel(rating="elo").fit(train).predict_proba(test)
    RatingModel(rating="elo").fit(train).predict_proba(test)
    assert len(builds) == 4  # without a memo nothing is shared: a fit table and a prediction table each
    builds.clear()
    memo = FitMemo()
    LGBMModel(groups=("elo", "pi", "form", "market"), n_estimators=20, memory=memo).fit(train).predict_proba(
        test
    )
    after_another = (
        RatingModel(rating="elo", memory=memo).fit(train).predict_proba(test)
    )  # the LightGBM's tables
    assert len(builds) == 2  # one fit table and one prediction table, shared
    assert len(memo) == 3  # those two and the de-vigged price triples they share
    assert np.array_equal(alone, after_another)


def test_market_columns_from_the_fixtures_prices_equal_the_long_odds_path(league: pd.DataFrame) -> None:
    """The feature models de-vig each row's own opening triple (each distinct triple once per memo); that
    must equal ``build_features`` from a long odds frame to the last bit, damaged prices included."""
    from scoreline.features import GROUP_COLUMNS, OpeningOdds, build_features
    from scoreline.models.feature_model import _all_features
    from scoreline.models.memo import FitMemo
    from scoreline.odds import opening_odds_long

    matches = league.reset_index(drop=True).copy()
    matches.loc[3, OPENING_PRICE_COLUMNS[0]] = np.nan  # a missing price
    matches.loc[4, OPENING_PRICE_COLUMNS[1]] = 0.9  # an impossible price
    matches.loc[5, list(OPENING_PRICE_COLUMNS)] = [1.2, 3.0, 4.0]  # an overround above the limit
    odds = OpeningOdds.from_long(opening_odds_long(matches))
    expected = build_features(matches, odds=odds, params={"market": {"bookmakers": ("market",)}})
    market = list(GROUP_COLUMNS["market"])
    memo = FitMemo()
    early = _all_features(matches.iloc[: len(matches) // 2], memo)  # fills the memo with half the triples
    for got in (_all_features(matches), _all_features(matches, memo)):
        assert list(got.columns) == list(expected.columns)
        np.testing.assert_array_equal(got[market].to_numpy(), expected[market].to_numpy())
    np.testing.assert_array_equal(early[market].to_numpy(), expected[market].to_numpy()[: len(early)])
    assert expected.loc[[3, 4, 5], market].isna().all().all()
    assert expected.loc[[0, 1, 2], market].notna().all().all()
