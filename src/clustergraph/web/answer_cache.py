"""A bounded in-memory cache of query answers, valid for one published build of the embedded store.

A SPARQL query over the embedded store is a pure function of the build being served and the request: the query
text, its dataset, the negotiated media type, the row cap and the endpoint's URL (relative IRIs resolve
against it) all arrive in the request. So ``/sparql`` (GET, and POST with a body of up to
:data:`MAX_BODY_BYTES`) and the named-query API (``GET /api/queries/…``) answer a request seen before from
here, without a query worker. Entries are keyed by the build (:meth:`Services.build_key`: a new build or a
write starts afresh), the method, path, query string, body and the headers the answer depends on; only
complete 200 answers up to :data:`~clustergraph.web.page_cache.MAX_ENTRY_BYTES` are kept, least recently used
first out beyond the setting ``answer_cache_mb``.

This middleware sits inside CORS, the body cap and the catch-all, and outside everything else: an answer from
the cache costs no routing, and the middlewares outside still add their headers (each answer starts from a
copy of the stored headers, see :mod:`clustergraph.web.page_cache`) and bound the body's size and arrival. An
error while the body is read (413, 408) is handed on to the app, which answers it as usual. Answers from a
remote SPARQL server are never cached: that server's data can change under us.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clustergraph.errors import StoreError
from clustergraph.web.page_cache import PageCache, answer_or_record

ANSWER_PATHS = ("/sparql",)
ANSWER_PREFIXES = ("/api/queries/",)
MAX_BODY_BYTES = 64 * 1024  # a POSTed query longer than this is run, not looked up
KEY_HEADERS = (b"accept", b"content-type", b"host")  # what an answer depends on beside the URL and the body


class AnswerCache(PageCache):
    """The cached query answers of one app, bounded by ``max_bytes`` (0 turns caching off)."""

    def stats(self) -> dict[str, int]:
        """Counts for the status endpoint."""
        return {"answer_cache_entries": len(self.entries), "answer_cache_bytes": self.size,
                "answer_cache_hits": self.hits, "answer_cache_misses": self.misses}


class AnswerCacheMiddleware:
    """ASGI middleware answering repeated query requests from an :class:`AnswerCache`."""

    def __init__(self, app: ASGIApp, *, cache: AnswerCache) -> None:
        self.app = app
        self.cache = cache

    def _cacheable(self, scope: Scope) -> bool:
        if scope["type"] != "http" or self.cache.max_bytes <= 0:
            return False
        path, method = scope["path"], scope["method"]
        if path in ANSWER_PATHS:
            return method in ("GET", "POST")
        return method == "GET" and path.startswith(ANSWER_PREFIXES)

    def _build(self, scope: Scope) -> str | None:
        app = scope.get("app")
        services = getattr(app.state, "services", None) if app is not None else None
        if services is None or services.remote is not None:
            return None
        try:
            return services.build_key()
        except StoreError:
            return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._cacheable(scope):
            await self.app(scope, receive, send)
            return
        build = self._build(scope)
        if build is None:
            await self.app(scope, receive, send)
            return
        body: bytes | None = b""
        if scope["method"] == "POST":
            body, receive = await _read_small_body(scope, receive)
            if body is None:  # too long, of unknown length, or the client left: run as it came
                await self.app(scope, receive, send)
                return
        headers = dict(scope["headers"])
        key = (build, scope["method"], scope["path"], scope["query_string"], body,
               *(headers.get(name, b"") for name in KEY_HEADERS))
        await answer_or_record(self.cache, key, self.app, scope, receive, send)


async def _read_small_body(scope: Scope, receive: Receive) -> tuple[bytes | None, Receive]:
    """The request body when its declared length is at most :data:`MAX_BODY_BYTES` (else None), and a
    ``receive`` that hands the app what was read, then reads on."""
    length = next((value for name, value in scope["headers"] if name == b"content-length"), None)
    if length is None or not length.isdigit() or int(length) > MAX_BODY_BYTES:
        return None, receive
    parts: list[bytes] = []
    while True:
        try:
            message = await receive()
        except Exception as exc:  # noqa: BLE001 - the body cap's 413 or 408: the app answers it, as without us
            return None, _failing(exc)
        if message["type"] != "http.request":  # the client left: the app sees it
            return None, _replay([message], receive)
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
        if sum(map(len, parts)) > MAX_BODY_BYTES:  # longer than declared: the app's body cap answers
            return None, _replay([{"type": "http.request", "body": b"".join(parts), "more_body": True}], receive)
    body = b"".join(parts)
    return body, _replay([{"type": "http.request", "body": body, "more_body": False}], receive)


def _failing(exc: Exception) -> Receive:
    """A ``receive`` that raises ``exc`` (what reading the body raised) to the app."""

    async def failing() -> Message:
        raise exc

    return failing


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that first returns ``messages``, then reads on from ``receive`` (e.g. a disconnect)."""
    pending = list(messages)

    async def replaying() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replaying
