"""Serving a market model (``lgbm_market``): odds from the request, else from the store, else a 422."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from scoreline import columns as c
from scoreline.cli.serve import parse_odds, predict_fixture
from scoreline.models.catalogue import make_model
from scoreline.odds import OPENING_PRICE_COLUMNS
from scoreline.serving import create_app
from scoreline.serving.schemas import FixtureIn
from scoreline.serving.service import Fixture, OpeningOddsError, PredictionService, fixtures_frame
from scoreline.serving.snapshot import StoreFixtureSource
from scoreline.settings import Settings
from scoreline.simulate import football_data_frame, simulate_league
from scoreline.sources.seasons import seasons_of_dates

from .conftest import API_KEY, N_TEAMS, ModelsInMemory, write_to_store

FAR_KICKOFF = "2030-01-05T15:00:00"  # no match in the store: no odds there either


def opening_prices(matches: pd.DataFrame) -> pd.DataFrame:
    """Simulated opening Pinnacle prices of ``matches`` as ``OPENING_PRICE_COLUMNS`` (same index)."""
    wide = football_data_frame(matches, seed=1)
    columns = zip(OPENING_PRICE_COLUMNS, ("PSH", "PSD", "PSA"), strict=True)
    return pd.DataFrame({name: wide[source].to_numpy() for name, source in columns}, index=matches.index)


def long_opening_odds(matches: pd.DataFrame, prices: pd.DataFrame) -> pd.DataFrame:
    """The store's long format of ``prices`` (bookmaker pinnacle, opening) for ``matches``."""
    parts = []
    for name, outcome in zip(OPENING_PRICE_COLUMNS, c.OUTCOMES, strict=True):
        part = matches[list(c.MATCH_KEY)].copy()
        part[c.BOOKMAKER], part[c.MARKET], part[c.LINE] = "pinnacle", c.MARKET_1X2, np.nan
        part[c.TIMING], part[c.OUTCOME], part[c.PRICE] = c.OPENING, outcome, prices[name].to_numpy()
        parts.append(part)
    return pd.concat(parts, ignore_index=True).loc[:, list(c.ODDS_COLUMNS)]


@pytest.fixture(scope="module")
def market_league(league_matches: pd.DataFrame) -> dict[str, Any]:
    """The scheduled league with opening prices; only the first upcoming round has its odds in the store."""
    simulated = simulate_league(n_teams=N_TEAMS, seasons=("2324", "2425"), seed=3).matches  # as conftest's
    assert simulated[c.HOME].tolist() == league_matches[c.HOME].tolist()
    prices = opening_prices(simulated).set_axis(league_matches.index)  # the simulation knows every result
    unplayed = league_matches[league_matches[c.HOME_GOALS].isna()]
    priced = unplayed.index[: N_TEAMS // 2]
    in_store = league_matches[league_matches[c.HOME_GOALS].notna()].index.union(priced)
    # season codes that agree with the shifted kickoffs (the store's odds are looked up by league and season)
    matches = league_matches.join(prices).assign(
        **{c.SEASON: seasons_of_dates(pd.DatetimeIndex(league_matches[c.KICKOFF]))}
    )
    return {"matches": matches, "in_store": in_store, "priced_upcoming": priced}


@pytest.fixture(scope="module")
def market_store(tmp_path_factory: pytest.TempPathFactory, market_league: dict[str, Any]) -> str:
    url = f"duckdb:///{tmp_path_factory.mktemp('market_store') / 'scoreline.duckdb'}"

    def opening_odds(rows: pd.DataFrame) -> pd.DataFrame:
        priced = rows[rows.index.isin(market_league["in_store"])]
        return long_opening_odds(priced, priced[list(OPENING_PRICE_COLUMNS)])

    write_to_store(url, market_league["matches"], opening_odds)
    return url


@pytest.fixture(scope="module")
def market_model(market_league: dict[str, Any]) -> Any:
    matches: pd.DataFrame = market_league["matches"]
    played = matches[matches[c.HOME_GOALS].notna()]
    return make_model("lgbm_market", n_estimators=40, early_stopping_rounds=10).fit(played)


@pytest.fixture
def market_client(
    isolated_home: Path, market_store: str, market_model: Any, fitted_models: dict[str, Any]
) -> TestClient:
    provider = ModelsInMemory(
        {1: ("lgbm_market", market_model), 2: ("dixon_coles", fitted_models["dixon_coles"])}, {"champion": 1}
    )
    settings = Settings(home=isolated_home, db_url=market_store, api_key=SecretStr(API_KEY))
    with TestClient(create_app(settings, provider)) as client:
        yield client


def upcoming_rows(market_league: dict[str, Any], priced: bool) -> pd.DataFrame:
    matches: pd.DataFrame = market_league["matches"]
    unplayed = matches[matches[c.HOME_GOALS].isna()]
    chosen = unplayed.index.isin(market_league["priced_upcoming"])
    return unplayed[chosen if priced else ~chosen]


def fixture_json(row: pd.Series, odds: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "league": row[c.LEAGUE],
        "home": row[c.HOME],
        "away": row[c.AWAY],
        "kickoff": row[c.KICKOFF].isoformat(),
    }
    if odds:
        out["odds"] = dict(zip(("home", "draw", "away"), row[list(OPENING_PRICE_COLUMNS)], strict=True))
    return out


def expected(model: Any, rows: pd.DataFrame) -> np.ndarray:
    fixtures = [
        Fixture(r[c.LEAGUE], r[c.HOME], r[c.AWAY], r[c.KICKOFF].to_pydatetime()) for _, r in rows.iterrows()
    ]
    frame = fixtures_frame(fixtures).assign(**{n: rows[n].to_numpy() for n in OPENING_PRICE_COLUMNS})
    return np.asarray(model.predict_proba(frame))


def probabilities(document: dict[str, Any]) -> np.ndarray:
    return np.array([[p["probabilities"][k] for k in ("home", "draw", "away")] for p in document])


def post_predictions(client: TestClient, rows: pd.DataFrame, with_odds: bool) -> dict[str, Any]:
    """POST ``rows`` as fixtures (with their opening odds or without) and return the 200 answer."""
    response = client.post(
        "/v1/predictions", json={"fixtures": [fixture_json(r, with_odds) for _, r in rows.iterrows()]}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_request_odds_give_the_models_own_probabilities(
    market_client: TestClient, market_league: dict[str, Any], market_model: Any
) -> None:
    rows = upcoming_rows(market_league, priced=False).head(4)
    answer = post_predictions(market_client, rows, with_odds=True)
    predictions = answer["predictions"]
    got = probabilities(predictions)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-9)
    np.testing.assert_allclose(got, expected(market_model, rows), rtol=0, atol=1e-9)
    assert predictions[0]["odds"]["home"] == rows[OPENING_PRICE_COLUMNS[0]].iloc[0]
    assert answer["model"]["needs_opening_prices"] is True


def test_without_odds_the_stores_opening_prices_are_used(
    market_client: TestClient, market_league: dict[str, Any], market_model: Any
) -> None:
    rows = upcoming_rows(market_league, priced=True).head(3)
    predictions = post_predictions(market_client, rows, with_odds=False)["predictions"]
    np.testing.assert_allclose(probabilities(predictions), expected(market_model, rows), rtol=0, atol=1e-9)
    assert [p["odds"]["draw"] for p in predictions] == rows[OPENING_PRICE_COLUMNS[1]].tolist()


def test_without_odds_anywhere_the_request_is_422_naming_the_fixture(
    market_client: TestClient, market_league: dict[str, Any]
) -> None:
    row = upcoming_rows(market_league, priced=True).iloc[0]
    unknown = {**fixture_json(row, False), "kickoff": FAR_KICKOFF}
    response = market_client.post("/v1/predictions", json={"fixtures": [fixture_json(row, True), unknown]})
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "fixtures", 1, "odds"]
    assert error["type"] == "opening_odds_missing"
    assert error["msg"].startswith(f"fixture 1 (E0 {row[c.HOME]} v {row[c.AWAY]}, 2030-01-05)")
    assert "needs the fixture's opening 1X2 odds" in error["msg"]


@pytest.mark.parametrize(
    ("odds", "loc", "message"),
    [
        ({"home": 1.0, "draw": 3.4, "away": 3.6}, ["odds", "home"], "greater than 1"),
        ({"home": 2.0, "draw": 3.4}, ["odds", "away"], "Field required"),
        ({"home": 5.0, "draw": 5.0, "away": 5.0}, ["odds"], "summing to 0.600"),
    ],
)
def test_bad_odds_are_422_naming_the_field(
    market_client: TestClient,
    market_league: dict[str, Any],
    odds: dict[str, float],
    loc: list[str],
    message: str,
) -> None:
    row = upcoming_rows(market_league, priced=True).iloc[0]
    response = market_client.post(
        "/v1/predictions", json={"fixtures": [{**fixture_json(row, False), "odds": odds}]}
    )
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "fixtures", 0, *loc]
    assert message in error["msg"]


def test_upcoming_predicts_fixtures_with_store_odds_and_lists_the_others(
    market_client: TestClient, market_league: dict[str, Any], market_model: Any
) -> None:
    response = market_client.get("/v1/fixtures/upcoming")
    assert response.status_code == 200, response.text
    document = response.json()
    priced = upcoming_rows(market_league, priced=True)
    assert [f["home"] for f in document["fixtures"]] == priced[c.HOME].tolist()
    np.testing.assert_allclose(probabilities(document["fixtures"]), expected(market_model, priced), atol=1e-9)
    unpriced = upcoming_rows(market_league, priced=False)
    assert len(document["skipped"]) == len(unpriced) > 0
    assert {s["home"] for s in document["skipped"]} == set(unpriced[c.HOME])
    assert all("needs the fixture's opening 1X2 odds" in s["reason"] for s in document["skipped"])
    assert market_client.get("/").status_code == 200  # the dashboard shows the priced fixtures


def test_models_without_the_market_ignore_odds(
    market_client: TestClient, market_league: dict[str, Any], fitted_models: dict[str, Any]
) -> None:
    assert (
        market_client.post(
            "/v1/admin/reload", headers={"X-API-Key": API_KEY}, json={"model": "2"}
        ).status_code
        == 200
    )
    rows = upcoming_rows(market_league, priced=False).head(3)
    with_odds = market_client.post(
        "/v1/predictions", json={"fixtures": [fixture_json(r, True) for _, r in rows.iterrows()]}
    )
    without = market_client.post(
        "/v1/predictions", json={"fixtures": [fixture_json(r, False) for _, r in rows.iterrows()]}
    )
    assert with_odds.status_code == without.status_code == 200
    assert (
        probabilities(with_odds.json()["predictions"]).tolist()
        == probabilities(without.json()["predictions"]).tolist()
    )
    assert all(p["odds"] is None for p in with_odds.json()["predictions"])
    upcoming = market_client.get("/v1/fixtures/upcoming").json()
    unplayed = len(upcoming_rows(market_league, True)) + len(upcoming_rows(market_league, False))
    assert upcoming["skipped"] == [] and len(upcoming["fixtures"]) == unplayed


def test_predict_command_code_takes_odds_or_the_stores(
    market_store: str, market_league: dict[str, Any], market_model: Any
) -> None:
    provider = ModelsInMemory({1: ("lgbm_market", market_model)}, {"champion": 1})
    source = StoreFixtureSource(market_store)
    row = upcoming_rows(market_league, priced=False).iloc[0]
    given = FixtureIn.model_validate({**fixture_json(row, False), "odds": parse_odds("2.5, 3.3,2.9")})
    prediction = predict_fixture(provider, source, given, "champion")
    assert (prediction.odds.home, prediction.odds.draw, prediction.odds.away) == (2.5, 3.3, 2.9)
    assert (
        prediction.probabilities.home + prediction.probabilities.draw + prediction.probabilities.away
        == pytest.approx(1.0)
    )
    with pytest.raises(OpeningOddsError, match="needs the fixture's opening 1X2 odds"):
        predict_fixture(provider, source, FixtureIn.model_validate(fixture_json(row, False)), "champion")
    priced = upcoming_rows(market_league, priced=True).iloc[0]
    from_store = predict_fixture(
        provider, source, FixtureIn.model_validate(fixture_json(priced, False)), "champion"
    )
    assert from_store.odds is not None and from_store.odds.away == priced[OPENING_PRICE_COLUMNS[2]]


def test_service_refuses_a_market_fixture_without_odds(market_model: Any) -> None:
    from scoreline.serving.service import ModelHandle

    service = PredictionService(ModelHandle(market_model, "lgbm_market", "1"))
    fixture = Fixture("E0", "A", "B", datetime(2030, 1, 5, 15))
    with pytest.raises(OpeningOddsError) as raised:
        service.predict([fixture])
    assert [(p.row, p.outcome) for p in raised.value.problems] == [(0, None)]
