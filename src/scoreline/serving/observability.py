"""Request ids, JSON logs and request metrics in one pure ASGI middleware (cheaper than BaseHTTPMiddleware).

Each request gets an id: the client's ``X-Request-ID`` when it is a sane token, else a new one; it is returned
in the response's ``X-Request-ID`` and attached to every log record emitted while the request runs. One JSON
access-log line per request gives method, path, route, status, latency and the model version that answered.
An unexpected exception becomes a JSON 500 carrying the request id (and is logged with its traceback).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any, TextIO

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scoreline.serving.metrics import ServingMetrics

REQUEST_ID_HEADER = "X-Request-ID"
MODEL_VERSION_KEY = "model_version"  # request.state key set by routes that answer with a model
_REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("scoreline_request_id", default=None)
access_logger = logging.getLogger("scoreline.serving.access")
logger = logging.getLogger(__name__)

LOG_FIELDS = ("request_id", "model_version", "method", "path", "route", "status", "latency_ms", "client")


def current_request_id() -> str | None:
    """The id of the request being handled (``None`` outside a request)."""
    return _request_id.get()


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and the request fields given."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            document["request_id"] = request_id
        for name in LOG_FIELDS[1:]:
            value = getattr(record, name, None)
            if value is not None:
                document[name] = value
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return json.dumps(document, default=str)


class StderrHandler(logging.StreamHandler):
    """A stream handler writing to whatever ``sys.stderr`` is when a record is emitted, not the stream
    current when it was made: a caller that swaps and closes stderr (a test runner) breaks nothing."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        """Ignored: the stream is always the current ``sys.stderr``."""


def configure_json_logging(level: str | int = "WARNING") -> None:
    """Send log records to stderr as JSON lines (``serve`` calls this): ``level`` for everything, and the
    serving loggers (access lines, model loads) at INFO at least, so a server always logs its requests."""
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level if isinstance(level, int) else level.upper())
    logging.getLogger("scoreline.serving").setLevel(min(root.level, logging.INFO))


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"


def _incoming_request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if _REQUEST_ID_PATTERN.match(text):
                return text
            break
    return uuid.uuid4().hex


class ObservabilityMiddleware:
    """Request id in and out, JSON access log, Prometheus request counter and latency histogram."""

    def __init__(self, app: ASGIApp, metrics: ServingMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope)
        token = _request_id.set(request_id)
        state = scope.setdefault("state", {})
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = int(message["status"])
                response_started = True
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.lower().encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            logger.exception("unhandled error in %s %s", scope.get("method"), scope.get("path"))
            if not response_started:
                await _internal_error(send_with_id, request_id)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            method = str(scope.get("method", ""))
            self.metrics.requests.labels(method=method, route=route, status=str(status)).inc()
            self.metrics.latency.labels(method=method, route=route).observe(elapsed)
            client = scope.get("client")
            access_logger.info(
                "%s %s %d",
                method,
                scope.get("path", ""),
                status,
                extra={
                    "request_id": request_id,
                    "model_version": state.get(MODEL_VERSION_KEY) if isinstance(state, dict) else None,
                    "method": method,
                    "path": scope.get("path", ""),
                    "route": route,
                    "status": status,
                    "latency_ms": round(elapsed * 1000, 3),
                    "client": client[0] if client else None,
                },
            )
            _request_id.reset(token)


async def _internal_error(send: Send, request_id: str) -> None:
    body = json.dumps({"detail": "internal server error", "problems": [], "request_id": request_id}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
