"""ASGI middleware handing query requests straight to their handlers: the SPARQL Protocol (``GET``, ``HEAD``
and ``POST /sparql``, :mod:`clustergraph.web.sparql_endpoint`) and the named-query API (``GET
/api/queries/<name>``, :mod:`clustergraph.web.named_api`).

These are the server's busiest paths, and their own work per light query (read the query's head or bind its
parameters, choose the media type, relay the worker's answer) is smaller than what FastAPI's router (a
regular expression per route, one route per named query), request wrapper and dependency resolution add
around it. This layer sits inside the other middlewares (CORS, the body cap, the catch-all, the caches), so
those still apply; it maps the library's errors and HTTP errors (the body cap's 408) to answers with the same
functions as the app's exception handlers. The routes stay declared on the app, so the OpenAPI document
describes them as before, and anything else (an unknown query name: 404) goes on to the router.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from clustergraph.errors import ClusterGraphError
from clustergraph.web.errors import http_error_response, library_error_response
from clustergraph.web.named_api import run_named_http
from clustergraph.web.services import Services
from clustergraph.web.sparql_endpoint import sparql_get, sparql_post

Handler = Callable[[Request], Awaitable[Response]]
NAMED_PREFIX = "/api/queries/"


class QueryRoutes:
    """Answers ``/sparql`` and the named-query API without the router (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, services: Services) -> None:
        self.app = app
        self.services = services
        self.sparql = {"GET": sparql_get, "HEAD": sparql_get, "POST": sparql_post}

    def _handler(self, scope: Scope) -> Handler | None:
        if scope["type"] != "http":
            return None
        path, method, root = scope["path"], scope["method"], scope.get("root_path", "")
        if root and path.startswith(root):  # behind a proxy that mounts us below a path
            path = path[len(root):]
        svc = self.services
        if path == "/sparql" and method in self.sparql:
            endpoint = self.sparql[method]
            return lambda request: endpoint(request, svc)
        if method == "GET" and path.startswith(NAMED_PREFIX):
            query = svc.named_queries.get(path[len(NAMED_PREFIX):])
            if query is not None:
                return lambda request: run_named_http(request, svc, query)
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = self._handler(scope)
        if handler is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await handler(request)
        except ClusterGraphError as exc:
            response = library_error_response(request, exc)
        except HTTPException as exc:  # e.g. the body cap's 408 for a body that does not arrive in time
            response = http_error_response(request, exc)
        await response(scope, receive, send)
