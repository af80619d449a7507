"""The prediction API against goal models fitted in the test and a DuckDB store holding scheduled fixtures."""

from __future__ import annotations

import gc
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from scoreline import columns as c
from scoreline.serving import create_app
from scoreline.serving.app import GC_YOUNG_THRESHOLD
from scoreline.serving.observability import JsonFormatter
from scoreline.serving.service import Fixture, fixtures_frame
from scoreline.serving.snapshot import FrameFixtureSource, StoreUnavailableError
from scoreline.settings import Settings, get_settings

from .conftest import API_KEY, ModelsInMemory

KICKOFF = "2030-01-05T15:00:00"


def body(*fixtures: tuple[str, str, str], kickoff: str = KICKOFF) -> dict[str, Any]:
    return {"fixtures": [{"league": lg, "home": h, "away": a, "kickoff": kickoff} for lg, h, a in fixtures]}


def model_grid(model: Any, fixtures: list[tuple[str, str, str]], kickoff: str = KICKOFF) -> Any:
    frame = fixtures_frame([Fixture(lg, h, a, datetime.fromisoformat(kickoff)) for lg, h, a in fixtures])
    return model.predict_grid(frame)


def upcoming_in_store(matches: pd.DataFrame) -> pd.DataFrame:
    unplayed = matches[matches[c.HOME_GOALS].isna() & (matches[c.KICKOFF] > pd.Timestamp(datetime.now()))]
    return unplayed.sort_values([c.KICKOFF, c.LEAGUE, c.HOME], kind="stable")


# --- health, leagues, teams -----------------------------------------------------------------------


def test_health_and_ready_report_the_loaded_champion(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["model"]["version"] == "2"
    assert ready.json()["model"]["name"] == "dixon_coles"
    assert ready.json()["model"]["alias"] == "champion"


def test_leagues_and_teams_come_from_the_latest_season_in_the_store(
    client: TestClient, league_matches: pd.DataFrame
) -> None:
    season = league_matches[league_matches[c.SEASON] == "2425"]
    leagues = client.get("/v1/leagues").json()["leagues"]
    assert leagues == [
        {"league": "E0", "season": "2425", "teams": 20, "upcoming": len(upcoming_in_store(league_matches))}
    ]
    teams = client.get("/v1/leagues/E0/teams").json()
    assert teams["teams"] == sorted(set(season[c.HOME]))
    assert client.get("/v1/leagues/e0/teams").json()["league"] == "E0"


def test_unknown_league_is_404_with_the_closest_names(client: TestClient) -> None:
    response = client.get("/v1/leagues/EO/teams")
    assert response.status_code == 404
    problem = response.json()["problems"][0]
    assert problem["suggestions"] == ["E0"]
    assert problem["loc"] == ["path", "league"]


# --- predictions ----------------------------------------------------------------------------------


def test_predictions_are_the_models_own_markets(client: TestClient, fitted_models: dict[str, Any]) -> None:
    fixtures = [("E0", "Arsenal", "Chelsea"), ("E0", "Wolves", "Liverpool")]
    response = client.post("/v1/predictions", json=body(*fixtures))
    assert response.status_code == 200, response.text
    answers = response.json()["predictions"]
    grid = model_grid(fitted_models["dixon_coles"], fixtures)
    probs = grid.outcome_probabilities()
    likely = grid.most_likely_scores(5)
    for i, answer in enumerate(answers):
        p = answer["probabilities"]
        assert [p["home"], p["draw"], p["away"]] == pytest.approx(probs[i].tolist(), abs=1e-12)
        assert p["home"] + p["draw"] + p["away"] == pytest.approx(1.0)
        assert [answer["expected_goals"]["home"], answer["expected_goals"]["away"]] == pytest.approx(
            grid.expected_goals[i].tolist()
        )
        scores = answer["most_likely_scores"]
        assert [(s["home"], s["away"]) for s in scores] == list(
            zip(likely.home_goals[i].tolist(), likely.away_goals[i].tolist(), strict=True)
        )
        assert [s["probability"] for s in scores] == sorted((s["probability"] for s in scores), reverse=True)
        assert answer["over_under"]["over"] == pytest.approx(grid.totals(2.5).over[i])
        assert answer["over_under"]["over"] + answer["over_under"]["under"] == pytest.approx(1.0)
        assert answer["both_teams_to_score"] == pytest.approx(grid.both_teams_to_score()[i])
        assert answer["model"] == {"name": "dixon_coles", "version": "2"}
    assert (answers[0]["home"], answers[1]["away"]) == ("Arsenal", "Liverpool")
    # the stronger side per the fitted strengths is favoured
    model = fitted_models["dixon_coles"]
    stronger_home = (
        model.attack_["Arsenal"] - model.defence_["Arsenal"]
        > model.attack_["Chelsea"] - model.defence_["Chelsea"]
    )
    assert (answers[0]["probabilities"]["home"] > answers[0]["probabilities"]["away"]) == stronger_home


def test_team_names_are_matched_case_insensitively(client: TestClient) -> None:
    response = client.post("/v1/predictions", json=body(("e0", "arsenal", "CHELSEA")))
    assert response.status_code == 200
    answer = response.json()["predictions"][0]
    assert (answer["league"], answer["home"], answer["away"]) == ("E0", "Arsenal", "Chelsea")


def test_aware_kickoffs_are_converted_to_utc(client: TestClient) -> None:
    response = client.post(
        "/v1/predictions", json=body(("E0", "Arsenal", "Chelsea"), kickoff="2030-01-05T15:00:00+02:00")
    )
    assert response.json()["predictions"][0]["kickoff"] == "2030-01-05T13:00:00"


def test_unknown_teams_are_404_with_every_problem_and_suggestions(client: TestClient) -> None:
    response = client.post(
        "/v1/predictions",
        json=body(("E0", "Arsenal", "Chelsea"), ("E0", "Arsenl", "Man Utd"), ("E1", "Leeds", "Hull")),
    )
    assert response.status_code == 404
    problems = {tuple(p["loc"]): p for p in response.json()["problems"]}
    assert set(problems) == {
        ("body", "fixtures", 1, "home"),
        ("body", "fixtures", 1, "away"),
        ("body", "fixtures", 2, "league"),
    }
    assert problems[("body", "fixtures", 1, "home")]["suggestions"][0] == "Arsenal"
    assert "Man United" in problems[("body", "fixtures", 1, "away")]["suggestions"]
    assert problems[("body", "fixtures", 2, "league")]["suggestions"] == ["E0"]
    assert "Arsenl" in response.json()["detail"]


@pytest.mark.parametrize(
    ("payload", "loc"),
    [
        ({"fixtures": []}, ["body", "fixtures"]),
        (
            {"fixtures": [{"league": "E0", "home": "Arsenal", "away": "Chelsea", "kickoff": "soon"}]},
            ["body", "fixtures", 0, "kickoff"],
        ),
        (
            {
                "fixtures": [
                    {"league": "E0", "home": "Arsenal", "away": "Chelsea", "kickoff": "9999-01-01T00:00:00"}
                ]
            },
            ["body", "fixtures", 0, "kickoff"],
        ),
        (
            {"fixtures": [{"league": "E0", "home": "Arsenal", "kickoff": KICKOFF}]},
            ["body", "fixtures", 0, "away"],
        ),
        (
            {"fixtures": [{"league": "E 0", "home": "Arsenal", "away": "Chelsea", "kickoff": KICKOFF}]},
            ["body", "fixtures", 0, "league"],
        ),
        (
            {
                "fixtures": [
                    {"league": "E0", "home": "Arsenal", "away": "Chelsea", "kickoff": KICKOFF, "x": 1}
                ]
            },
            ["body", "fixtures", 0, "x"],
        ),
        (
            {"fixtures": [{"league": "E0", "home": "Arsenal", "away": "arsenal", "kickoff": KICKOFF}]},
            ["body", "fixtures", 0],
        ),
        ({"fixtures": "E0"}, ["body", "fixtures"]),
    ],
)
def test_malformed_input_is_422_naming_the_field(client: TestClient, payload: Any, loc: list[Any]) -> None:
    response = client.post("/v1/predictions", json=payload)
    assert response.status_code == 422
    assert loc in [error["loc"] for error in response.json()["detail"]]


def test_batches_hold_at_most_500_fixtures(client: TestClient, league_matches: pd.DataFrame) -> None:
    pairs = league_matches[[c.HOME, c.AWAY]].drop_duplicates().head(380).to_numpy().tolist()
    fixtures = [("E0", h, a) for h, a in pairs]
    fixtures = (fixtures * 2)[:500]
    response = client.post("/v1/predictions", json=body(*fixtures))
    assert response.status_code == 200
    assert len(response.json()["predictions"]) == 500
    assert client.post("/v1/predictions", json=body(*fixtures, fixtures[0])).status_code == 422


def test_a_model_without_score_grid_answers_1x2_only(
    settings: Settings, fitted_models: dict[str, Any]
) -> None:
    class OutcomeOnly:
        def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
            return fitted_models["poisson"].predict_proba(X)

    provider = ModelsInMemory({7: ("outcome_only", OutcomeOnly())}, {"champion": 7})
    with TestClient(create_app(settings, provider)) as client:
        answer = client.post("/v1/predictions", json=body(("E0", "Arsenal", "Chelsea"))).json()[
            "predictions"
        ][0]
    assert answer["expected_goals"] is None and answer["over_under"] is None
    assert answer["most_likely_scores"] == []
    assert sum(answer["probabilities"].values()) == pytest.approx(1.0)


# --- upcoming fixtures ------------------------------------------------------------------------------


def test_upcoming_fixtures_are_the_stores_scheduled_fixtures_with_predictions(
    client: TestClient, league_matches: pd.DataFrame, fitted_models: dict[str, Any]
) -> None:
    expected = upcoming_in_store(league_matches)
    response = client.get("/v1/fixtures/upcoming", params={"league": "E0"})
    assert response.status_code == 200
    fixtures = response.json()["fixtures"]
    assert [(f["home"], f["away"]) for f in fixtures] == list(
        zip(expected[c.HOME], expected[c.AWAY], strict=True)
    )
    frame = expected.assign(**{c.LEAGUE: "E0"})
    probs = fitted_models["dixon_coles"].predict_proba(frame)
    got = np.array([[f["probabilities"][k] for k in c.OUTCOMES] for f in fixtures])
    np.testing.assert_allclose(got, probs, atol=1e-12)
    assert len(client.get("/v1/fixtures/upcoming", params={"limit": 4}).json()["fixtures"]) == 4
    assert client.get("/v1/fixtures/upcoming", params={"league": "SP1"}).status_code == 404


def test_store_outage_is_503_not_500(settings: Settings, provider: ModelsInMemory) -> None:
    class Broken:
        def snapshot(self) -> Any:
            raise StoreUnavailableError("cannot read the store: locked")

        def peek(self) -> None:
            return None

    with TestClient(create_app(settings, provider, fixtures=Broken())) as client:
        assert client.get("/v1/leagues").status_code == 503
        assert client.post("/v1/predictions", json=body(("E0", "Arsenal", "Chelsea"))).status_code == 503
        assert client.get("/health").status_code == 200
        assert "cannot read the store" in client.get("/").text


# --- models, loading, admin -------------------------------------------------------------------------


def test_models_lists_versions_aliases_metrics_and_the_served_one(client: TestClient) -> None:
    document = client.get("/v1/models").json()
    assert [v["version"] for v in document["versions"]] == [2, 1]
    assert document["versions"][0]["aliases"] == ["champion"]
    assert document["versions"][1]["aliases"] == ["challenger"]
    assert document["versions"][0]["metrics"] == {"rps": pytest.approx(0.202)}
    assert document["serving"]["version"] == "2"


def test_without_a_model_the_app_starts_but_is_not_ready(
    settings: Settings, fitted_models: dict[str, Any]
) -> None:
    provider = ModelsInMemory({1: ("poisson", fitted_models["poisson"])}, {})
    with TestClient(create_app(settings, provider)) as client:
        assert client.get("/health").status_code == 200
        ready = client.get("/ready")
        assert ready.status_code == 503
        assert "champion" in ready.json()["detail"]
        response = client.post("/v1/predictions", json=body(("E0", "Arsenal", "Chelsea")))
        assert response.status_code == 503
        assert "no model loaded" in response.json()["detail"]
        assert "No model loaded" in client.get("/").text
        provider.aliases["champion"] = 1
        reload = client.post("/v1/admin/reload", headers={"X-API-Key": API_KEY})
        assert reload.status_code == 200
        assert reload.json()["previous"] is None
        assert client.get("/ready").status_code == 200


def test_a_named_version_can_be_served(settings: Settings, provider: ModelsInMemory) -> None:
    with TestClient(create_app(settings, provider, model="1")) as client:
        answer = client.post("/v1/predictions", json=body(("E0", "Arsenal", "Chelsea"))).json()
    assert answer["model"]["name"] == "poisson"
    assert answer["predictions"][0]["model"] == {"name": "poisson", "version": "1"}


def test_a_server_process_tunes_garbage_collection_only_when_asked(
    settings: Settings, provider: ModelsInMemory
) -> None:
    threshold = gc.get_threshold()
    with TestClient(create_app(settings, provider)):
        assert gc.get_threshold() == threshold and gc.get_freeze_count() == 0
    try:
        with TestClient(create_app(settings, provider, tune_gc=True)) as client:
            assert gc.get_threshold()[0] == GC_YOUNG_THRESHOLD
            assert gc.get_freeze_count() > 10_000  # the modules and the model loaded at start-up
            answer = client.post("/v1/predictions", json=body(("E0", "Arsenal", "Chelsea")))
            assert answer.status_code == 200
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"X-API-Key": "wrong"}, 403),
        ({"X-API-Key": API_KEY + "x"}, 403),
        ({"X-API-Key": "é".encode("latin-1")}, 403),
    ],
)
def test_admin_needs_the_right_key(
    client: TestClient, provider: ModelsInMemory, headers: dict, status: int
) -> None:
    for path in ("/v1/admin/reload", "/v1/admin/promote"):
        response = client.post(path, headers=headers)
        assert response.status_code == status
    assert provider.loads == ["champion"]  # nothing reloaded
    assert provider.aliases == {"champion": 2, "challenger": 1}  # nothing promoted


def test_admin_is_disabled_without_a_configured_key(
    settings: Settings, provider: ModelsInMemory, monkeypatch: pytest.MonkeyPatch
) -> None:
    without_key = settings.model_copy(update={"api_key": None})
    with TestClient(create_app(without_key, provider)) as client:
        for headers in ({}, {"X-API-Key": ""}, {"X-API-Key": API_KEY}):
            response = client.post("/v1/admin/reload", headers=headers)
            assert response.status_code == 403
            assert "disabled" in response.json()["detail"]


def test_reload_swaps_the_model_and_a_failed_reload_keeps_the_old_one(
    client: TestClient, provider: ModelsInMemory
) -> None:
    key = {"X-API-Key": API_KEY}
    swap = client.post("/v1/admin/reload", headers=key, json={"model": "1"})
    assert swap.status_code == 200
    assert (swap.json()["previous"]["version"], swap.json()["current"]["version"]) == ("2", "1")
    answer = client.post("/v1/predictions", json=body(("E0", "Arsenal", "Chelsea"))).json()
    assert answer["predictions"][0]["model"]["version"] == "1"
    provider.fail_next_load = True
    failed = client.post("/v1/admin/reload", headers=key)
    assert failed.status_code == 404
    assert client.get("/ready").json()["model"]["version"] == "1"
    assert client.post("/v1/admin/reload", headers=key, json={"model": "9"}).status_code == 404
    assert client.post("/v1/admin/reload", headers=key, json={"model": "latest"}).status_code == 422


def test_promote_moves_the_champion_and_serves_it(client: TestClient, provider: ModelsInMemory) -> None:
    key = {"X-API-Key": API_KEY}
    dry = client.post("/v1/admin/promote", headers=key, json={"dry_run": True}).json()
    assert dry["promoted"] is True and dry["serving"]["version"] == "2"
    assert provider.aliases["champion"] == 2
    response = client.post("/v1/admin/promote", headers=key)
    assert response.status_code == 200
    assert response.json()["serving"]["version"] == "1"
    assert provider.aliases == {"champion": 1}
    assert client.post("/v1/admin/promote", headers=key).status_code == 404  # no challenger left


def test_reload_does_not_drop_requests_in_flight(client: TestClient, provider: ModelsInMemory) -> None:
    load = provider.load

    def slow_load(ref: str) -> Any:
        time.sleep(0.3)
        return load(ref)

    provider.load = slow_load  # type: ignore[method-assign]
    stop = threading.Event()

    def hammer() -> list[tuple[int, str]]:
        seen = []
        while not stop.is_set():
            r = client.post("/v1/predictions", json=body(("E0", "Arsenal", "Chelsea")))
            seen.append((r.status_code, r.json()["predictions"][0]["model"]["version"]))
        return seen

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(hammer) for _ in range(4)]
        time.sleep(0.1)
        swap = client.post("/v1/admin/reload", headers={"X-API-Key": API_KEY}, json={"model": "1"})
        # keep hammering until a request after the swap was answered (however loaded the machine is)
        after_swap = client.post("/v1/predictions", json=body(("E0", "Arsenal", "Chelsea")))
        stop.set()
        seen = [item for f in futures for item in f.result()]
    assert after_swap.json()["predictions"][0]["model"]["version"] == "1"
    assert swap.status_code == 200
    assert {status for status, _ in seen} == {200}
    assert {version for _, version in seen} <= {"1", "2"}
    assert "2" in {version for _, version in seen}  # served the old model during the (slow) load


# --- settings, observability ---------------------------------------------------------------------------


def test_settings_given_to_create_app_override_the_dependency(
    settings: Settings, provider: ModelsInMemory
) -> None:
    app = create_app(settings, provider)
    assert app.dependency_overrides[get_settings]() is settings
    assert create_app(provider=provider).dependency_overrides == {}  # the fast path: no override at all
    other = create_app(
        Settings(home=settings.home, db_url=settings.db_url, api_key=SecretStr("other")), provider
    )
    with TestClient(app) as first, TestClient(other) as second:
        assert first.post("/v1/admin/reload", headers={"X-API-Key": API_KEY}).status_code == 200
        assert second.post("/v1/admin/reload", headers={"X-API-Key": API_KEY}).status_code == 403


def test_request_ids_are_echoed_or_made(client: TestClient) -> None:
    assert client.get("/health", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    made = client.get("/health", headers={"X-Request-ID": "bad id\twith spaces"}).headers["X-Request-ID"]
    assert len(made) == 32 and made != "bad id\twith spaces"
    error = client.get("/v1/leagues/XX/teams", headers={"X-Request-ID": "req-7"})
    assert error.json()["request_id"] == "req-7"


def test_access_log_is_json_with_request_id_model_version_and_latency(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="scoreline.serving.access"):
        client.post(
            "/v1/predictions", json=body(("E0", "Arsenal", "Chelsea")), headers={"X-Request-ID": "log-1"}
        )
    (record,) = [r for r in caplog.records if r.name == "scoreline.serving.access"]
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "log-1"
    assert line["model_version"] == "2"
    assert line["status"] == 200 and line["route"] == "/v1/predictions" and line["method"] == "POST"
    assert line["latency_ms"] > 0


def test_metrics_count_requests_and_predictions_per_model_version(client: TestClient) -> None:
    client.post("/v1/predictions", json=body(("E0", "Arsenal", "Chelsea"), ("E0", "Wolves", "Fulham")))
    client.post("/v1/predictions", json=body(("E0", "Arsenal", "Chelsea")))
    client.get("/v1/leagues/E0/teams")
    client.get("/v1/leagues/nope/teams")
    text = client.get("/metrics").text
    assert 'scoreline_predictions_total{model="dixon_coles",version="2"} 3.0' in text
    assert 'scoreline_http_requests_total{method="POST",route="/v1/predictions",status="200"} 2.0' in text
    assert (
        'scoreline_http_requests_total{method="GET",route="/v1/leagues/{league}/teams",status="404"} 1.0'
        in text
    )
    assert 'scoreline_http_request_duration_seconds_count{method="POST",route="/v1/predictions"} 2.0' in text
    assert 'scoreline_model_loaded{model="dixon_coles",version="2"} 1.0' in text


def test_two_apps_in_one_process_keep_separate_metrics(settings: Settings, provider: ModelsInMemory) -> None:
    with (
        TestClient(create_app(settings, provider)) as first,
        TestClient(create_app(settings, provider)) as second,
    ):
        first.get("/health")
        first.get("/health")
        second.get("/health")
        assert 'route="/health",status="200"} 2.0' in first.get("/metrics").text
        assert 'route="/health",status="200"} 1.0' in second.get("/metrics").text


def test_an_unexpected_error_is_a_json_500_with_the_request_id(
    settings: Settings, provider: ModelsInMemory, league_matches: pd.DataFrame
) -> None:
    class Exploding:
        def predict_grid(self, X: pd.DataFrame) -> Any:
            raise RuntimeError("boom")

    broken = ModelsInMemory({3: ("exploding", Exploding())}, {"champion": 3})
    app = create_app(settings, broken, fixtures=FrameFixtureSource(league_matches))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post(
            "/v1/predictions", json=body(("E0", "Arsenal", "Chelsea")), headers={"X-Request-ID": "r-500"}
        )
    assert response.status_code == 500
    assert response.json() == {"detail": "internal server error", "problems": [], "request_id": "r-500"}
    assert response.headers["X-Request-ID"] == "r-500"
