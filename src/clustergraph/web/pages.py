"""HTML pages for people: home, browse, the SPARQL editor, the named queries and the settings.

Data gathering lives in :mod:`clustergraph.web.catalogue`; errors become pages in :mod:`errors`.
Everything the data says is escaped by Jinja's autoescape; hrefs come only from ``svc.link``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import Response

from clustergraph import __version__
from clustergraph.errors import NamedQueryError, NotFound, StoreError
from clustergraph.iris import compact
from clustergraph.querying.named import NamedQuery, Param
from clustergraph.web import browse_lists, catalogue
from clustergraph.web.named_api import NamedResult, parameter_values, run_named
from clustergraph.web.openapi_responses import ErrorForm, html_page, query_parameter
from clustergraph.web.resource_view import labels_for
from clustergraph.web.services import Services, services

log = logging.getLogger("clustergraph.web")

DUMPS = (("Turtle (union of all graphs)", "/dumps/clustergraph.ttl"),
         ("N-Quads (with named graphs)", "/dumps/clustergraph.nq"),
         ("TriG (with named graphs)", "/dumps/clustergraph.trig"))
DEFAULT_QUERY = """PREFIX cg: <https://w3id.org/clustergraph/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?cluster ?label ?acronym WHERE {
  ?cluster a cg:ClusterOrganisation ; skos:prefLabel ?label .
  OPTIONAL { ?cluster cg:acronym ?acronym }
  FILTER (lang(?label) = "en")
}
ORDER BY ?label
"""
INPUT_TYPES = {"iri": "text", "integer": "number", "year": "number", "string": "text", "langstring": "text",
               "searchtext": "search"}
KindParam = Annotated[str, Path(description="The kind of resource.",
                                json_schema_extra={"enum": [kind.slug for kind in catalogue.KINDS]})]


def make_router(services: Services) -> APIRouter:
    """The routes of the HTML pages."""
    router = APIRouter(tags=["pages"])
    services.warm_ups.append(lambda: _warm(services))
    add = router.add_api_route
    add("/", home, methods=["GET"], summary="Home: what the graph holds", response_class=Response,
        responses=html_page(503))
    add("/browse", browse_index, methods=["GET"], summary="Browsable kinds", response_class=Response,
        responses=html_page(503))
    add("/browse/{kind}", browse_kind, methods=["GET"], summary="Resources of one kind", response_class=Response,
        responses=html_page(400, 404, 503, form=ErrorForm.PAGE_OR_JSON),
        openapi_extra={"parameters": [
            query_parameter("q", "Only resources whose names contain this text."),
            *(query_parameter(name, f"Only resources with this {what} (an IRI or compact IRI; repeat for any of "
                              "several).", {"type": "array", "items": {"type": "string"}}, explode=True)
              for name, what in (("kind", "kind (class or cluster type)"), ("ecosystem", "S3 reference ecosystem"),
                                 ("family", "initiative family"), ("programme", "funding programme"),
                                 ("adopter", "adopting body"), ("source", "source document (edition)"))),
            query_parameter("sort", "Sort by: name, members, initiatives, partners or contribution (as the kind "
                            "offers).", {"type": "string", "default": "name"}),
            query_parameter("order", "Sort order.", {"type": "string", "enum": ["asc", "desc"], "default": "asc"}),
            query_parameter("page", f"Page ({browse_lists.PAGE_SIZE} rows each).",
                            {"type": "integer", "minimum": 1, "default": 1})]})
    add("/search", search_page, methods=["GET"], summary="Find resources by name", response_class=Response,
        responses=html_page(503),
        openapi_extra={"parameters": [query_parameter("q", "Text the names contain (accents and case aside).")]})
    add("/query", query_page, methods=["GET"], summary="SPARQL editor", response_class=Response,
        responses=html_page(),
        openapi_extra={"parameters": [query_parameter("query", "SPARQL to put in the editor and run on load.")]})
    add("/queries", named_queries_page, methods=["GET"], summary="Named queries", response_class=Response,
        responses=html_page())
    add("/queries/{name}", named_query_page, methods=["GET"], summary="Run one named query",
        response_class=Response, responses=html_page(400, 404, 503, form=ErrorForm.PAGE_OR_JSON))
    add("/settings", settings_page, methods=["GET"], summary="Settings and version", response_class=Response,
        responses=html_page())
    return router


def home(request: Request, svc: Services = Depends(services)) -> Response:
    """Counts by class, the source documents and graphs, the report editions and where to go next."""
    context = {**svc.build_files.value("home"), "kinds": catalogue.KINDS, "dumps": DUMPS,
               "named_queries": sorted(svc.named_queries.values(), key=lambda q: q.title), "compact": compact}
    return svc.render(request, "home.html", context)


def _warm(svc: Services) -> None:
    """Start computing what the pages read once per build (labels, home page facts, browse lists, VoID
    statistics...) in the build-files child, so few visitors wait for them; the dumps wait for their first
    download."""
    try:
        svc.build_files.warm(name for name in svc.build_files.products if not name.startswith("clustergraph."))
    except Exception:  # noqa: BLE001 - a warm-up must never stop the server; the page reports errors itself
        log.exception("could not compute the home page ahead of time")


def home_facts(svc: Services) -> dict[str, Any]:
    """What the home page shows of the data (computed once per build: seconds at ECCP scale)."""
    select = svc.select
    labels = svc.build_files.value("labels")
    sources = catalogue.source_documents(select, labels)
    return {
        "counts": catalogue.home_counts(select),
        "sources": sources,
        "other_graphs": catalogue.other_graphs(select, labels, sources),
        "editions": catalogue.editions(select, sources),
        "totals": catalogue.totals(select),
    }


def browse_index(request: Request, svc: Services = Depends(services)) -> Response:
    """The browsable kinds with their counts."""
    counts = svc.build_files.value("kind-counts")
    return svc.render(request, "browse.html", {"kinds": catalogue.KINDS, "counts": counts})


def search_page(request: Request, svc: Services = Depends(services)) -> Response:
    """Every resource whose names contain ``?q=``, accents and case aside (``mobilita`` finds "Mobilità")."""
    query = request.query_params.get("q", "")[: catalogue.MAX_SEARCH]
    index = svc.build_files.value("search-index")
    hits = catalogue.search(index, query)
    return svc.render(request, "search.html", {"q": query, "hits": hits, "limit": catalogue.SEARCH_LIMIT})


def browse_kind(kind: KindParam, request: Request, svc: Services = Depends(services)) -> Response:
    """One kind's resources as a table: narrowed by ``?q=`` (a case-insensitive substring of the names) and by
    facets (``?kind=``, ``?ecosystem=``, ``?family=``, ``?programme=``, ``?source=``, repeatable), sorted by
    ``?sort=`` and ``?order=``, one ``?page=`` at a time.

    :raises NotFound: for an unknown kind.
    :raises BadRequest: naming the parameter, for a sort, order, page or facet value the list does not have.
    """
    chosen = catalogue.KINDS_BY_SLUG.get(kind)
    if chosen is None:
        raise NotFound(f"no browsable kind {kind!r}; known kinds: {', '.join(catalogue.KINDS_BY_SLUG)}")
    labels = svc.build_files.value("labels")
    index = browse_index_of(svc, chosen)
    state = browse_lists.parse_state(index, request.query_params.multi_items(), catalogue.MAX_SEARCH)
    listing = browse_lists.listing(index, state, labels)
    entries = catalogue.page_entries(svc.select, chosen, labels, [(r.row.iri, r.row.types) for r in listing.rows])
    context = {"kind": chosen, "rows": list(zip(listing.rows, entries, strict=True)), "listing": listing,
               "state": state, "q": state.q, "sorts": browse_lists.SORTS.get(chosen.slug, ()), "compact": compact}
    return svc.render(request, "browse_class.html", context)


def browse_index_of(svc: Services, kind: catalogue.Kind) -> browse_lists.Index:
    """The browse index of ``kind`` for the current build (computed once per build in the build-files child:
    seconds at ECCP scale)."""
    return svc.build_files.value(f"browse-index-{kind.slug}")


def query_page(request: Request, svc: Services = Depends(services)) -> Response:
    """The SPARQL editor; ``?query=`` prefills it and runs it on load."""
    given = request.query_params.get("query")
    examples = [{"name": q.name, "title": q.title, "sparql": example_text(q)}
                for q in sorted(svc.named_queries.values(), key=lambda q: q.title)]
    context = {"query": given if given is not None else DEFAULT_QUERY, "autorun": bool(given),
               "examples": examples, "base_iri": svc.settings.base_iri, "row_cap": svc.settings.row_cap,
               "time_limit": svc.settings.time_limit, "dumps": DUMPS}
    return svc.render(request, "editor.html", context)


def example_text(query: NamedQuery) -> str:
    """A named query's SPARQL with its defaults bound, or as written when it cannot be bound alone."""
    try:
        return query.bind({})
    except NamedQueryError:
        return query.sparql


def named_queries_page(request: Request, svc: Services = Depends(services)) -> Response:
    """Every named query with its description and parameters: the analysts' questions first, the queries that
    feed the network views apart."""
    queries = sorted(svc.named_queries.values(), key=lambda q: q.title)
    groups = [("questions", "Questions", [q for q in queries if q.group == "questions"]),
              ("network", "Queries behind the network views", [q for q in queries if q.group == "network"]),
              ("browse", "Queries behind the browse lists", [q for q in queries if q.group == "browse"])]
    return svc.render(request, "named_queries.html", {"queries": queries, "groups": groups})


async def named_query_page(name: str, request: Request, svc: Services = Depends(services)) -> Response:
    """A form for the query's parameters, its results, links to the API and the SPARQL it runs.

    Bad parameter values give the form again with the message and status 400.

    :raises NotFound: for an unknown query name.
    """
    query = svc.named_queries.get(name)
    if query is None:
        raise NotFound(f"no named query {name!r}; see /queries for the list")
    values = parameter_values(request, query)
    form = {p.name: values.get(p.name, p.default or "") for p in query.params}
    context: dict[str, Any] = {"query": query, "form": form,
                               "inputs": [input_for(p, choices_for(svc, query, p)) for p in query.params],
                               "result": None, "error": None, "compact": compact,
                               "api": api_links(query.name, values)}
    missing = [p.name for p in query.params if p.required and not form[p.name]]
    if missing and not values:
        context["error"] = f"Give a value for {', '.join(missing)} and run the query."
        return svc.render(request, "named_query.html", context)
    try:
        sparql = query.bind(values)
    except NamedQueryError as exc:
        context["error"] = str(exc)
        return svc.render(request, "named_query.html", context, status_code=400)
    result: NamedResult = await run_named(svc, query, sparql, request.query_params.get("timeout"))
    labels = result_labels(svc, result)
    context.update(result=result, editor=f"/query?query={quote(sparql, safe='')}", dumps=DUMPS,
                   every_row=f"/sparql?query={quote(sparql, safe='')}&format=csv&rows=all", labels=labels,
                   number=number_text, chart=chart_data(query, result, labels))
    return svc.render(request, "named_query.html", context)


def chart_data(query: NamedQuery, result: NamedResult, labels: dict[str, str]) -> str | None:
    """The JSON the result chart draws (``#+ chart:``): one group of bars per row, a series per number column
    (headed as the table heads it; a missing value stays a gap, never a zero); None without a chart line."""
    if query.chart is None or not result.bindings:
        return None
    category, series = query.chart

    def name(cell: dict[str, Any] | None) -> str:
        if cell is None:
            return ""
        return labels.get(cell["value"], cell["value"]) if cell.get("type") == "uri" else cell["value"]

    def value(cell: dict[str, Any] | None) -> float | None:
        try:
            return float(cell["value"]) if cell is not None else None
        except ValueError:
            return None

    data = {"labels": [name(row.get(category)) for row in result.bindings],
            "series": [{"label": query.column(var).header, "values": [value(row.get(var)) for row in result.bindings]}
                       for var in series]}
    return json.dumps(data).replace("</", "<\\/")


LABELLED_IRIS_CAP = 4000  # beyond that many distinct IRIs a table shows their short forms


def result_labels(svc: Services, result: NamedResult) -> dict[str, str]:
    """The label of every IRI in a result (so tables show names, not IRIs), up to a cap."""
    iris = sorted({cell["value"] for row in result.bindings for cell in row.values() if cell.get("type") == "uri"})
    return labels_for(svc.store(), iris[:LABELLED_IRIS_CAP]) if iris else {}


_NUMBER_TYPES = {"http://www.w3.org/2001/XMLSchema#" + t for t in (
    "integer", "nonNegativeInteger", "positiveInteger", "long", "int", "decimal", "double", "float")}


def number_text(cell: dict[str, Any]) -> str:
    """A literal as shown in a table: numbers with thousands separators (years and small counts as they are).

    >>> number_text({"type": "literal", "value": "9765017", "datatype": "http://www.w3.org/2001/XMLSchema#decimal"})
    '9,765,017'
    >>> number_text({"type": "literal", "value": "2022", "datatype": "http://www.w3.org/2001/XMLSchema#integer"})
    '2022'
    """
    value = cell.get("value", "")
    if cell.get("datatype") not in _NUMBER_TYPES:
        return value
    try:
        number = float(value)
    except ValueError:
        return value
    if abs(number) < 10_000:
        return value
    return f"{number:,.0f}" if number == int(number) else f"{number:,.2f}"


CHOICES_CAP = 2000  # a picker lists at most this many resources; past that the IRI is typed


def choices_for(svc: Services, query: NamedQuery, param: Param) -> list[tuple[str, str]]:
    """(IRI, label) of every instance of the class the query file names for ``param``, sorted by label; []
    when it names none or there are too many to list."""
    cls = query.choice_class(param.name)
    if cls is None:
        return []

    def load() -> list[tuple[str, str]]:
        rows = svc.store().query(
            f"SELECT DISTINCT ?x WHERE {{ ?x a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* <{cls}> "
            f"FILTER (isIRI(?x)) }} LIMIT {CHOICES_CAP + 1}")
        iris = [row["x"].value for row in rows]
        if len(iris) > CHOICES_CAP:
            return []
        labels = labels_for(svc.store(), iris)
        return sorted(((iri, labels.get(iri) or compact(iri)) for iri in iris), key=lambda c: (c[1].lower(), c[0]))

    return svc.memo(f"choices:{cls}", load)


def input_for(param: Param, choices: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """How a parameter is asked for in the form: the input type, a hint, and the list to pick from."""
    hints = {"iri": "an IRI, for example https://w3id.org/clustergraph/id/afil", "year": "a four-digit year",
             "integer": "a whole number", "langstring": "text@lang, for example Lombardia@it", "string": "text",
             "searchtext": "part of a name; case and accents are ignored"}
    return {"param": param, "type": INPUT_TYPES.get(param.type, "text"), "choices": choices or [],
            "hint": "pick one by name" if choices else hints.get(param.type, ""), "year": param.type == "year"}


def api_links(name: str, values: dict[str, str]) -> dict[str, str]:
    """The JSON and CSV API URLs for the same parameters."""
    given = [(key, value) for key, value in values.items() if value != ""]
    base = f"/api/queries/{quote(name)}"
    return {fmt: f"{base}?{urlencode([*given, ('format', fmt)])}" for fmt in ("json", "csv")}


def settings_page(request: Request, svc: Services = Depends(services)) -> Response:
    """The settings in force (secrets masked), the version and the current store build."""
    rows = [{"name": s.name, "value": value, "help": s.help, "env": s.env_var, "flag": s.flag,
             "default": "(secret)" if s.secret else s.default} for s, value in svc.settings.public_items()]
    context = {"rows": rows, "build": build_info(svc), "version_text": __version__,
               "read_only": not svc.settings.writable}
    return svc.render(request, "settings.html", context)


def build_info(svc: Services) -> dict[str, Any]:
    """The current build's name, time and size, or why there is none (or the remote server's URL and size)."""
    if svc.remote is not None:
        try:
            size: int | None = svc.store().quad_count()
        except StoreError:
            size = None
        return {"name": svc.remote.query_url, "remote": True, "quads": size}
    current = svc.store_root.current()
    if current is None:
        return {"name": None}
    built = dt.datetime.fromtimestamp(current.stat().st_mtime, tz=dt.timezone.utc)
    try:
        quads: int | None = svc.store().quad_count()
    except StoreError:
        quads = None
    return {"name": current.name, "built": built.strftime("%Y-%m-%d %H:%M:%S UTC"), "quads": quads}

