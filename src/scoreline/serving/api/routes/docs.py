"""The API's docs pages, Swagger UI at ``/docs`` and ReDoc at ``/redoc``, with every asset served by the app.

The JavaScript and CSS of both come from the ``fastapi-offline`` package (it ships the Swagger UI and ReDoc
bundles and is kept up to date with them), mounted at ``/docs-assets``; the pages are this package's
templates, whose only script besides the bundles is ``/static/swagger-init.js``, so they render offline and
under the app's Content-Security-Policy.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

DOCS_ASSETS = ("fastapi_offline", "static")  # package and folder of the Swagger UI and ReDoc bundles


def _render(request: Request, template: str) -> HTMLResponse:
    html = request.app.state.templates.get_template(template).render(
        title=request.app.title,
        root=request.scope.get("root_path", ""),
        openapi_url=request.app.openapi_url,
    )
    return HTMLResponse(html)


@router.get("/docs", response_class=HTMLResponse)
async def swagger_ui(request: Request) -> HTMLResponse:
    return _render(request, "swagger_ui.html")


@router.get("/redoc", response_class=HTMLResponse)
async def redoc(request: Request) -> HTMLResponse:
    return _render(request, "redoc.html")
