"""The app factory: one FastAPI application per call, over one store root or one SPARQL server.
No module-level app or store."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware
from swagger_ui_bundle import swagger_ui_path

from clustergraph import __version__
from clustergraph.kg.layout import Layout
from clustergraph.kg.store import LiveStore, StoreRoot
from clustergraph.limits import child_memory_mb
from clustergraph.querying.named import load_named_queries
from clustergraph.querying.pool import QueryPool
from clustergraph.querying.runner import QueryRunner
from clustergraph.remote.query import RemoteQueryRunner
from clustergraph.remote.store import RemoteStore
from clustergraph.settings import Settings
from clustergraph.web import (
    api_docs,
    linked_data,
    named_api,
    network_pages,
    pages,
    site_map,
    sparql_endpoint,
    status,
    store_protocol,
    void,
)
from clustergraph.web import errors as web_errors
from clustergraph.web.answer_cache import AnswerCache, AnswerCacheMiddleware
from clustergraph.web.body_cap import BodyCap
from clustergraph.web.openapi_responses import finalize
from clustergraph.web.page_cache import PageCache, PageCacheMiddleware
from clustergraph.web.page_lane import PageLane
from clustergraph.web.query_routes import QueryRoutes
from clustergraph.web.services import STATIC, Services, make_templates
from clustergraph.web.write_guard import ReadOnlyCors, WriteLog, configure_write_log

PAGES_WAITING_PER_THREAD = 16  # pages rendering or waiting for a page thread, per thread; more get 503
DESCRIPTION = """A linked-data knowledge graph of technology clusters, their member organisations, the EU
initiatives they take part in and the policy instruments that frame them.

* `/sparql`: SPARQL 1.1 Protocol endpoint (query by GET or POST; service description on a bare GET).
* `/api/queries`: every named query of the project as an operation with typed parameters.
* Every data IRI and ontology term dereferences on this server (HTML or RDF by `Accept`).
"""


def create_app(settings: Settings, store: StoreRoot, *, layout: Layout) -> FastAPI:
    """Build the application serving ``store`` (the store root whose ``current`` build is read), or the
    SPARQL server of ``settings.store_url`` when it is set (the store root is then not read).

    :raises NamedQueryError: when a file of ``layout.queries_dir`` is malformed.
    :raises StoreError: for a store URL that is not http(s).
    """
    named = load_named_queries(layout.queries_dir) if layout.queries_dir.is_dir() else {}
    remote: RemoteStore | None = None
    scratch: Path | None = None
    pool: QueryRunner
    if settings.remote:
        remote = RemoteStore.from_urls(settings.store_url, graph_store_url=settings.graph_store_url,
                                       update_url=settings.update_url, timeout=settings.time_limit)
        pool = RemoteQueryRunner(remote, size=settings.workers, reserved=settings.reserved_workers,
                                  long_after=settings.long_query)
        scratch = Path(tempfile.mkdtemp(prefix="clustergraph-remote-"))
    else:
        pool = QueryPool(store.path, size=settings.workers, reserved=settings.reserved_workers,
                         long_after=settings.long_query,
                         memory_mb=child_memory_mb(settings.worker_memory_mb, settings.workers))
    state = Services(settings, store, layout, LiveStore(store), pool, named, make_templates(), remote=remote,
                     page_cache=PageCache(settings.page_cache_mb * 2**20),
                     answer_cache=AnswerCache(0 if remote else settings.answer_cache_mb * 2**20),
                     scratch=scratch)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await pool.start()
        state.loop_lag.start()
        # Pages render in threads; Python runs one at a time, so more threads only starve the event loop
        # that relays every query answer.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.page_threads
        # e.g. the default network view, then the home page's facts, so their first visitors do not wait; one
        # after the other, so they do not compete for the CPU
        threading.Thread(target=lambda: [warm_up() for warm_up in state.warm_ups], name="warm-up",
                         daemon=True).start()
        try:
            yield
        finally:
            state.build_files.close()
            await state.loop_lag.stop()
            await pool.close()
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)

    app = FastAPI(
        title="clustergraph",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_tags=[
            {"name": "sparql", "description": "SPARQL 1.1 Protocol, Update and Graph Store Protocol."},
            {"name": "named queries", "description": "The project's named queries with typed parameters."},
            {"name": "linked data", "description": "Dereferenceable IRIs, VoID and dumps."},
            {"name": "network", "description": "Collaboration, participation and alignment networks."},
            {"name": "pages", "description": "HTML pages for people."},
        ],
    )
    app.state.services = state
    web_errors.install(app)
    for module in (sparql_endpoint, store_protocol, named_api, status, void, network_pages, site_map, pages,
                   linked_data):
        app.include_router(module.make_router(state))
    app.include_router(api_docs.make_router())
    app.mount("/static/swagger", StaticFiles(directory=str(swagger_ui_path)), name="swagger")
    # Static files go gzipped to clients that accept it: the vendored editor is 1 MB as is, 0.3 MB gzipped.
    app.mount("/static", GZipMiddleware(StaticFiles(directory=str(STATIC)), minimum_size=1024), name="static")
    app.add_middleware(QueryRoutes, services=state)  # innermost: /sparql and named queries without the router
    app.add_middleware(PageLane, limit=settings.page_threads * PAGES_WAITING_PER_THREAD)  # uncached pages only
    app.add_middleware(PageCacheMiddleware, cache=state.page_cache)  # caches what the routes render
    app.add_middleware(AnswerCacheMiddleware, cache=state.answer_cache)  # inside the body cap and CORS
    install_middleware(app, settings)
    install_openapi(app)
    return app


def install_middleware(app: FastAPI, settings: Settings) -> None:
    """From the inside out: unexpected errors become a 500, the body cap, the write log, CORS for reads.

    CORS allows only what reads need (no PUT/DELETE, no Authorization header), and :class:`ReadOnlyCors` also
    refuses the preflight of a POST write, so a web page of another origin can never send a write.
    """
    configure_write_log()
    app.add_middleware(web_errors.CatchAll)
    app.add_middleware(BodyCap, max_bytes=settings.body_cap)
    app.add_middleware(WriteLog)
    if settings.cors:
        app.add_middleware(
            ReadOnlyCors,
            allow_origins=["*"],
            allow_credentials=False,
            allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
            allow_headers=["Accept", "Content-Type"],
            expose_headers=["Content-Type", "Vary", "X-Clustergraph-Truncated", "X-Clustergraph-Row-Cap",
                            "Retry-After"],
            max_age=600,
        )


def install_openapi(app: FastAPI) -> None:
    """Serve FastAPI's generated spec after :func:`finalize` (security scheme, no undeclared 422)."""
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = finalize(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
