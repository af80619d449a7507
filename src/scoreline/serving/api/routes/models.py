"""Registered model versions, their aliases and metrics."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from scoreline.serving.api.deps import StateDep
from scoreline.serving.errors import ApiError, responses
from scoreline.serving.provider import RegistryUnavailableError
from scoreline.serving.schemas import ModelOut, ModelsResponse, ModelVersionOut

router = APIRouter(prefix="/v1", tags=["models"])


@router.get(
    "/models",
    response_model=ModelsResponse,
    summary="Registered versions with aliases and metrics, and the one being served.",
    responses=responses(503),
)
async def models(state: StateDep) -> ModelsResponse:
    try:
        records = await run_in_threadpool(state.provider.versions)
    except RegistryUnavailableError as error:
        raise ApiError(503, str(error)) from error
    service = state.service
    return ModelsResponse(
        serving=ModelOut.of(service.handle) if service is not None else None,
        versions=[ModelVersionOut.model_validate(record) for record in records],
    )
