"""The dashboard page: upcoming fixtures, leaderboard, calibration and staging monitor (server-rendered)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from scoreline import columns as c
from scoreline.serving import dashboard
from scoreline.serving.api.deps import StateDep
from scoreline.serving.opening_odds import OddsUnavailableError, with_opening_prices
from scoreline.serving.schemas import PredictionOut
from scoreline.serving.service import Fixture
from scoreline.serving.snapshot import StoreUnavailableError
from scoreline.serving.state import ServingState

router = APIRouter(include_in_schema=False)

DASHBOARD_FIXTURES = 100


def _upcoming(state: ServingState) -> tuple[list[PredictionOut], str | None]:
    """Predictions of the next fixtures, or the reason there are none."""
    service = state.service
    if service is None:
        return [], f"no model loaded ({state.model_ref}): {state.last_error or 'not loaded yet'}"
    try:
        snapshot = state.fixtures.snapshot()
    except StoreUnavailableError as error:
        return [], str(error)
    rows = snapshot.upcoming(datetime.now()).head(DASHBOARD_FIXTURES)
    if rows.empty:
        return [], "no scheduled fixtures in the store (fixtures without a result and a kickoff ahead)"
    fixtures = [
        Fixture(str(r[c.LEAGUE]), str(r[c.HOME]), str(r[c.AWAY]), r[c.KICKOFF].to_pydatetime())
        for r in rows.to_dict("records")
    ]
    if service.needs_odds:  # a market model predicts only the fixtures with opening odds in the store
        try:
            fixtures = with_opening_prices(fixtures, state.opening_prices)
        except OddsUnavailableError as error:
            return [], str(error)
        fixtures = [f for f in fixtures if f.odds is not None]
        if not fixtures:
            return [], f"model {service.handle.name} needs opening odds; no scheduled fixture has them"
    predictions = service.predict(fixtures)
    state.metrics.predictions.labels(model=service.handle.name, version=service.handle.version).inc(
        len(fixtures)
    )
    return [PredictionOut.of(p) for p in predictions], None


def _context(state: ServingState, request: Request) -> dict[str, Any]:
    fixtures, fixtures_problem = _upcoming(state)
    settings = request.app.state.settings
    service = state.service
    return {
        "model": service.handle if service is not None else None,
        "model_ref": state.model_ref,
        "fixtures": fixtures,
        "fixtures_problem": fixtures_problem,
        "leagues": sorted({f.league for f in fixtures}),
        "backtest": dashboard.load_backtest(request.app.state.backtest_dir),
        "monitor": dashboard.load_monitor(settings.home_dir / "staging" / "monitor.json"),
        "panel": dashboard.PANEL,
        "margin": dashboard.MARGIN,
        "chart_width": dashboard.CHART_WIDTH,
        "chart_height": dashboard.CHART_HEIGHT,
        "now": datetime.now(),
    }


@router.get("/", response_class=HTMLResponse)
async def page(request: Request, state: StateDep) -> HTMLResponse:
    context = await run_in_threadpool(_context, state, request)
    html = request.app.state.templates.get_template("dashboard.html").render(**context)
    return HTMLResponse(html)
