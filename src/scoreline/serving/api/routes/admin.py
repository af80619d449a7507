"""Admin: reload the served model, run the promotion gate (``X-API-Key`` required)."""

from __future__ import annotations

from fastapi import APIRouter, Body
from starlette.concurrency import run_in_threadpool

from scoreline.serving.api.deps import AdminDep, StateDep
from scoreline.serving.errors import ApiError, responses
from scoreline.serving.provider import DEFAULT_MODEL_REF, ModelNotFoundError, RegistryUnavailableError
from scoreline.serving.schemas import ModelOut, PromoteRequest, PromoteResponse, ReloadRequest, ReloadResponse
from scoreline.serving.state import ServingState, Swap

router = APIRouter(prefix="/v1/admin", tags=["admin"], dependencies=[AdminDep])


async def _reload(state: ServingState, ref: str | None) -> Swap:
    try:
        return await run_in_threadpool(state.reload, ref)
    except ModelNotFoundError as error:
        raise ApiError(404, str(error)) from error
    except RegistryUnavailableError as error:
        raise ApiError(503, str(error)) from error


@router.post(
    "/reload",
    response_model=ReloadResponse,
    summary="Load the served model again (or another) and swap it in without dropping requests.",
    responses=responses(400, 401, 403, 404, 413, 429, 503),
)
async def reload(state: StateDep, body: ReloadRequest | None = Body(default=None)) -> ReloadResponse:
    swap = await _reload(state, body.model if body is not None else None)
    state_previous = ModelOut.of(swap.previous) if swap.previous is not None else None
    return ReloadResponse(previous=state_previous, current=ModelOut.of(swap.current))


@router.post(
    "/promote",
    response_model=PromoteResponse,
    summary="Run the promotion gate (challenger against champion); reload if the champion changed.",
    responses=responses(400, 401, 403, 404, 413, 429, 503),
)
async def promote(state: StateDep, body: PromoteRequest | None = Body(default=None)) -> PromoteResponse:
    dry_run = body.dry_run if body is not None else False
    try:
        decision = await run_in_threadpool(state.provider.promote, dry_run)
    except ModelNotFoundError as error:
        raise ApiError(404, str(error)) from error
    except RegistryUnavailableError as error:
        raise ApiError(503, str(error)) from error
    promoted = bool(decision.get("promote", False))
    if promoted and not dry_run and state.model_ref == DEFAULT_MODEL_REF:
        await _reload(state, None)
    service = state.service
    return PromoteResponse(
        promoted=promoted,
        reason=str(decision.get("reason", "")),
        decision=decision,
        serving=ModelOut.of(service.handle) if service is not None else None,
    )
