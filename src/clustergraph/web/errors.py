"""The one place that turns library errors into HTTP answers: a status, and a body in the caller's terms
(JSON under /api, an HTML page for browsers, plain text for SPARQL clients). No traces, no file paths."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from clustergraph import errors
from clustergraph.querying.conneg import parse_accept, quality

log = logging.getLogger("clustergraph.web")

STATUS: list[tuple[type[errors.ClusterGraphError], int]] = [
    (errors.QuerySyntaxError, 400),
    (errors.QueryRefused, 400),
    (errors.QueryTimeout, 503),
    (errors.ServerBusy, 503),
    (errors.QueryError, 500),
    (errors.NamedQueryError, 400),
    (errors.BadRequest, 400),
    (errors.DataError, 400),
    (errors.NotFound, 404),
    (errors.NotAcceptable, 406),
    (errors.UnsupportedMediaType, 415),
    (errors.PayloadTooLarge, 413),
    (errors.Unauthorized, 401),
    (errors.Forbidden, 403),
    (errors.StoreError, 503),
]
TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 406: "Not acceptable",
          408: "Request timeout", 413: "Request body too large", 415: "Unsupported media type", 500: "Server error",
          503: "Service unavailable"}


def status_for(exc: errors.ClusterGraphError) -> int:
    return next((code for cls, code in STATUS if isinstance(exc, cls)), 500)


def error_response(request: Request, status: int, message: str) -> Response:
    """The error body in the form the caller reads."""
    headers: dict[str, str] = {"Vary": "Accept"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="clustergraph"'
    if status == 503:
        headers["Retry-After"] = "1"
    path = request.url.path
    if path.startswith("/api/") or path.endswith(".json"):
        return JSONResponse({"ok": False, "status": status, "error": message}, status, headers=headers)
    ranges = parse_accept(request.headers.get("accept"))
    wants_html = quality(ranges, "text/html") > max(quality(ranges, "text/plain"), 0.0)
    if wants_html and not path.startswith(("/sparql", "/update", "/store")):
        services = getattr(request.app.state, "services", None)
        if services is not None:
            title = TITLES.get(status, "Error")
            return services.render(request, "error.html", {"title": title, "status": status,
                                                             "message": message}, status)
        return HTMLResponse(f"<h1>{status}</h1>", status, headers=headers)
    return PlainTextResponse(message + "\n", status, headers=headers)


def library_error_response(request: Request, exc: errors.ClusterGraphError) -> Response:
    """The answer to a library error: its status (:data:`STATUS`) and message."""
    return error_response(request, status_for(exc), str(exc))


def http_error_response(request: Request, exc: StarletteHTTPException) -> Response:
    """The answer to an HTTP error raised by Starlette or a middleware (e.g. the body cap's 408), with its
    headers."""
    message = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "Error")
    response = error_response(request, exc.status_code, message)
    for key, value in (exc.headers or {}).items():
        response.headers[key] = value
    return response


def install(app: FastAPI) -> None:
    """Register the exception handlers on ``app``."""

    @app.exception_handler(errors.ClusterGraphError)
    async def _library(request: Request, exc: errors.ClusterGraphError) -> Response:
        return library_error_response(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return http_error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()) if p not in ('query', 'body'))}: {e.get('msg')}"
            for e in exc.errors()
        )
        return error_response(request, 400, f"invalid request: {problems}")


class CatchAll:
    """ASGI middleware inside CORS: an unexpected exception becomes a plain 500 that still gets CORS
    headers, and is logged here, never sent to the client."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message: dict) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unhandled error on %s", scope.get("path"))
            if scope["type"] != "http" or started:
                raise
            response = PlainTextResponse("internal server error\n", 500)
            await response(scope, receive, send)
