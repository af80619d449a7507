"""API errors and their JSON bodies (:class:`~scoreline.serving.schemas.ErrorOut`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from scoreline.serving.observability import current_request_id
from scoreline.serving.schemas import ErrorOut, NameProblem

ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorOut, "description": "No X-API-Key header."},
    403: {"model": ErrorOut, "description": "Wrong key, or admin endpoints disabled (no key configured)."},
    404: {
        "model": ErrorOut,
        "description": "Unknown league, team or model version (with the closest names).",
    },
    503: {"model": ErrorOut, "description": "No model loaded, or the store or registry is unavailable."},
}


def responses(*codes: int) -> dict[int | str, dict[str, object]]:
    """The documented error responses ``codes`` for a route's ``responses=``."""
    return {code: ERROR_RESPONSES[code] for code in codes}


class ApiError(Exception):
    """An error answered as ``ErrorOut`` with ``status``."""

    def __init__(
        self,
        status: int,
        detail: str,
        problems: Sequence[NameProblem] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.problems = list(problems)
        self.headers = dict(headers or {})


def error_response(
    status: int, detail: str, problems: Sequence[NameProblem] = (), headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body = ErrorOut(detail=detail, problems=list(problems), request_id=current_request_id())
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=dict(headers or {}))


def install_error_handlers(app: FastAPI) -> None:
    """Answer :class:`ApiError` and Starlette's HTTP errors (404 route, 405 method) as ``ErrorOut``."""

    async def on_api_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, ApiError)
        return error_response(error.status, error.detail, error.problems, error.headers)

    async def on_http_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        return error_response(error.status_code, str(error.detail), headers=error.headers)

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
