"""Predictions for fixtures given by the client, and for the scheduled fixtures in the store."""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from scoreline import columns as c
from scoreline.serving.api.deps import PredictionContextDep
from scoreline.serving.errors import ApiError, responses
from scoreline.serving.opening_odds import OddsUnavailableError, with_opening_prices
from scoreline.serving.schemas import (
    LEAGUE_PATTERN,
    ModelOut,
    NameProblem,
    PredictionRequest,
    PredictionResponse,
    UpcomingResponse,
    prediction_documents,
)
from scoreline.serving.service import Fixture, OpeningOddsError, Prediction, PredictionService
from scoreline.serving.snapshot import UnknownNameError, UnknownNamesError
from scoreline.serving.state import ServingState

router = APIRouter(prefix="/v1", tags=["predictions"])


def json_response(document: Mapping[str, Any]) -> Response:
    """``document`` as JSON, encoded by orjson (50 answers in a tenth of the standard library's time)."""
    return Response(orjson.dumps(document), media_type="application/json")


# requests over this many fixtures go to a worker thread, so the event loop keeps answering: team models
# predict 100 fixtures in about 3 ms, the other models take longer
INLINE_FIXTURES_TEAM_MODEL = 100
INLINE_FIXTURES = 20
MAX_PROBLEMS = 20  # unknown names reported (with suggestions) per request; bounds the work a bad batch costs
MAX_UPCOMING = 1000


_model_documents: weakref.WeakKeyDictionary[PredictionService, dict[str, Any]] = weakref.WeakKeyDictionary()


def model_document(service: PredictionService) -> dict[str, Any]:
    """The served model's ``ModelOut`` as JSON, built once per loaded model (a service's model never changes;
    the entry goes when a reload drops the service)."""
    document = _model_documents.get(service)
    if document is None:
        document = _model_documents[service] = ModelOut.of(service.handle).model_dump(mode="json")
    return document


def _problem(index: int, field: str, error: UnknownNameError) -> NameProblem:
    return NameProblem(
        loc=["body", "fixtures", index, field],
        kind=error.kind,
        name=error.name,
        suggestions=error.suggestions,
    )


async def _with_store_odds(
    state: ServingState, service: PredictionService, fixtures: Sequence[Fixture]
) -> list[Fixture]:
    """For a market model, the fixtures with the store's opening prices where the request gave none."""
    if not service.needs_opening_prices or all(f.odds is not None for f in fixtures):
        return list(fixtures)
    try:
        return await run_in_threadpool(with_opening_prices, fixtures, state.opening_prices)
    except OddsUnavailableError as error:
        raise ApiError(503, str(error)) from error


def _odds_errors(error: OpeningOddsError) -> RequestValidationError:
    """A market model's refusal as a 422 naming each fixture (FastAPI's validation error body)."""
    return RequestValidationError(
        [
            {
                "loc": ("body", "fixtures", p.row, "odds", *((p.outcome,) if p.outcome else ())),
                "msg": message,
                "type": "opening_odds_missing" if error.missing(p) else "opening_odds_invalid",
            }
            for p, message in zip(error.problems, error.messages, strict=True)
        ]
    )


async def _predict(
    state: ServingState, service: PredictionService, fixtures: Sequence[Fixture]
) -> list[Prediction]:
    try:
        service.check_odds(fixtures)
    except OpeningOddsError as error:
        raise _odds_errors(error) from None
    if len(fixtures) > (INLINE_FIXTURES_TEAM_MODEL if service.predicts_teams else INLINE_FIXTURES):
        predictions = await run_in_threadpool(service.predict, fixtures)
    else:
        predictions = service.predict(fixtures)
    state.metrics.predictions.labels(model=service.handle.name, version=service.handle.version).inc(
        len(fixtures)
    )
    return predictions


@router.post(
    "/predictions",
    response_model=PredictionResponse,
    summary="Predict 1 to 500 fixtures.",
    responses=responses(400, 404, 413, 503),
)
async def predict(body: PredictionRequest, context: PredictionContextDep) -> Response:
    state, service, snapshot = context.state, context.service, context.snapshot
    fixtures: list[Fixture] = []
    problems: list[NameProblem] = []
    for index, item in enumerate(body.fixtures):
        if len(problems) >= MAX_PROBLEMS:
            break
        try:
            league, home, away = snapshot.directory.resolve(item.league, item.home, item.away)
        except UnknownNamesError as error:
            problems.extend(_problem(index, field, e) for field, e in error.problems)
            continue
        odds = None if item.odds is None else (item.odds.home, item.odds.draw, item.odds.away)
        fixtures.append(Fixture(league, home, away, item.kickoff, odds))
    if problems:
        names = ", ".join(f"{p.kind} {p.name!r}" for p in problems[:5])
        more = f" and more (at most {MAX_PROBLEMS} are listed)" if len(problems) > 5 else ""
        raise ApiError(404, f"unknown {names}{more}", problems)
    fixtures = await _with_store_odds(state, service, fixtures)
    predictions = await _predict(state, service, fixtures)
    document = {
        "predictions": prediction_documents(predictions),
        "model": model_document(service),
    }
    return json_response(document)


@router.get(
    "/fixtures/upcoming",
    response_model=UpcomingResponse,
    summary="Scheduled fixtures in the store (no result, kickoff ahead) with their predictions.",
    responses=responses(404, 503),
)
async def upcoming(
    context: PredictionContextDep,
    league: str | None = Query(default=None, pattern=LEAGUE_PATTERN, description="Only this league."),
    limit: int = Query(default=200, ge=1, le=MAX_UPCOMING, description="At most this many, soonest first."),
) -> Response:
    state, service, snapshot = context.state, context.service, context.snapshot
    now = datetime.now()
    code = None
    if league is not None:
        try:
            code = snapshot.directory.league(league).code
        except UnknownNameError as error:
            problem = NameProblem(
                loc=["query", "league"], kind="league", name=league, suggestions=error.suggestions
            )
            raise ApiError(404, str(error), [problem]) from None
    rows = snapshot.upcoming(now, code).head(limit)
    fixtures = [
        Fixture(str(r[c.LEAGUE]), str(r[c.HOME]), str(r[c.AWAY]), r[c.KICKOFF].to_pydatetime())
        for r in rows.to_dict("records")
    ]
    fixtures = await _with_store_odds(state, service, fixtures)
    fixtures, skipped = split_unpriced(service, fixtures)
    predictions = await _predict(state, service, fixtures) if fixtures else []
    document = {
        "fixtures": prediction_documents(predictions),
        "skipped": skipped,
        "model": model_document(service),
        "as_of": datetime.now(UTC).isoformat(),
    }
    return json_response(document)


def split_unpriced(
    service: PredictionService, fixtures: Sequence[Fixture]
) -> tuple[list[Fixture], list[dict[str, str]]]:
    """The fixtures the served model can predict, and the others (market model, no usable odds) as
    :class:`~scoreline.serving.schemas.SkippedFixture` documents."""
    try:
        service.check_odds(fixtures)
    except OpeningOddsError as error:
        bad = {p.row: reason for p, reason in zip(error.problems, error.reasons, strict=True)}
        skipped = [
            {
                "league": f.league,
                "home": f.home,
                "away": f.away,
                "kickoff": f.kickoff.isoformat(timespec="seconds"),
                "reason": bad[i],
            }
            for i, f in enumerate(fixtures)
            if i in bad
        ]
        return [f for i, f in enumerate(fixtures) if i not in bad], skipped
    return list(fixtures), []
