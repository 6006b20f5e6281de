"""ASGI middleware bounding the pages in the server at once, so a crowd of page requests is answered, not queued
without end.

Pages and linked-data documents render in the page threads (``page_threads``); requests beyond those wait for
one. Past ``limit`` requests rendering or waiting, the next gets 503 with Retry-After at once. Queries
(``/sparql``, the named-query API), writes, the status and static files have lanes or costs of their own and
are not counted; pages answered from the page cache never reach this middleware (it sits inside the cache).
"""

from __future__ import annotations

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

NOT_PAGES = ("/sparql", "/update", "/store", "/api/queries", "/api/status", "/api/version", "/static/",
             "/openapi.json")


class PageLane:
    """At most ``limit`` page requests at once (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.active = 0
        self.refused = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(NOT_PAGES):
            await self.app(scope, receive, send)
            return
        if self.active >= self.limit:
            self.refused += 1
            response = PlainTextResponse(f"{self.active} pages are being prepared; try again in a moment\n", 503,
                                         headers={"Retry-After": "2"})
            await response(scope, receive, send)
            return
        self.active += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.active -= 1
