"""A bounded in-memory cache of rendered pages and linked-data documents, valid for one published build.

Resource pages (``/id/…``, ``/graph/…``, ``/ontology``), browse pages and the home page are pure functions of
the build being served, the request path and query, and the negotiated representation. Rendering one costs
tens of milliseconds of Python in the server process, which also relays every query answer, so repeated
requests are answered from here. Entries are keyed by the build (:meth:`Services.build_key`: a new build or
write starts afresh), the method, path, query string and ``Accept`` header; only complete 200 answers up to
:data:`MAX_ENTRY_BYTES` are kept, least recently used first out beyond ``max_bytes``.

The middlewares outside this one edit the response-start message they are given in place (CORS appends
``Origin`` to ``Vary``), so an entry keeps its own copy, taken before the message goes on, and every answer
from the cache sends a fresh copy: the stored headers never grow.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clustergraph.errors import StoreError

CACHED_PREFIXES = ("/id/", "/graph/", "/ontology", "/browse")
CACHED_PATHS = ("/", "/queries")
MAX_ENTRY_BYTES = 1_000_000


@dataclass
class Entry:
    start: Message
    body: bytes

    def fresh_start(self) -> Message:
        """A copy of the stored response start that the middlewares outside may edit."""
        return copy_start(self.start)


def copy_start(message: Message) -> Message:
    """``message`` with its own list of headers (the header byte strings themselves are immutable)."""
    return {**message, "headers": list(message.get("headers", []))}


class PageCache:
    """The cached answers of one app, bounded by ``max_bytes`` (0 turns caching off)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.entries: OrderedDict[tuple, Entry] = OrderedDict()
        self.build: str | None = None
        self.size = 0
        self.hits = 0
        self.misses = 0

    def stats(self) -> dict[str, int]:
        """Counts for the status endpoint."""
        return {"page_cache_entries": len(self.entries), "page_cache_bytes": self.size,
                "page_cache_hits": self.hits, "page_cache_misses": self.misses}

    def get(self, key: tuple) -> Entry | None:
        entry = self.entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        self.entries.move_to_end(key)
        self.hits += 1
        return entry

    def put(self, key: tuple, entry: Entry) -> None:
        if key[0] != self.build:  # a new build (or write): the old build's pages are stale
            self.entries.clear()
            self.size = 0
            self.build = key[0]
        old = self.entries.pop(key, None)
        if old is not None:
            self.size -= len(old.body)
        self.entries[key] = entry
        self.size += len(entry.body)
        while self.size > self.max_bytes and self.entries:
            _, dropped = self.entries.popitem(last=False)
            self.size -= len(dropped.body)


class PageCacheMiddleware:
    """ASGI middleware answering GET/HEAD requests of the page paths from a :class:`PageCache`."""

    def __init__(self, app: ASGIApp, *, cache: PageCache) -> None:
        self.app = app
        self.cache = cache

    def _key(self, scope: Scope) -> tuple | None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or self.cache.max_bytes <= 0:
            return None
        path = scope["path"]
        if path not in CACHED_PATHS and not path.startswith(CACHED_PREFIXES):
            return None
        app = scope.get("app")
        services = getattr(app.state, "services", None) if app is not None else None
        if services is None:
            return None
        try:
            build = services.build_key()
        except StoreError:
            return None
        accept = next((value for name, value in scope["headers"] if name == b"accept"), b"")
        return (build, scope["method"], path, scope["query_string"], accept)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self._key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        await answer_or_record(self.cache, key, self.app, scope, receive, send)


async def answer_or_record(cache: PageCache, key: tuple, app: ASGIApp, scope: Scope, receive: Receive,
                           send: Send) -> None:
    """Send the answer ``cache`` keeps under ``key``, or let ``app`` answer and keep what it sends."""
    entry = cache.get(key)
    if entry is not None:
        await send(entry.fresh_start())
        await send({"type": "http.response.body", "body": entry.body})
        return
    await app(scope, receive, recorder(cache, key, send))


def recorder(cache: PageCache, key: tuple, send: Send) -> Send:
    """A ``send`` that passes every message on and puts a complete 200 answer of at most MAX_ENTRY_BYTES into
    ``cache`` under ``key``."""
    start: Message | None = None
    parts: list[bytes] = []
    size = 0

    async def recording_send(message: Message) -> None:
        nonlocal start, size
        if message["type"] == "http.response.start":
            start = copy_start(message) if message["status"] == 200 else None
        elif message["type"] == "http.response.body" and start is not None:
            parts.append(message.get("body", b""))
            size += len(parts[-1])
            if size > MAX_ENTRY_BYTES:
                start = None
                parts.clear()
        await send(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False) and start is not None:
            cache.put(key, Entry(start, b"".join(parts)))

    return recording_send
