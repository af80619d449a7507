"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from scoreline.serving.api.deps import StateDep
from scoreline.serving.schemas import HealthResponse, ModelOut, ReadyResponse

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthResponse, summary="Liveness: the process answers.")
async def health() -> HealthResponse:
    return HealthResponse(status="ok")


@router.get(
    "/ready",
    response_model=ReadyResponse,
    summary="Readiness: a model is loaded (503 otherwise).",
    responses={503: {"model": ReadyResponse, "description": "No model loaded yet, and why (redacted)."}},
)
async def ready(state: StateDep) -> ReadyResponse | JSONResponse:
    service = state.service
    if service is None:
        detail = state.last_error or f"model {state.model_ref!r} is loading"
        body = ReadyResponse(status="unavailable", detail=detail)
        return JSONResponse(body.model_dump(mode="json"), status_code=503)
    return ReadyResponse(status="ready", model=ModelOut.of(service.handle))
