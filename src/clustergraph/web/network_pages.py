"""The network pages: an index of the views, one page per view (the drawing, its SPARQL, metrics, brokers,
communities and downloads), the standalone drawing, and the exports for Gephi.

Filters come as query parameters (``?family=vanguard&year=2024&ecosystem=IRI&max_members=50``) and are carried
into every link; ``max_members`` (default 50) leaves items with more clusters out of the collaboration projection,
and the page lists what it left out.
Views run SPARQL in-process, so they are built in a worker thread, and kept in a small per-app cache keyed by
the store build they came from (a new build or write never serves an old view).
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import hashlib
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from clustergraph.errors import BadRequest, NotFound, ServerBusy
from clustergraph.network import export as network_export
from clustergraph.network.metrics import betweenness_is_approximate, brokers
from clustergraph.network.render import (
    COLOUR_BY,
    PATH_METRICS,
    SIZE_BY,
    drawing_json,
    has_paths,
    render_html,
)
from clustergraph.network.views import (
    DEFAULT_MAX_MEMBERS,
    FAMILIES,
    TIES,
    VIEWS,
    YEARS,
    Filters,
    NetworkView,
    alignment_targets,
    build_view,
    finish_paths,
    store_select,
)
from clustergraph.web.openapi_responses import ErrorForm, declare, empty, html_page, ok
from clustergraph.web.services import Services, services

CACHE_SIZE = 32
DRAWING_CACHE_SIZE = 16  # drawings' JSON, gzipped (about 0.3 MB each at ECCP scale)
# a view's page waits this long for a view being built, then goes out without it (network.js fills it in)
PLACEHOLDER_AFTER_S = 0.5
PAGE_CACHE_SIZE = 8  # view pages' HTML (about 0.6 MB each at ECCP scale: the metrics table)
GZIP_LEVEL = 6
NETWORK_THREADS = 2  # view builds, renders and exports at once (their own threads, apart from the pages')
# what a web request may ask for: a handful of caps (each view is then cached per build) rather than any number,
# and never 0 (keep all), which at ECCP scale ties the 1,200 registered clusters to each other (720,000 ties)
MAX_MEMBERS_CHOICES = (5, 10, 25, 50, 100, 200)
CACHE_WEIGHT = 2_000_000  # nodes + edges the cached views may hold together
log = logging.getLogger(__name__)
TOP_BROKERS = 10
DESCRIPTIONS = {
    "collaboration": "Cluster organisations tied where they work together in the same project, partnership, pilot "
                     "or consortium; ties weighted by Newman's collaboration weight. Shared registrations, "
                     "networks and programmes are an optional layer (ties=all).",
    "participation": "The two-mode network: clusters, the items they take part in (roles on the ties) and the "
                     "programmes that fund them.",
    "alignment": "Clusters against the S3 innovation ecosystems, EU industrial ecosystems and PNRR components "
                 "they are aligned with.",
    "compare": "The collaboration networks of the 2022 and 2024 reports side by side: ties gained, lost and kept.",
}
APPLIES = {"collaboration": ("family", "year", "max_members", "ties"), "participation": ("family", "year"),
           "alignment": ("year", "ecosystem"), "compare": ("family", "max_members", "ties")}
FAMILY_TEXT = {
    "escp": "European Strategic Cluster Partnerships", "euroclusters": "Euroclusters",
    "i3": "Interregional Innovation Investments (I3)", "vanguard": "Vanguard Initiative",
    "s3-partnerships": "S3 thematic platforms and partnerships", "horizon": "Horizon framework programmes",
    "interreg": "Interreg", "cosme": "COSME and Single Market Programme",
    "national-regional": "National and regional initiatives", "networks": "International networks and platforms",
    "other-eu": "Other EU programmes", "unspecified": "Programme not stated",
}
DOWNLOADS = (  # suffix, what, media type
    (".gexf", "GEXF (Gephi)", "application/gexf+xml"),
    (".graphml", "GraphML", "application/graphml+xml"),
    (".nodes.csv", "nodes and metrics (CSV)", "text/csv; charset=utf-8"),
    (".edges.csv", "edges (CSV)", "text/csv; charset=utf-8"),
    (".json", "node-link JSON", "application/json"),
)
WRITERS: dict[str, Callable[[Any], str | bytes]] = {
    ".gexf": network_export.to_gexf, ".graphml": network_export.to_graphml,
    ".nodes.csv": network_export.nodes_csv, ".edges.csv": network_export.edges_csv,
    ".json": network_export.to_json,
}


# What the spec says each filter takes (the handlers check the values themselves and answer 400 or 404).
ViewParam = Annotated[str, Path(description="The view.", json_schema_extra={"enum": list(VIEWS)})]
FamilyParam = Annotated[str | None, Query(description="Only items of this programme family.",
                                          json_schema_extra={"enum": list(FAMILIES)})]
YearParam = Annotated[str | None, Query(description="Only participations stated in this edition.",
                                        json_schema_extra={"enum": list(YEARS)})]
EcosystemParam = Annotated[str | None, Query(description="Only this ecosystem's IRI (alignment view).")]
ColourParam = Annotated[str | None, Query(description="What colours the nodes.",
                                          json_schema_extra={"enum": list(COLOUR_BY)})]
SizeParam = Annotated[str | None, Query(description="What sizes the nodes.", json_schema_extra={"enum": list(SIZE_BY)})]
MaxMembersParam = Annotated[str | None, Query(
    description="Leave items shared by more clusters than this out of the projection.",
    json_schema_extra={"enum": [str(choice) for choice in MAX_MEMBERS_CHOICES]})]
TiesParam = Annotated[str | None, Query(
    description="Which initiatives tie two clusters: collaboration (default: projects, partnerships, pilots, "
                "consortia) or all (platform registrations, network memberships and programmes too).",
    json_schema_extra={"enum": list(TIES)})]


class ViewCache:
    """The last few built views, by (store build, view, filters); thread-safe, and a view asked for while it
    is being built (by the start-up warm-up or another request) waits for that build instead of repeating it."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._views: OrderedDict[tuple, NetworkView] = OrderedDict()
        self._ecosystems: dict[tuple, list[tuple[str, str, str]]] = {}
        self._lock = threading.Lock()
        self._building: dict[tuple, threading.Lock] = {}
        self._drawings: OrderedDict[tuple, Drawing] = OrderedDict()
        self._pages: OrderedDict[tuple, bytes] = OrderedDict()
        # betweenness and harmonic closeness of the views built, one after the other, after their drawings
        self._paths = ThreadPoolExecutor(max_workers=1, thread_name_prefix="network-paths")
        self._paths_started: set[int] = set()  # id() of the views whose paths were handed to that thread

    def get(self, svc: Services, view: str, filters: Filters) -> NetworkView:
        """The view built on the current store (built now unless cached). A view built now comes back with what
        its drawing needs; betweenness and harmonic closeness follow in the background once :meth:`start_paths`
        (its drawing made, or a page, export or metrics request) asks for them
        (:attr:`NetworkView.paths_ready`, :meth:`NetworkView.wait_for_paths`).

        :raises StoreError: before the first build.
        """
        store = svc.store()
        key = (svc.build_key(), view, filters)
        with self._lock:
            building = self._building.setdefault(key, threading.Lock())
        with building:  # one build per key at a time; later callers find it cached
            try:
                with self._lock:
                    if key in self._views:
                        self._views.move_to_end(key)
                        return self._views[key]
                built = build_view(store_select(store), svc.named_queries, view, filters, defer_paths=True)
                with self._lock:
                    self._views[key] = built
                    while len(self._views) > self.size or (len(self._views) > 1 and self._weight() > CACHE_WEIGHT):
                        self._views.popitem(last=False)
            finally:
                with self._lock:
                    self._building.pop(key, None)
        return built

    def start_paths(self, built: NetworkView) -> None:
        """Hand ``built``'s betweenness and harmonic closeness to the background thread (once). Asked for after
        its drawing is made, so that the first drawing does not share the CPU with them."""
        with self._lock:
            if built.paths_ready or id(built) in self._paths_started:
                return
            self._paths_started.add(id(built))
        self._paths.submit(self._finish_paths, built)

    def _finish_paths(self, built: NetworkView) -> None:
        try:
            finish_paths(built)
        except Exception:  # kept on the view (paths_error); the pages say so
            log.exception("could not compute betweenness and harmonic closeness of the %s view", built.view)
        finally:
            with self._lock:
                self._paths_started.discard(id(built))

    def has(self, svc: Services, view: str, filters: Filters, *, building: bool = False) -> bool:
        """Whether ``view`` with ``filters`` is built on the current store, or with ``building`` being built
        (True when that cannot be told: the caller then builds it and reports the error)."""
        try:
            key = (svc.build_key(), view, filters)
        except Exception:  # noqa: BLE001 - e.g. no build yet: the build reports it
            return True
        with self._lock:
            return key in (self._building if building else self._views)

    def _weight(self) -> int:
        """Nodes and edges of the cached views together (their memory, roughly)."""
        graphs = (getattr(v, "graph", None) for v in self._views.values())
        return sum(g.number_of_nodes() + g.number_of_edges() for g in graphs if g is not None)

    def drawing(self, svc: Services, view: str, query: Query) -> Drawing:
        """The drawing's data (:func:`render.drawing_json`) of ``view`` with ``query``'s filters and drawing
        choices on the current store, gzipped; made once per build (the view built now unless cached), and once
        more when betweenness and harmonic closeness are ready (until then the tooltips say they are being
        computed; a size by betweenness waits for them)."""
        built = self.get(svc, view, query.filters)
        if query.size in PATH_METRICS:
            self.start_paths(built)
            built.wait_for_paths()
        paths = has_paths(built)
        key = (svc.build_key(), view, query.filters, query.colour, query.size, paths)
        with self._lock:
            making = self._building.setdefault(("drawing", *key), threading.Lock())
        with making:  # made once: the start-up warm-up and the first request for it share the work
            try:
                with self._lock:
                    made = self._drawings.get(key)
                    if made is not None:
                        self._drawings.move_to_end(key)
                if made is None:
                    body = drawing_json(built, link=svc.link, colour_by=query.colour, size_by=query.size,
                                        paths=paths)
                    made = Drawing(gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0),
                                   '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
                    with self._lock:
                        self._drawings[key] = made
                        while len(self._drawings) > DRAWING_CACHE_SIZE:
                            self._drawings.popitem(last=False)
            finally:
                with self._lock:
                    self._building.pop(("drawing", *key), None)
        self.start_paths(built)
        return made

    def page(self, key: tuple, render: Callable[[], bytes]) -> bytes:
        """A view page's HTML by ``key`` (store build first), rendered once: at ECCP scale its metrics table
        takes a few hundred milliseconds of Python, on the thread that relays every query answer."""
        with self._lock:
            if key in self._pages:
                self._pages.move_to_end(key)
                return self._pages[key]
        body = render()
        with self._lock:
            self._pages[key] = body
            while len(self._pages) > PAGE_CACHE_SIZE:
                self._pages.popitem(last=False)
        return body

    def warm(self, svc: Services) -> None:
        """Build the default view (collaboration, no filters) and its drawing ahead of their first request; a
        server started before any build, or a failing store, just leaves the cache cold (the request reports
        the error)."""
        try:
            self.drawing(svc, "collaboration", Query(Filters()))
            self.get(svc, "collaboration", Filters()).wait_for_paths()
            self.drawing(svc, "collaboration", Query(Filters()))  # with betweenness, for the later visitors
        except Exception:  # noqa: BLE001 - a warm-up must never take the server down
            log.exception("could not build the default network view ahead of time")

    def ecosystems(self, svc: Services) -> list[tuple[str, str, str]]:
        """(kind, label, IRI) of the ecosystems and PNRR items of the current store (queried once per build)."""
        store = svc.store()
        key = (svc.build_key(), "ecosystems")
        with self._lock:
            if key in self._ecosystems:
                return self._ecosystems[key]
        found = alignment_targets(store_select(store), svc.named_queries)
        with self._lock:
            self._ecosystems = {key: found}
        return found


@dataclass(frozen=True)
class Drawing:
    """A drawing's JSON, gzipped, and its entity tag."""

    gzipped: bytes
    etag: str

    def response(self, request: Request) -> Response:
        """304 for a matching ``If-None-Match``; the gzipped bytes to a client that accepts gzip, else plain."""
        headers = {"ETag": self.etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
        if self.etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        if "gzip" in request.headers.get("accept-encoding", "").lower():
            return Response(self.gzipped, media_type="application/json",
                            headers={**headers, "Content-Encoding": "gzip"})
        return Response(gzip.decompress(self.gzipped), media_type="application/json", headers=headers)


@dataclass
class Query:
    """What a request asks for: the filters, and how the drawing colours and sizes nodes."""

    filters: Filters
    colour: str = "community"
    size: str = "weighted_degree"

    def params(self, *, drawing: bool = True) -> dict[str, str]:
        """Query parameters for links: the filters that are set, and non-default drawing choices."""
        params = self.filters.as_params()
        if drawing and self.colour != "community":
            params["colour"] = self.colour
        if drawing and self.size != "weighted_degree":
            params["size"] = self.size
        return params

    def url(self, path: str, **kwargs: bool) -> str:
        params = self.params(**kwargs)
        return path + ("?" + urlencode(params) if params else "")


def parse_query(family: str | None, year: str | None, ecosystem: str | None, colour: str | None,
                size: str | None, max_members: str | None = None, ties: str | None = None) -> Query:
    """:raises BadRequest: for a bad filter, colour or size."""
    colour, size = colour or "community", size or "weighted_degree"
    if colour not in COLOUR_BY:
        raise BadRequest(f"colour {colour!r} is not one of {', '.join(COLOUR_BY)}")
    if size not in SIZE_BY:
        raise BadRequest(f"size {size!r} is not one of {', '.join(SIZE_BY)}")
    return Query(web_filters(family, year, ecosystem, max_members, ties), colour, size)


def web_filters(family: str | None, year: str | None, ecosystem: str | None, max_members: str | None,
                ties: str | None) -> Filters:
    """:meth:`Filters.parse`, with ``max_members`` one of :data:`MAX_MEMBERS_CHOICES` (each distinct value is a
    view of its own to build and keep; the command line takes any).

    :raises BadRequest: for a bad filter.
    """
    filters = Filters.parse(family, year, ecosystem, max_members, ties)
    if filters.max_members not in MAX_MEMBERS_CHOICES:
        raise BadRequest(f"max_members {filters.max_members} is not one of "
                         f"{', '.join(map(str, MAX_MEMBERS_CHOICES))} here (the command line "
                         "`clustergraph network` takes any cap)")
    return filters


def check_view(view: str) -> str:
    """:raises NotFound: for a view that does not exist."""
    if view not in VIEWS:
        raise NotFound(f"no network view {view!r}; the views are {', '.join(VIEWS)}")
    return view


def download_responses(suffix: str, what: str, media_type: str) -> dict:
    """The export as an attachment, or an error (JSON for the ``.json`` export)."""
    form = ErrorForm.PAGE_OR_JSON if suffix == ".json" else ErrorForm.PAGE
    return declare({200: ok([media_type.split(";")[0]], f"The view as {what}, as an attachment.")},
                   [400, 404, 503], form)


def make_router(services: Services) -> APIRouter:
    """The routes of the network pages and exports (one view cache per app)."""
    pages = NetworkPages(ViewCache())
    services.warm_ups.append(lambda: pages.cache.warm(services))
    router = APIRouter(tags=["network"])
    add = router.add_api_route
    add("/network", pages.index, methods=["GET"], summary="Network views and their filters",
        response_class=HTMLResponse, responses=html_page(400, 503))
    for suffix, what, media_type in DOWNLOADS:
        add(f"/network/{{view}}{suffix}", pages.download(suffix), methods=["GET"], response_class=Response,
            summary=f"Download a network view as {what}", name=f"network-download{suffix.replace('.', '-')}",
            responses=download_responses(suffix, what, media_type))
    add("/network/{view}/graph.json", pages.graph_data, methods=["GET"], response_class=Response,
        summary="The data of a network view's drawing (nodes with positions, colours and tooltips; edges)",
        responses=declare({200: ok(["application/json"], "The drawing's nodes, edges and options (compact "
                                   "JSON; gzipped when accepted)."), 304: empty("Not modified (If-None-Match).")},
                          [400, 404, 503], ErrorForm.PAGE_OR_JSON))
    add("/network/{view}/metrics.json", pages.metrics_data, methods=["GET"], response_class=JSONResponse,
        summary="Betweenness and harmonic closeness of a view's nodes, and its top brokers (computed after the "
                "drawing; the view's page fills them in)",
        responses=declare({200: ok(["application/json"], "Per node IRI: [betweenness, harmonic closeness]; the "
                                   "top brokers; how betweenness was computed.")},
                          [400, 404, 503], ErrorForm.PAGE_OR_JSON))
    add("/network/{view}/graph", pages.graph, methods=["GET"], response_class=HTMLResponse,
        summary="A network view drawn as an HTML page (vis-network from /static; data from graph.json)",
        responses=html_page(400, 404, 503))
    add("/network/{view}", pages.page, methods=["GET"], response_class=HTMLResponse,
        summary="A network view: drawing, SPARQL, metrics, brokers, communities and downloads",
        responses=html_page(400, 404, 503, form=ErrorForm.PAGE_OR_JSON))
    return router


class NetworkPages:
    """The handlers, sharing one view cache."""

    def __init__(self, cache: ViewCache) -> None:
        self.cache = cache
        self._limiter: anyio.CapacityLimiter | None = None

    async def _in_thread(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run ``func`` in a thread of the network views' own pool: a view build takes seconds at ECCP scale
        and must not hold the few threads that render pages and send static files (``page_threads``)."""
        if self._limiter is None:  # made inside the event loop
            self._limiter = anyio.CapacityLimiter(NETWORK_THREADS)
        return await anyio.to_thread.run_sync(functools.partial(func, *args, **kwargs), limiter=self._limiter)

    async def build(self, svc: Services, view: str, filters: Filters) -> NetworkView:
        """The view, built in a network thread if it is not cached; a request waits for it up to the time
        limit, then gets 503 with Retry-After while the build goes on (and is cached for the next request).

        :raises BadRequest: for an ecosystem the store does not have (each would be a view of its own).
        :raises ServerBusy: when the build takes longer than the time limit.
        """
        await self.check_ecosystem(svc, filters)
        build = asyncio.ensure_future(self._in_thread(self.cache.get, svc, view, filters))
        try:
            return await asyncio.wait_for(asyncio.shield(build), timeout=svc.settings.time_limit)
        except TimeoutError as exc:
            raise ServerBusy(f"the {view} view with these filters is being built; try again in a few "
                             "seconds") from exc

    async def paths(self, svc: Services, built: NetworkView) -> NetworkView:
        """``built`` once its betweenness and harmonic closeness are there, waiting up to the time limit.

        :raises ServerBusy: when they take longer.
        """
        self.cache.start_paths(built)
        deadline = asyncio.get_running_loop().time() + svc.settings.time_limit
        while not built.paths_ready:  # polled: no thread held while the background one computes
            if asyncio.get_running_loop().time() > deadline:
                raise ServerBusy(f"betweenness of the {built.view} view is being computed; try again in a few "
                                 "seconds")
            await asyncio.sleep(0.05)
        return built

    async def check_ecosystem(self, svc: Services, filters: Filters) -> None:
        """:raises BadRequest: for an ecosystem the store does not have (each would be a view of its own)."""
        if filters.ecosystem and filters.ecosystem not in {iri for iri, _ in await self.ecosystems(svc)}:
            raise BadRequest(f"ecosystem {filters.ecosystem[:100]!r} is not an S3 ecosystem or PNRR item of the "
                             "data (see the form's list)")

    async def index(self, request: Request, family: FamilyParam = None, year: YearParam = None,
                    ecosystem: EcosystemParam = None, max_members: MaxMembersParam = None, ties: TiesParam = None,
                    svc: Services = Depends(services)) -> Response:
        """The four views, each with a filter form."""
        query = parse_query(family, year, ecosystem, None, None, max_members, ties)
        context = {
            "views": [{"name": v, "description": DESCRIPTIONS[v], "applies": APPLIES[v],
                       "url": query.url(f"/network/{v}")} for v in VIEWS],
            "form": form_context(query, await self.ecosystems(svc)),
        }
        return svc.render(request, "network_index.html", context)

    async def page(self, view: ViewParam, request: Request, family: FamilyParam = None, year: YearParam = None,
                   ecosystem: EcosystemParam = None, colour: ColourParam = None, size: SizeParam = None,
                   max_members: MaxMembersParam = None, ties: TiesParam = None,
                   svc: Services = Depends(services)) -> Response:
        """One view: the drawing in a frame, the SPARQL behind it, metrics, brokers, communities, downloads.

        When the view is not built within ``PLACEHOLDER_AFTER_S`` the page comes back with the filter form, the
        drawing's frame (which waits for the build itself) and a notice; network.js then asks for the whole page
        (header ``X-Network-Part: details``, which waits for the build) and takes its summary and details. Without
        JavaScript the notice says so and the page reloads itself every few seconds until the view is there.
        """
        check_view(view)
        query = parse_query(family, year, ecosystem, colour, size, max_members, ties)
        if request.headers.get("x-network-part") != "details" and not self.cache.has(svc, view, query.filters):
            building = asyncio.ensure_future(self.build(svc, view, query.filters))
            already = self.cache.has(svc, view, query.filters, building=True)  # e.g. the start-up warm-up's
            done, _ = await asyncio.wait({building}, timeout=0.05 if already else PLACEHOLDER_AFTER_S)
            if not done:  # the build goes on (the frame's request waits for it)
                building.add_done_callback(lambda task: task.cancelled() or task.exception())
                context = {**page_context(view, query, await self.form_ecosystems(svc, view)), "building": True,
                           "page_url": query.url(f"/network/{view}")}
                response = svc.render(request, "network_page.html", context)
                response.headers["Cache-Control"] = "no-store"  # a placeholder: the next visit gets the view
                return response
            built = building.result()
        else:
            built = await self.build(svc, view, query.filters)
        self.cache.start_paths(built)  # its cells say 'computing…' and network.js asks for them
        paths = has_paths(built)  # the page is made again once betweenness is there
        key = (svc.build_key(), view, tuple(sorted(query.params().items())), paths, built.paths_error)
        ecosystems = await self.form_ecosystems(svc, view)
        body = await self._in_thread(self.cache.page, key,
                                     lambda: self._page_html(request, svc, view, query, built, paths, ecosystems))
        return HTMLResponse(body)

    @staticmethod
    def _page_html(request: Request, svc: Services, view: str, query: Query, built: NetworkView, paths: bool,
                   ecosystems: list[tuple[str, str]]) -> bytes:
        context = {
            **page_context(view, query, ecosystems),
            "sparql": [sparql_entry(text) for text in built.sparql],
            "metrics_url": query.url(f"/network/{view}/metrics.json", drawing=False),
            **summary(built, svc.link, paths=paths),
        }
        return bytes(svc.render(request, "network_page.html", context).body)

    async def graph(self, view: ViewParam, family: FamilyParam = None, year: YearParam = None,
                    ecosystem: EcosystemParam = None, colour: ColourParam = None, size: SizeParam = None,
                    max_members: MaxMembersParam = None, ties: TiesParam = None,
                   svc: Services = Depends(services)) -> Response:
        """The drawing's page: legends and menus; vis-network from /static, the data from ``graph.json``."""
        check_view(view)
        query = parse_query(family, year, ecosystem, colour, size, max_members, ties)
        built = await self.build(svc, view, query.filters)
        if query.size in PATH_METRICS:
            await self.paths(svc, built)
        html = await self._in_thread(render_html, built, link=svc.link, colour_by=query.colour,
                                       size_by=query.size, data_url=query.url(f"/network/{view}/graph.json"),
                                       paths=has_paths(built))
        return HTMLResponse(html)

    async def graph_data(self, view: ViewParam, request: Request, family: FamilyParam = None,
                         year: YearParam = None, ecosystem: EcosystemParam = None, colour: ColourParam = None,
                         size: SizeParam = None, max_members: MaxMembersParam = None, ties: TiesParam = None,
                         svc: Services = Depends(services)) -> Response:
        """The drawing's data as compact JSON (made once per build, view and drawing choice; gzipped)."""
        check_view(view)
        query = parse_query(family, year, ecosystem, colour, size, max_members, ties)
        built = await self.build(svc, view, query.filters)  # checked, and built within the time limit (cached)
        if query.size in PATH_METRICS:
            await self.paths(svc, built)
        drawing = await self._in_thread(self.cache.drawing, svc, view, query)
        return drawing.response(request)

    async def metrics_data(self, view: ViewParam, family: FamilyParam = None, year: YearParam = None,
                           ecosystem: EcosystemParam = None, max_members: MaxMembersParam = None,
                           ties: TiesParam = None, svc: Services = Depends(services)) -> Response:
        """Betweenness and harmonic closeness per node and the top brokers, once computed (503 with Retry-After
        while they take longer than the time limit)."""
        check_view(view)
        filters = web_filters(family, year, ecosystem, max_members, ties)
        built = await self.paths(svc, await self.build(svc, view, filters))
        return JSONResponse(paths_data(built, svc.link), headers={"Cache-Control": "no-cache"})

    def download(self, suffix: str) -> Callable:
        """The handler of one export format."""
        media_type = next(m for s, _, m in DOWNLOADS if s == suffix)

        async def handler(view: ViewParam, family: FamilyParam = None, year: YearParam = None,
                          ecosystem: EcosystemParam = None, max_members: MaxMembersParam = None, ties: TiesParam = None,
                          svc: Services = Depends(services)) -> Response:
            check_view(view)
            filters = web_filters(family, year, ecosystem, max_members, ties)
            built = await self.paths(svc, await self.build(svc, view, filters))
            body = await self._in_thread(WRITERS[suffix], built.graph)
            name = download_name(view, filters, suffix)
            return Response(body, media_type=media_type,
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})

        handler.__doc__ = f"The view as {suffix[1:]}, with every node's metrics as attributes."
        return handler

    async def form_ecosystems(self, svc: Services, view: str) -> list[tuple[str, str]]:
        """:meth:`ecosystems` for the filter form of ``view``; none where the form has no ecosystem field (a
        query over every alignment, that the first page of a view need not wait for)."""
        return await self.ecosystems(svc) if "ecosystem" in APPLIES[view] else []

    async def ecosystems(self, svc: Services) -> list[tuple[str, str]]:
        """(IRI, 'kind: label') of every ecosystem and PNRR item (the alignment query's rows; no view built)."""
        found = await self._in_thread(self.cache.ecosystems, svc)
        return [(iri, f"{kind}: {label}") for kind, label, iri in found]


def page_context(view: str, query: Query, ecosystems: list[tuple[str, str]]) -> dict[str, Any]:
    """What a view's page shows before its view is built: titles, links, downloads and the filter form."""
    return {
        "view": view,
        "title": f"{view.capitalize()} network",
        "description": DESCRIPTIONS[view],
        "applies": APPLIES[view],
        "ignored": [k for k in query.filters.as_params() if k not in APPLIES[view]],
        "graph_url": query.url(f"/network/{view}/graph"),
        "index_url": query.url("/network", drawing=False),
        "other_views": [(v, query.url(f"/network/{v}")) for v in VIEWS if v != view],
        "downloads": [(what, query.url(f"/network/{view}{suffix}", drawing=False), suffix)
                      for suffix, what, _ in DOWNLOADS],
        "form": form_context(query, ecosystems),
    }


def form_context(query: Query, ecosystems: list[tuple[str, str]]) -> dict[str, Any]:
    """The filter form's choices and current values."""
    return {
        "families": [(name, FAMILY_TEXT.get(name, name)) for name in FAMILIES],
        "years": YEARS,
        "ecosystems": ecosystems,
        "colours": list(COLOUR_BY.items()),
        "sizes": list(SIZE_BY.items()),
        "max_members": query.filters.max_members,
        "ties": query.filters.ties,
        "default_max_members": DEFAULT_MAX_MEMBERS,
        "max_members_choices": MAX_MEMBERS_CHOICES,
        "family": query.filters.family or "",
        "year": query.filters.year or "",
        "ecosystem": query.filters.ecosystem or "",
        "colour": query.colour,
        "size": query.size,
    }


def summary(built: NetworkView, link: Callable[[str], str], *, paths: bool = True) -> dict[str, Any]:
    """Counts, the metrics table rows, the top brokers and the communities of a built view. Without ``paths``
    (betweenness and harmonic closeness still being computed) the rows have None for them and there are no
    brokers yet (``paths_pending``)."""
    graph = built.graph
    hidden = {} if paths else dict.fromkeys(PATH_METRICS)
    rows = [{"iri": n, "href": link(n), **d, **hidden}
            for n, d in sorted(graph.nodes(data=True), key=lambda nd: (str(nd[1].get("label")), nd[0]))]
    label = {n: str(d.get("label") or n) for n, d in graph.nodes(data=True)}
    top = top_brokers(graph, link) if paths else []
    communities = [{"number": i + 1, "members": [(n, label[n], link(n)) for n in sorted(c, key=lambda m: label[m])]}
                   for i, c in enumerate(built.communities)]
    return {
        "nodes": graph.number_of_nodes(),
        "edges": graph.number_of_edges(),
        "modularity": built.modularity,
        "rows": rows,
        "brokers": top,
        "communities": communities,
        "articulation": sorted(label[n] for n, d in graph.nodes(data=True) if d.get("articulation")),
        "paths_pending": not paths and not built.paths_error,
        "paths_error": built.paths_error,
        "betweenness_method": str(graph.graph.get("betweenness", "exact")),
        "betweenness_approximate": betweenness_is_approximate(graph),
        "max_members_used": graph.graph.get("max_members"),
        "left_out": [(i["iri"], i["label"], link(i["iri"]), i["members"]) for i in built.left_out],
        "tie_rule": graph.graph.get("tie_rule"),
        "affiliations": [(i["iri"], i["label"], link(i["iri"]), i["members"]) for i in built.affiliations],
    }


def top_brokers(graph: Any, link: Callable[[str], str]) -> list[tuple[str, str, str, float]]:
    """(IRI, label, href, betweenness) of the top brokers that lie between others."""
    return [(n, str(graph.nodes[n].get("label") or n), link(n), b) for n, b in brokers(graph, TOP_BROKERS) if b > 0]


def paths_data(built: NetworkView, link: Callable[[str], str]) -> dict[str, Any]:
    """What the page fills in once betweenness and harmonic closeness are ready: per node IRI ``[betweenness,
    harmonic]`` (``nodes``), ``brokers`` as ``[IRI, label, href, betweenness]``, the method, and ``error`` when
    they could not be computed (then no numbers)."""
    graph = built.graph
    if built.paths_error:
        return {"error": built.paths_error, "nodes": {}, "brokers": []}
    return {"error": "", "betweenness_method": str(graph.graph.get("betweenness", "exact")),
            "betweenness_approximate": betweenness_is_approximate(graph),
            "nodes": {str(n): [d.get("betweenness", 0.0), d.get("harmonic", 0.0)]
                      for n, d in sorted(graph.nodes(data=True), key=lambda nd: str(nd[0]))},
            "brokers": [list(b) for b in top_brokers(graph, link)]}


def sparql_entry(text: str) -> dict[str, str]:
    """A SPARQL text with its title (from the named query's ``#+ title:`` line) and an editor link."""
    match = re.search(r"^#\+ title:\s*(.+)$", text, re.MULTILINE)
    bound = re.findall(r"^\s*VALUES\s*\(([^)]*)\)\s*\{\s*\((.*)\)\s*\}\s*$", text, re.MULTILINE)
    return {"title": match.group(1).strip() if match else "Query", "text": text,
            "bound": "; ".join(f"{names.strip()} = {values.strip()}" for names, values in bound),
            "editor": "/query?" + urlencode({"query": text})}


def download_name(view: str, filters: Filters, suffix: str) -> str:
    """A safe file name naming the view and its filters, e.g. ``collaboration-vanguard-2024.gexf``."""
    parts = [view, filters.family or "", filters.year or ""]
    if filters.max_members != DEFAULT_MAX_MEMBERS:
        parts.append(f"max{filters.max_members}")
    if filters.ties != "collaboration":
        parts.append(f"ties-{filters.ties}")
    if filters.ecosystem:
        parts.append(filters.ecosystem.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1])
    name = "-".join(p for p in parts if p)
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:120] + suffix
