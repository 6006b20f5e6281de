"""``/docs``: Swagger UI for ``/openapi.json``, served from the swagger-ui-bundle package (no CDN)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import HTMLResponse


def make_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)
    router.add_api_route("/docs", docs, methods=["GET"])
    return router


async def docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="clustergraph API",
        swagger_js_url="/static/swagger/swagger-ui-bundle.js",
        swagger_css_url="/static/swagger/swagger-ui.css",
        swagger_favicon_url="/static/swagger/favicon-32x32.png",
    )
