"""Security headers on every response: a Content-Security-Policy, no MIME sniffing, no referrer, no framing.

The dashboard, the API and Swagger UI (``/docs``) answer under :data:`CONTENT_SECURITY_POLICY`: scripts,
styles, images and fonts only from the app itself, no inline script or style (the dashboard has none: its CSS
and JS are files under ``/static`` and its bars and plots are SVG attributes), no plugins, no framing. ReDoc
(``/redoc``) sets inline styles at run time (styled-components) and searches in a ``blob:`` worker, so its
page gets :data:`REDOC_CONTENT_SECURITY_POLICY`, which allows those two; its scripts still come only from
the app.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scoreline.serving.guards import app_path

_COMMON = (
    "default-src 'self'",
    "script-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
CONTENT_SECURITY_POLICY = "; ".join((*_COMMON, "style-src 'self'"))
REDOC_CONTENT_SECURITY_POLICY = "; ".join(
    (*_COMMON, "style-src 'self' 'unsafe-inline'", "worker-src 'self' blob:")
)
REDOC_PATH = "/redoc"

HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)


class SecurityHeaders:
    """Adds the Content-Security-Policy and :data:`HEADERS` to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = REDOC_CONTENT_SECURITY_POLICY if app_path(scope) == REDOC_PATH else CONTENT_SECURITY_POLICY
        added = [(b"content-security-policy", policy.encode()), *HEADERS]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *added]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
