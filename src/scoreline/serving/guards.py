"""What a request passes before the app reads its body: the admin key (with a per-client limit on wrong
keys) and the size limit of the body.

Both are pure ASGI middlewares, so they act before FastAPI parses anything: an admin request without the
right key is answered 401/403 without reading one byte of its body, and a body over ``max_body_bytes`` is
refused with 413 from its ``Content-Length`` or, when it is sent in chunks without one, as soon as the bytes
read pass the limit.
"""

from __future__ import annotations

import hmac
import math
import time
from collections import OrderedDict
from dataclasses import dataclass

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scoreline.serving.errors import ApiError, error_response
from scoreline.settings import Settings

ADMIN_PREFIX = "/v1/admin"
API_KEY_HEADER = b"x-api-key"
MAX_TRACKED_CLIENTS = 10_000  # bounds the failure table's memory whatever the number of clients


def admin_key_problem(settings: Settings, key: str | None) -> ApiError | None:
    """Why ``key`` does not open the admin endpoints (``None`` if it does): 403 if no key is configured or
    it differs, 401 if absent. Keys are compared in constant time."""
    expected = settings.api_key.get_secret_value() if settings.api_key is not None else ""
    if not expected:
        return ApiError(403, "admin endpoints are disabled: no API key is configured (SCORELINE_API_KEY)")
    if key is None:
        return ApiError(401, "missing X-API-Key header", headers={"WWW-Authenticate": "X-API-Key"})
    if not hmac.compare_digest(key.encode("utf-8", "surrogateescape"), expected.encode("utf-8")):
        return ApiError(403, "invalid API key")
    return None


@dataclass
class _Failures:
    count: int
    window_start: float


class FailureLimiter:
    """Counts each client's wrong admin keys in a fixed window; past ``max_failures`` the client is locked
    out until its window ends. In memory, per process, at most ``MAX_TRACKED_CLIENTS`` clients (the oldest
    windows are forgotten first)."""

    def __init__(self, max_failures: int, window_seconds: float) -> None:
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self._clients: OrderedDict[str, _Failures] = OrderedDict()

    def _current(self, client: str, now: float) -> _Failures | None:
        entry = self._clients.get(client)
        if entry is not None and now - entry.window_start >= self.window_seconds:
            del self._clients[client]
            return None
        return entry

    def retry_after(self, client: str, now: float | None = None) -> float | None:
        """Seconds until ``client`` may try again, or ``None`` if it is not locked out."""
        now = time.monotonic() if now is None else now
        entry = self._current(client, now)
        if entry is None or entry.count < self.max_failures:
            return None
        return self.window_seconds - (now - entry.window_start)

    def failed(self, client: str, now: float | None = None) -> None:
        """Count one wrong key of ``client``."""
        now = time.monotonic() if now is None else now
        entry = self._current(client, now)
        if entry is None:
            while len(self._clients) >= MAX_TRACKED_CLIENTS:
                self._clients.popitem(last=False)
            self._clients[client] = _Failures(1, now)
        else:
            entry.count += 1

    def succeeded(self, client: str) -> None:
        """Forget ``client``'s failures (the right key was given)."""
        self._clients.pop(client, None)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def app_path(scope: Scope) -> str:
    """The request's path inside the app (without the ``root_path`` a proxy mounts it under)."""
    path, root = str(scope.get("path", "")), str(scope.get("root_path", ""))
    return path[len(root) :] if root and path.startswith(root) else path


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class AdminGuard:
    """Admits requests under ``/v1/admin`` only with the right ``X-API-Key``, before their body is read;
    a client that sent ``max_failures`` wrong keys within the window gets 429 (with ``Retry-After``), even
    with the right key, until the window ends."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.limiter = FailureLimiter(settings.admin_max_failures, settings.admin_failure_window_seconds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not app_path(scope).startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        client = _client(scope)
        wait = self.limiter.retry_after(client)
        if wait is not None:
            seconds = str(max(1, math.ceil(wait)))
            response = error_response(
                429,
                f"too many wrong admin keys from this client; try again in {seconds} s",
                headers={"Retry-After": seconds},
            )
            await response(scope, receive, send)
            return
        key = _header(scope, API_KEY_HEADER)
        problem = admin_key_problem(self.settings, key)
        if problem is None:
            self.limiter.succeeded(client)
            await self.app(scope, receive, send)
            return
        if key is not None and problem.status == 403:
            self.limiter.failed(client)
        await error_response(problem.status, problem.detail, headers=problem.headers)(scope, receive, send)


class BodyTooLargeError(HTTPException):
    """The request body passed the limit while it was read (FastAPI lets HTTP exceptions through)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body too large: at most {limit} bytes are accepted")


class BodyLimit:
    """Refuses request bodies over ``limit`` bytes with 413: at once from ``Content-Length``, else while
    the chunks are read (the app never sees more than ``limit`` bytes)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLargeError(self.limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLargeError:
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = BodyTooLargeError(self.limit).detail
        # the connection is closed after the answer, so the unread rest of the body is never read
        await error_response(413, detail, headers={"Connection": "close"})(scope, receive, send)
