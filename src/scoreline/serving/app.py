"""The FastAPI app factory: the prediction API, the dashboard, metrics; nothing is built at import time.

``create_app`` wires a :class:`~scoreline.serving.state.ServingState` (model provider, fixture source,
metrics) into a new app. The model (``champion`` unless told otherwise) is loaded in a background thread
that the lifespan start-up waits for at most :data:`MODEL_WAIT_SECONDS`, so the server answers at once
whatever the registry does: until a model loads ``/health`` is 200, ``/ready`` and the prediction endpoints
answer 503 with the (redacted) reason, and the load is tried again every ``model_retry_seconds``.

Every request first passes the middlewares (outermost first): request id, logs and metrics; security
headers; the admin key check; the body size limit (:mod:`scoreline.serving.guards`).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from scoreline import __version__
from scoreline.serving.api.routes import admin, dashboard, docs, health, leagues, metrics, models, predictions
from scoreline.serving.errors import install_error_handlers
from scoreline.serving.guards import AdminGuard, BodyLimit
from scoreline.serving.metrics import ServingMetrics
from scoreline.serving.observability import ObservabilityMiddleware
from scoreline.serving.opening_odds import CachedStoreOpeningPrices, OpeningPriceLookup
from scoreline.serving.provider import DEFAULT_MODEL_REF, ModelProvider, RegistryModelProvider
from scoreline.serving.security_headers import SecurityHeaders
from scoreline.serving.snapshot import FixtureSource, StoreFixtureSource
from scoreline.serving.state import ServingState
from scoreline.settings import Settings, check_api_settings, get_settings

logger = logging.getLogger(__name__)

DESCRIPTION = """Predictions of the champion model for football fixtures: 1X2 probabilities, expected goals,
most likely scores, over/under 2.5 and both teams to score. Admin endpoints need the `X-API-Key` header."""


def default_backtest_dir(settings: Settings) -> Path:
    """Where the dashboard looks for the latest backtest's ``metrics.json``."""
    return settings.home_dir / "backtests" / "latest"


MODEL_WAIT_SECONDS = 2.0  # start-up waits this long at most for the first model load (then serves anyway)
GC_YOUNG_THRESHOLD = 50_000  # allocations between young-generation collections (Python's default: 700)


def tune_garbage_collection() -> None:
    """Collect less often and never rescan what start-up built (modules, the model, the snapshot).

    A 50-fixture request allocates thousands of short-lived containers, so with Python's defaults the cyclic
    collector ran several times per request and its full passes rescanned the 200,000 objects start-up left.
    Measured in-process on a 50-fixture request: 0.76 ms of collection per request before freezing, 0.12 ms
    after; a young threshold of 50,000 took another 0.4 ms off (of 3). Process-wide, so only for a process
    that is the server (``scoreline serve``), not for one that builds apps in passing (tests).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


def create_app(
    settings: Settings | None = None,
    provider: ModelProvider | None = None,
    *,
    fixtures: FixtureSource | None = None,
    model: str = DEFAULT_MODEL_REF,
    backtest_dir: Path | None = None,
    opening_prices: OpeningPriceLookup | None = None,
    tune_gc: bool = False,
) -> FastAPI:
    """A new app serving ``model`` (alias or version) from ``provider`` (default: the MLflow registry).

    ``settings`` default to :func:`~scoreline.settings.get_settings` (other settings override that
    dependency); ``fixtures`` default to the configured store; ``backtest_dir`` to
    ``<home>/backtests/latest``; ``opening_prices`` (what market models use when a request gives no odds) to
    the store's opening 1X2 prices. ``tune_gc``: the process is the server; see
    :func:`tune_garbage_collection`. Raises :class:`~scoreline.errors.ConfigurationError` in production
    with a missing or weak API key (:func:`~scoreline.settings.check_api_settings`).
    """
    settings = settings or get_settings()
    check_api_settings(settings)
    state = ServingState(
        provider=provider or RegistryModelProvider(settings),
        fixtures=fixtures or StoreFixtureSource(settings.resolved_db_url),
        model_ref=model,
        metrics=ServingMetrics(),
        opening_prices=opening_prices or CachedStoreOpeningPrices(settings.resolved_db_url),
        secrets=settings.secret_values(),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        first_try = state.start_loading(
            settings.model_retry_seconds, on_loaded=tune_garbage_collection if tune_gc else None
        )
        if not await run_in_threadpool(first_try.wait, MODEL_WAIT_SECONDS):
            logger.warning(
                "start-up: model %r is still loading; serving without it (/ready answers 503 until it loads)",
                model,
            )
        if tune_gc:
            tune_garbage_collection()
        yield
        state.stop_loading()

    app = FastAPI(
        title="scoreline",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by the docs router, with the app's own assets
        redoc_url=None,
    )
    app.state.serving = state
    app.state.settings = settings
    app.state.backtest_dir = backtest_dir or default_backtest_dir(settings)
    app.state.templates = Environment(
        loader=PackageLoader("scoreline.serving", "templates"), autoescape=select_autoescape(default=True)
    )
    if settings is not get_settings():
        # only when needed: with any override set, FastAPI rebuilds every dependency graph per request
        app.dependency_overrides[get_settings] = lambda: settings
    for module in (health, leagues, predictions, models, admin, metrics, dashboard, docs):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(packages=[("scoreline.serving", "static")]), name="static")
    app.mount("/docs-assets", StaticFiles(packages=[docs.DOCS_ASSETS]), name="docs-assets")
    install_error_handlers(app)
    # the last added runs first: observability sees every answer, guards answer before the body is read
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(AdminGuard, settings=settings)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(ObservabilityMiddleware, metrics=state.metrics)
    return app
