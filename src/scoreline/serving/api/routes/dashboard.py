"""The dashboard page: upcoming fixtures, leaderboard, calibration and staging monitor (server-rendered).

``/?as_of=YYYY-MM-DD`` shows the fixtures of the week after a past date, as they stood that day: a full page
from the season files alone, without a fixtures feed. Their probabilities come only from a model that saw
matches before that date (:func:`scoreline.pipelines.upcoming.choose_past_forecasts`: a recorded backtest's
walk-forward, else the served model if trained before it, else none and the command that fills them). The
leaderboard shows the newest backtest recorded in the backtest index, wherever it was written, and lists the
others. Every empty panel names the command that fills it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from scoreline import columns as c
from scoreline.serving import dashboard
from scoreline.serving.api.deps import StateDep
from scoreline.serving.api.routes import fixture
from scoreline.serving.opening_odds import OddsUnavailableError, with_opening_prices
from scoreline.serving.schemas import PredictionOut
from scoreline.serving.service import Fixture
from scoreline.serving.snapshot import StoreFixtureSource, StoreUnavailableError
from scoreline.serving.state import ServingState
from scoreline.settings import Settings

router = APIRouter(include_in_schema=False)
router.include_router(fixture.router)  # the fixture page belongs to the dashboard

DASHBOARD_FIXTURES = 100
AS_OF_DAYS = 7  # with ?as_of=, the fixtures of the following week
FILL_MODEL = "`scoreline train --model dixon_coles --leagues E0,E1 --register champion`"
FILL_FIXTURES = "`scoreline fixtures fetch` (the coming round), or open /?as_of=YYYY-MM-DD for a past date"
FILL_BACKTEST = "`scoreline backtest --leagues E0 --test-seasons 2425 --models dixon_coles,elo`"
FILL_MONITOR = "`scoreline stage --league E0 --season 2425` (a replay) or the scoreline_staging DAG (live)"


@dataclass(frozen=True)
class PastProbabilities:
    """Home, draw and away probabilities of a past fixture (the template reads them like a prediction's)."""

    home: float
    draw: float
    away: float


@dataclass(frozen=True)
class PastFixture:
    """A fixture after a past ``as_of`` with the honest probabilities (None: no model saw only the past);
    the goal markets of a prediction are absent."""

    league: str
    home: str
    away: str
    kickoff: datetime
    probabilities: PastProbabilities | None
    expected_goals: None = None
    most_likely_scores: list[Any] = field(default_factory=list)
    over_under: None = None
    both_teams_to_score: None = None


Shown = PredictionOut | PastFixture


def _upcoming(
    state: ServingState, settings: Settings, as_of: pd.Timestamp | None
) -> tuple[list[Shown], str | None, str | None]:
    """Predictions of the next fixtures (after ``as_of`` if given), the reason there are none, and (with
    ``as_of``) where the probabilities come from."""
    service = state.service
    if service is None and as_of is None:
        reason = state.last_error or "not loaded yet"
        return [], f"no model loaded ({state.model_ref}): {reason}. Run {FILL_MODEL}.", None
    try:
        rows = _fixture_rows(state, settings, as_of)
    except StoreUnavailableError as error:
        return [], f"{error}. Run `scoreline ingest` first.", None
    if rows.empty and as_of is not None:
        return (
            [],
            f"no matches in the store in the {AS_OF_DAYS} days after {as_of:%Y-%m-%d}: "
            "ingest that season with `scoreline ingest --leagues ... --seasons ...`",
            None,
        )
    if rows.empty:
        return (
            [],
            f"no scheduled fixtures in the store (no kickoff ahead without a result). Run {FILL_FIXTURES}.",
            None,
        )
    if as_of is not None:
        return _past(state, settings, rows, as_of)
    shown, problem = _served_predictions(state, rows)
    return shown, problem, None


def _past(
    state: ServingState, settings: Settings, rows: pd.DataFrame, as_of: pd.Timestamp
) -> tuple[list[Shown], str | None, str | None]:
    """The fixtures after a past ``as_of`` with probabilities only from a model that saw matches before it."""
    from scoreline.pipelines.backtest_index import index_path
    from scoreline.pipelines.upcoming import ServedModel, choose_past_forecasts, recorded_backtests

    handle = state.service.handle if state.service is not None else None
    served = None
    if handle is not None:
        cutoff = None if handle.train_cutoff is None else pd.Timestamp(handle.train_cutoff)
        served = ServedModel(handle.name, handle.version, cutoff)
    leagues = set(rows[c.LEAGUE].astype(str))
    chosen = choose_past_forecasts(
        rows, as_of, recorded_backtests(index_path(settings.home_dir), leagues), served
    )
    if chosen.source == "served":
        shown, problem = _served_predictions(state, rows)
        return shown, problem, chosen.note
    past: list[Shown] = [
        PastFixture(
            str(r[c.LEAGUE]),
            str(r[c.HOME]),
            str(r[c.AWAY]),
            r[c.KICKOFF].to_pydatetime(),
            None if pd.isna(p[c.P_HOME]) else PastProbabilities(p[c.P_HOME], p[c.P_DRAW], p[c.P_AWAY]),
        )
        for r, p in zip(rows.to_dict("records"), chosen.probabilities.to_dict("records"), strict=True)
    ]
    return past, None, chosen.note


def _served_predictions(state: ServingState, rows: pd.DataFrame) -> tuple[list[Shown], str | None]:
    """The served model's predictions of ``rows``' fixtures, or the reason there are none."""
    service = state.service
    if service is None:
        return [], f"no model loaded ({state.model_ref}): {state.last_error or 'not loaded yet'}"
    fixtures = [
        Fixture(str(r[c.LEAGUE]), str(r[c.HOME]), str(r[c.AWAY]), r[c.KICKOFF].to_pydatetime())
        for r in rows.to_dict("records")
    ]
    if service.needs_opening_prices:  # a market model predicts only fixtures with opening odds in the store
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


def _fixture_rows(state: ServingState, settings: Settings, as_of: pd.Timestamp | None) -> pd.DataFrame:
    """The next fixtures: the snapshot's upcoming ones, or the store's matches after ``as_of``."""
    if as_of is None:
        return state.fixtures.snapshot().upcoming(datetime.now()).head(DASHBOARD_FIXTURES)
    from scoreline.pipelines.upcoming import upcoming_fixtures
    from scoreline.store import Store

    url = state.fixtures.url if isinstance(state.fixtures, StoreFixtureSource) else settings.resolved_db_url
    try:
        with Store.from_url(url) as store:
            return upcoming_fixtures(store, as_of, AS_OF_DAYS).head(DASHBOARD_FIXTURES)
    except Exception as error:  # an unreachable or empty store: the panel says why
        raise StoreUnavailableError(f"cannot read the store: {error}") from error


def _backtest(request: Request, settings: Settings) -> tuple[dashboard.Backtest, list[dict[str, Any]]]:
    """The newest backtest (index or the configured folder) and the list of recorded ones."""
    from scoreline.pipelines.backtest_index import index_path, read_backtests

    records = read_backtests(index_path(settings.home_dir))
    folder = newest_backtest_folder([Path(r.path) for r in records], request.app.state.backtest_dir)
    backtest = dashboard.load_backtest(folder)
    if backtest.problem and not records:
        backtest.problem = f"{backtest.problem}. Run {FILL_BACKTEST}."
    listed = [{**r.to_dict(), "shown": Path(r.path) == folder} for r in records]
    return backtest, listed


def newest_backtest_folder(recorded: list[Path], configured: Path) -> Path:
    """Of the recorded folders and the configured one, the one whose ``metrics.json`` was written last."""
    written = [
        (folder / dashboard.METRICS_FILE).stat().st_mtime_ns
        if (folder / dashboard.METRICS_FILE).is_file()
        else -1
        for folder in (*recorded, configured)
    ]
    newest = max(range(len(written)), key=lambda i: (written[i], -i))
    return (*recorded, configured)[newest] if written[newest] >= 0 else configured


def _monitor(settings: Settings) -> dashboard.Monitor:
    """The live staging monitor, else the newest replay's; an empty panel names the commands."""
    staging = settings.home_dir / "staging"
    path = staging / "monitor.json"
    replays = sorted((staging / "replays").glob("*/monitor.json"), key=lambda p: p.stat().st_mtime_ns)
    if not path.is_file() and replays:
        path = replays[-1]
    monitor = dashboard.load_monitor(path)
    if monitor.problem:
        monitor.problem = f"{monitor.problem}. Run {FILL_MONITOR}."
    return monitor


def _context(state: ServingState, request: Request, as_of: pd.Timestamp | None) -> dict[str, Any]:
    settings = request.app.state.settings
    fixtures, fixtures_problem, forecast_note = _upcoming(state, settings, as_of)
    service = state.service
    backtest, backtests = _backtest(request, settings)
    return {
        "model": service.handle if service is not None else None,
        "model_ref": state.model_ref,
        "fixtures": fixtures,
        "fixtures_problem": fixtures_problem,
        "as_of": as_of,
        "forecast_note": forecast_note,
        "leagues": sorted({f.league for f in fixtures}),
        "backtest": backtest,
        "backtests": backtests,
        "fill_backtest": FILL_BACKTEST,
        "fixture_url": fixture.fixture_url,
        "monitor": _monitor(settings),
        "now": datetime.now(),
    }


@router.get("/", response_class=HTMLResponse)
async def page(request: Request, state: StateDep, as_of: str | None = None) -> HTMLResponse:
    from scoreline.pipelines.upcoming import parse_as_of

    try:
        moment = parse_as_of(as_of)
    except ValueError as error:
        raise HTTPException(status_code=422, detail=str(error)) from None
    context = await run_in_threadpool(_context, state, request, moment)
    html = request.app.state.templates.get_template("dashboard.html").render(**context)
    return HTMLResponse(html)
