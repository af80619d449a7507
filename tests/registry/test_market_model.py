"""A market model (``lgbm_market``) trained, logged, registered and loaded back through its pyfunc."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scoreline import columns as c
from scoreline.models.base import needs_opening_prices
from scoreline.models.catalogue import MARKET_SUFFIX, model_names
from scoreline.models.catalogue import make_model as make_catalogue_model
from scoreline.odds import OPENING_PRICE_COLUMNS
from scoreline.pipelines.train import TrainResult, train_model
from scoreline.registry import registry
from scoreline.registry.promotion import promote
from scoreline.registry.pyfunc import FIXTURE_COLUMNS, INPUT_COLUMNS, fixtures_frame
from scoreline.registry.tracking import Tracking
from scoreline.simulate import SimulatedLeague, football_data_frame
from tests.registry.conftest import make_model

UNTIL = "2024-02-01"  # fixtures are the matches after it (in training, a match would use its own odds)
PARAMS = {"n_estimators": 40, "early_stopping_rounds": 10}


def with_opening_prices(matches: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``matches`` with simulated opening Pinnacle prices as ``OPENING_PRICE_COLUMNS``."""
    wide = football_data_frame(matches, seed=1)
    prices = {
        name: wide[f"PS{side}"].to_numpy() for name, side in zip(OPENING_PRICE_COLUMNS, "HDA", strict=True)
    }
    return matches.assign(**prices)


@pytest.fixture(scope="module")
def market(tracking: Tracking, simulated_league: SimulatedLeague) -> dict[str, object]:
    matches = with_opening_prices(simulated_league.matches)
    result = train_model("lgbm_market", matches, UNTIL, params=PARAMS, cadence="season", tracking=tracking)
    version = registry.register(result.run_id, "challenger", tracking)
    return {"result": result, "version": version, "matches": matches}


def fixtures(matches: pd.DataFrame, rows: int = 30) -> pd.DataFrame:
    """``rows`` matches after the training cutoff as pyfunc input (fixture columns and opening prices)."""
    later = matches[matches[c.DATE] >= pd.Timestamp(UNTIL)]
    return later.head(rows)[list(INPUT_COLUMNS)].reset_index(drop=True)


def test_loaded_market_model_predicts_like_the_fitted_one_from_the_given_odds(
    market: dict[str, object], tracking: Tracking
) -> None:
    result: TrainResult = market["result"]  # type: ignore[assignment]
    loaded = registry.load_model("challenger", tracking)
    x = fixtures(market["matches"])  # type: ignore[arg-type]
    out = loaded.pyfunc.predict(x)
    in_memory = result.estimator.predict_proba(fixtures_frame(x).assign(**x[list(OPENING_PRICE_COLUMNS)]))
    np.testing.assert_allclose(out[list(c.PROBABILITY_COLUMNS)].to_numpy(), in_memory, rtol=0, atol=1e-9)
    assert np.allclose(out.sum(axis=1), 1.0)
    # the odds matter: other prices give other probabilities (the model is boosted from the market)
    flipped = x.assign(opening_price_home=x["opening_price_away"], opening_price_away=x["opening_price_home"])
    moved = loaded.pyfunc.predict(flipped)[list(c.PROBABILITY_COLUMNS)].to_numpy()
    assert np.abs(moved - in_memory).max() > 0.05


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda x: x.drop(columns=list(OPENING_PRICE_COLUMNS)), r"missing columns \['opening_price_home'"),
        (
            lambda x: x.assign(
                opening_price_draw=[*x["opening_price_draw"][:3], np.nan, *x["opening_price_draw"][4:]]
            ),
            r"fixture row 3 \(.+ v .+\): opening_price_draw is missing",
        ),
        (
            lambda x: x.assign(opening_price_home=[1.0, *x["opening_price_home"][1:]]),
            r"fixture row 0 \(.+\): opening_price_home is 1; decimal odds must be above 1",
        ),
        (
            lambda x: x.assign(opening_price_home=5.0, opening_price_draw=5.0, opening_price_away=5.0),
            r"fixture row 0 .*opening prices imply probabilities summing to 0.600",
        ),
    ],
)
def test_missing_or_invalid_odds_raise_an_error_naming_row_and_field(
    market: dict[str, object], tracking: Tracking, change: object, message: str
) -> None:
    loaded = registry.load_model("challenger", tracking)
    x = fixtures(market["matches"], rows=6)  # type: ignore[arg-type]
    with pytest.raises(Exception, match=message):
        loaded.pyfunc.predict(change(x))  # type: ignore[operator]


def test_signature_has_optional_prices_and_a_valid_example(
    market: dict[str, object], tracking: Tracking
) -> None:
    loaded = registry.load_model("challenger", tracking)
    specs = loaded.pyfunc.metadata.get_input_schema().inputs
    assert [spec.name for spec in specs] == list(INPUT_COLUMNS)
    assert [spec.required for spec in specs] == [True] * len(FIXTURE_COLUMNS) + [False] * 3
    example = loaded.pyfunc.input_example
    assert list(example.columns) == list(INPUT_COLUMNS)
    assert np.allclose(loaded.pyfunc.predict(example).sum(axis=1), 1.0)


def test_model_card_says_the_model_needs_opening_prices(
    market: dict[str, object], tracking: Tracking
) -> None:
    from mlflow import MlflowClient

    mlflow_client = MlflowClient(tracking_uri=tracking.uri, registry_uri=tracking.uri)
    run_id = market["result"].run_id  # type: ignore[attr-defined]
    path = mlflow_client.download_artifacts(run_id, f"model_card/v{market['version']}.json")
    card = json.loads(Path(path).read_text())
    assert card["model"] == "lgbm_market"
    assert card["features"]["needs_opening_prices"] is True
    assert "opening_price_home" in card["features"]["inputs"]
    assert card["limitations"][0].startswith("Needs each fixture's opening 1X2 odds")
    description = mlflow_client.get_model_version(registry.MODEL_NAME, str(market["version"])).description
    assert "opening 1X2 odds" in description


def test_market_model_is_promoted_through_the_gate_refitted_with_its_odds(
    market: dict[str, object], tracking: Tracking
) -> None:
    """Base rates as champion; the gate refits both walk-forward, the market model from its opening prices."""
    matches: pd.DataFrame = market["matches"]  # type: ignore[assignment]
    champion = train_model(
        "base_rates", matches, UNTIL, cadence="season", factory=make_model, tracking=tracking
    )
    registry.register(champion.run_id, "champion", tracking)
    decision = promote(tracking, matches=matches, n_boot=200, min_matches=50)
    assert decision.n > 100
    assert decision.promote, decision.reason
    assert decision.rps_challenger < decision.rps_champion
    loaded = registry.load_model("champion", tracking)
    assert loaded.version == market["version"]
    assert np.allclose(loaded.pyfunc.predict(fixtures(matches, rows=3)).sum(axis=1), 1.0)


@pytest.mark.parametrize("name", [n for n in model_names() if n != "keras_mlp"])
def test_catalogue_models_say_whether_they_need_opening_odds(name: str) -> None:
    assert needs_opening_prices(make_catalogue_model(name)) == name.endswith(MARKET_SUFFIX)
