"""API errors and their JSON bodies (:class:`~scoreline.serving.schemas.ErrorOut`).

422 answers are FastAPI's validation list, capped: at most :data:`MAX_VALIDATION_ERRORS` entries, and an
echoed ``input`` or ``ctx`` longer than :data:`MAX_ECHO_CHARS` characters of JSON is cut to a string of that
length, so a large bad body never comes back whole.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from scoreline.redaction import redact
from scoreline.serving.observability import current_request_id
from scoreline.serving.schemas import ErrorOut, NameProblem

MAX_VALIDATION_ERRORS = 50
MAX_ECHO_CHARS = 200

ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorOut, "description": "The body could not be decoded (e.g. not UTF-8)."},
    401: {"model": ErrorOut, "description": "No X-API-Key header."},
    403: {"model": ErrorOut, "description": "Wrong key, or admin endpoints disabled (no key configured)."},
    404: {
        "model": ErrorOut,
        "description": "Unknown league, team or model version (with the closest names).",
    },
    413: {"model": ErrorOut, "description": "Request body larger than SCORELINE_MAX_BODY_BYTES."},
    429: {
        "model": ErrorOut,
        "description": "Too many wrong admin keys from this client: wait for Retry-After seconds.",
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
    body = ErrorOut(detail=redact(detail), problems=list(problems), request_id=current_request_id())
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=dict(headers or {}))


def _capped(value: Any) -> Any:
    """``value`` (as JSON) if it is at most ``MAX_ECHO_CHARS`` characters long, else its first ones."""
    encoded = jsonable_encoder(value)
    text = json.dumps(encoded, ensure_ascii=False, default=str)
    return encoded if len(text) <= MAX_ECHO_CHARS else text[:MAX_ECHO_CHARS] + "…"


def validation_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """FastAPI's validation entries, at most ``MAX_VALIDATION_ERRORS``, echoed input and context capped."""
    capped = []
    for error in list(errors)[:MAX_VALIDATION_ERRORS]:
        entry: dict[str, Any] = {"loc": list(error.get("loc", ())), "msg": str(error.get("msg", ""))[:500]}
        entry["type"] = str(error.get("type", ""))
        if "input" in error:
            entry["input"] = _capped(error["input"])
        ctx = error.get("ctx")
        if isinstance(ctx, Mapping):
            entry["ctx"] = {str(key): _capped(value) for key, value in ctx.items()}
        capped.append(entry)
    return capped


def install_error_handlers(app: FastAPI) -> None:
    """Answer :class:`ApiError` and Starlette's HTTP errors (404 route, 405 method) as ``ErrorOut``, and
    validation errors as FastAPI's 422 list, capped (:func:`validation_errors`)."""

    async def on_api_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, ApiError)
        return error_response(error.status, error.detail, error.problems, error.headers)

    async def on_http_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        return error_response(error.status_code, str(error.detail), headers=error.headers)

    async def on_validation_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        return JSONResponse({"detail": validation_errors(error.errors())}, status_code=422)

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
