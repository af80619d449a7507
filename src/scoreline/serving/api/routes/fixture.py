"""The dashboard's fixture page (``/fixtures/{league}/{date}/{home}/{away}``) and its query form
(``/fixtures``), server-rendered from :mod:`scoreline.serving.fixture_page`."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from scoreline.serving.api.deps import StateDep
from scoreline.serving.fixture_page import (
    FixtureNotFoundError,
    StoreReadError,
    build_fixture_page,
    read_match_data,
)
from scoreline.serving.state import ServingState

router = APIRouter(include_in_schema=False)

TEMPLATE = "fixture.html"


def fixture_url(league: str, day: date | str, home: str, away: str) -> str:
    """The fixture page's path (names percent-encoded, ``/`` included)."""
    return "/fixtures/" + "/".join(quote(str(part), safe="") for part in (league, day, home, away))


def _render(request: Request, status: int, **context: object) -> HTMLResponse:
    html = request.app.state.templates.get_template(TEMPLATE).render(**context)
    return HTMLResponse(html, status_code=status)


def _page(state: ServingState, url: str, league: str, day: date, home: str, away: str) -> object:
    data = read_match_data(url, league, pd.Timestamp(day), home, away)
    return build_fixture_page(
        data, state.service, f"no model loaded ({state.model_ref}): {state.last_error or 'not loaded yet'}"
    )


@router.get("/fixtures", response_class=HTMLResponse)
async def form(
    request: Request,
    league: str = Query(default="", max_length=20),
    day: str = Query(default="", alias="date", max_length=10),
    home: str = Query(default="", max_length=80),
    away: str = Query(default="", max_length=80),
) -> Response:
    """The query form; with every field filled, a redirect to the fixture's page."""
    values = {"league": league, "date": day, "home": home, "away": away}
    if all(v.strip() for v in values.values()):
        try:
            parsed = date.fromisoformat(day.strip())
        except ValueError:
            return _render(request, 422, page=None, form=values, problem=f"date {day!r} is not YYYY-MM-DD")
        return RedirectResponse(
            fixture_url(league.strip(), parsed, home.strip(), away.strip()), status_code=303
        )
    return _render(request, 200, page=None, form=values, problem=None)


@router.get("/fixtures/{league}/{day}/{home}/{away}", response_class=HTMLResponse)
async def fixture(
    request: Request, state: StateDep, league: str, day: date, home: str, away: str
) -> Response:
    """One match: score matrix, 1X2, goal lines and handicaps beside the market, form and ratings."""
    values = {"league": league, "date": day.isoformat(), "home": home, "away": away}
    url = request.app.state.settings.resolved_db_url
    try:
        page = await run_in_threadpool(_page, state, url, league, day, home, away)
    except FixtureNotFoundError as error:
        return _render(request, 404, page=None, form=values, problem=str(error))
    except StoreReadError as error:
        return _render(request, 503, page=None, form=values, problem=str(error))
    return _render(request, 200, page=page, form=values, problem=None)
