"""ASGI middleware handing SPARQL Protocol requests (``GET``, ``HEAD`` and ``POST /sparql``) straight to their
handlers in :mod:`clustergraph.web.sparql_endpoint`.

``/sparql`` is the server's busiest path, and its own work per light query (read the query's head, choose the
media type, relay the worker's answer) is smaller than what FastAPI's router, request wrapper and dependency
resolution add around it. This layer sits inside the other middlewares (CORS, the body cap, the catch-all), so
those still apply; it maps the library's errors and HTTP errors (the body cap's 408) to answers with the same
functions as the app's exception handlers. The routes stay declared on the app, so the OpenAPI document
describes them as before.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from clustergraph.errors import ClusterGraphError
from clustergraph.web.errors import http_error_response, library_error_response
from clustergraph.web.services import Services
from clustergraph.web.sparql_endpoint import sparql_get, sparql_post

HANDLERS = {"GET": sparql_get, "HEAD": sparql_get, "POST": sparql_post}


class ProtocolLane:
    """Answers ``/sparql`` queries without the router (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, services: Services) -> None:
        self.app = app
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = HANDLERS.get(scope.get("method", "")) if scope["type"] == "http" else None
        if handler is None or scope["path"] != scope.get("root_path", "") + "/sparql":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await handler(request, self.services)
        except ClusterGraphError as exc:
            response = library_error_response(request, exc)
        except HTTPException as exc:  # e.g. the body cap's 408 for a body that does not arrive in time
            response = http_error_response(request, exc)
        await response(scope, receive, send)
