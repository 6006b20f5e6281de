"""``/sparql``: the SPARQL 1.1 Protocol (query by GET, POST form and POST ``application/sparql-query``),
with content negotiation, a service description on a bare GET, a time limit per query and a row cap."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import parse_qsl

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Request
from starlette.background import BackgroundTask
from starlette.datastructures import URL
from starlette.responses import RedirectResponse, Response, StreamingResponse

from clustergraph.errors import BadRequest, NotAcceptable, UnsupportedMediaType
from clustergraph.iris import PREFIXES
from clustergraph.querying.conneg import negotiate, parse_accept, prefer, quality
from clustergraph.querying.media_types import (
    GRAPH_ALIASES,
    GRAPHS,
    HTML,
    RESULTS,
    SHORT_NAMES,
    format_preference,
    with_charset,
)
from clustergraph.querying.runner import StreamedAnswer
from clustergraph.querying.worker import QueryJob
from clustergraph.sparql.guard import query_head
from clustergraph.web.openapi_responses import (
    GRAPH_TYPES,
    RESULT_TYPES,
    SPARQL_JSON_SCHEMA,
    TRUNCATION_HEADERS,
    ErrorForm,
    content,
    declare,
    ok,
    query_parameter,
)
from clustergraph.web.service_description import service_description
from clustergraph.web.services import Services, services

FORM = "application/x-www-form-urlencoded"
FORMAT_PARAMETERS = ("format", "output")  # 'output' as Fuseki and Virtuoso read it; SPARQLWrapper sends both
SPARQL_QUERY = "application/sparql-query"
UNCAPPED_TYPES = ("text/csv", "text/tab-separated-values")  # the results rows=all may stream past the row cap
TRUNCATED_HEADER = "X-Clustergraph-Truncated"
SMALL_ANSWER = 64 * 1024  # a first chunk shorter than this may be the whole answer (a worker's chunk size)
ROW_CAP_HEADER = "X-Clustergraph-Row-Cap"
_PROTOCOL_PARAMETERS = [
    query_parameter("default-graph-uri", "Graphs merged into the default graph (default: the union of all graphs).",
                    {"type": "array", "items": {"type": "string"}}),
    query_parameter("named-graph-uri", "Graphs visible to GRAPH patterns.",
                    {"type": "array", "items": {"type": "string"}}),
    query_parameter("timeout", "Seconds this query may run; can only lower the server's limit.",
                    {"type": "number", "exclusiveMinimum": 0}),
    query_parameter("rows", "all: every row of a SELECT, streamed as CSV or TSV (format=csv or tsv), past the row cap; "
                            "the time limit still ends it.", {"type": "string", "enum": ["all"]}),
    query_parameter("format", "Overrides Accept: json, xml, csv, tsv, ttl, nt, jsonld, rdf, trig, nq or a media "
                              "type (json and xml name JSON-LD and RDF/XML for CONSTRUCT and DESCRIBE). May be "
                              "repeated, and given as 'output' too, when every value names the same format.",
                    {"type": "string", "enum": [name for name, media in SHORT_NAMES.items() if media != HTML]
                     + list(RESULTS) + [media for media in GRAPHS if media not in RESULTS]}),
]
EXAMPLES = {
    "select": {"summary": "Cluster organisations", "value": "PREFIX cg: <https://w3id.org/clustergraph/ontology#>\n"
               "SELECT DISTINCT ?cluster WHERE { ?cluster a cg:ClusterOrganisation } LIMIT 5"},
    "ask": {"summary": "Is there any data?", "value": "ASK { ?s ?p ?o }"},
    "construct": {"summary": "A few triples", "value": "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 5"},
    "describe": {"summary": "One resource", "value": "DESCRIBE <https://w3id.org/clustergraph/id/afil>"},
}
_GET_DOC = {"parameters": [
    query_parameter("query", "The SPARQL query. Without it, the service description is returned.",
                    examples=EXAMPLES),
    *_PROTOCOL_PARAMETERS,
]}
_POST_DOC = {
    "parameters": _PROTOCOL_PARAMETERS,
    "requestBody": {"required": True, "content": {
        SPARQL_QUERY: {"schema": {"type": "string"}, "examples": EXAMPLES},
        FORM: {"schema": {"type": "object", "required": ["query"], "properties": {"query": {"type": "string"}}},
               "examples": {name: {**example, "value": {"query": example["value"]}}
                            for name, example in EXAMPLES.items()}},
    }},
}
_ANSWER = ok(RESULT_TYPES + GRAPH_TYPES, "SELECT and ASK results (SPARQL JSON, XML, CSV, TSV) or, for CONSTRUCT "
             "and DESCRIBE, a graph (Turtle, N-Triples, JSON-LD, RDF/XML, TriG, N-Quads), by Accept or format.",
             headers=TRUNCATION_HEADERS)
_ANSWER["content"].update(content(["application/sparql-results+json", "application/json"], SPARQL_JSON_SCHEMA))
GET_RESPONSES = declare({200: {**_ANSWER, "description": _ANSWER["description"] + " Without a query: the "
                                "service description (an RDF graph)."},
                         303: {"description": "A browser (Accept: text/html) asking for the service description is "
                                              "sent to the query editor, /query."}},
                        [400, 406, 503], ErrorForm.PROTOCOL)
POST_RESPONSES = declare({200: _ANSWER}, [400, 406, 408, 413, 415, 503], ErrorForm.PROTOCOL)


@dataclass(frozen=True)
class ProtocolRequest:
    """The parts of a SPARQL Protocol request, however they arrived."""

    query: str | None
    default_graphs: list[str]
    named_graphs: list[str]
    timeout: str | None
    formats: tuple[str, ...]  # the values of 'format' and 'output', in order
    rows: str | None = None


def make_router(services: Services) -> APIRouter:
    router = APIRouter(tags=["sparql"])
    router.add_api_route("/sparql", sparql_get, methods=["GET"], summary="SPARQL query (GET)",
                         openapi_extra=_GET_DOC, response_class=Response, responses=GET_RESPONSES)
    router.add_api_route("/sparql", sparql_get, methods=["HEAD"], include_in_schema=False)
    router.add_api_route("/sparql", sparql_post, methods=["POST"], summary="SPARQL query (POST)",
                         response_class=Response, openapi_extra=_POST_DOC, responses=POST_RESPONSES)
    return router


async def sparql_get(request: Request, svc: Services = Depends(services)) -> Response:
    pairs = list(request.query_params.multi_items())
    if not any(key == "query" for key, _ in pairs):
        _refuse_update(pairs)
        return await _describe_service(request, svc)
    return await run_protocol_query(request, svc, _collect(pairs))


async def sparql_post(request: Request, svc: Services = Depends(services)) -> Response:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    url_pairs = list(request.query_params.multi_items())
    if content_type == FORM:
        pairs = url_pairs + parse_qsl(_utf8(await request.body()), keep_blank_values=True)
        return await run_protocol_query(request, svc, _collect(pairs))
    if content_type == SPARQL_QUERY:
        pairs = [*url_pairs, ("query", _utf8(await request.body()))]
        return await run_protocol_query(request, svc, _collect(pairs))
    raise UnsupportedMediaType(
        f"Content-Type {content_type or '(none)'} is not accepted here; send {SPARQL_QUERY} or {FORM}"
    )


def _utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the request body is not UTF-8 (byte {exc.start})") from exc


def _refuse_update(pairs: list[tuple[str, str]]) -> None:
    if any(key == "update" for key, _ in pairs):
        raise BadRequest("SPARQL Update is not accepted at /sparql; POST it to /update (when writes are enabled)")


def _collect(pairs: list[tuple[str, str]]) -> ProtocolRequest:
    """Check the parameter counts the protocol requires.

    :raises BadRequest: for no query, two queries, an update, or a repeated timeout/rows.
    """
    _refuse_update(pairs)
    queries = [value for key, value in pairs if key == "query"]
    if not queries or not queries[0].strip():
        raise BadRequest("no query: give exactly one 'query' parameter")
    if len(queries) > 1:
        raise BadRequest(f"{len(queries)} queries in one request: give exactly one 'query' parameter")
    single = {}
    for name in ("timeout", "rows"):
        values = [value for key, value in pairs if key == name]
        if len(values) > 1:
            raise BadRequest(f"parameter {name!r} given {len(values)} times")
        single[name] = values[0] if values else None
    return ProtocolRequest(
        query=queries[0],
        default_graphs=[value for key, value in pairs if key == "default-graph-uri"],
        named_graphs=[value for key, value in pairs if key == "named-graph-uri"],
        timeout=single["timeout"],
        formats=tuple(value for key, value in pairs if key in FORMAT_PARAMETERS),
        rows=single["rows"],
    )


def time_limit(svc: Services, requested: str | None) -> float:
    """The server's limit, or a lower one the request asked for.

    :raises BadRequest: for a value that is not a positive number.
    """
    if requested is None or requested == "":
        return svc.settings.time_limit
    try:
        value = float(requested)
    except ValueError as exc:
        raise BadRequest(f"timeout {requested!r} is not a number of seconds") from exc
    if not value > 0:
        raise BadRequest("timeout must be more than 0 seconds")
    return min(value, svc.settings.time_limit)


@functools.lru_cache(maxsize=512)  # clients send few distinct Accept headers; parsing one costs more than a query
def choose_media_types(header: str | None, *, form: str) -> tuple[str, str]:
    """(results media type, graph media type): strict for the query's form, a default for the other.

    :raises NotAcceptable: when the client accepts no serialisation of the query's form.
    """
    results = prefer(header, list(RESULTS))
    graph = prefer(header, list(GRAPHS), GRAPH_ALIASES)
    strict, offered = (graph, GRAPHS) if form in ("CONSTRUCT", "DESCRIBE") else (results, RESULTS)
    if strict is None:
        raise NotAcceptable(f"the answer of a {form} query has none of the media types asked for "
                            f"({(header or '')[:200]}); offered: {', '.join(offered)}")
    return results or next(iter(RESULTS)), graph or next(iter(GRAPHS))


async def run_protocol_query(request: Request, svc: Services, req: ProtocolRequest) -> Response:
    """Check, run and stream one query. Only the query's head is read here; the worker that runs it checks the
    whole text (:func:`clustergraph.sparql.guard.inspect_query`) under the time limit."""
    info = query_head(req.query or "")
    header = format_preference(list(req.formats)) or request.headers.get("accept")
    results_type, graph_type = choose_media_types(header, form=info.form)
    for iri in (*req.default_graphs, *req.named_graphs):
        _check_iri(iri)
    row_cap = row_cap_for(req.rows, svc.settings.row_cap, info.form, results_type)
    job = QueryJob(
        sparql=req.query or "",
        results_media_type=results_type,
        graph_media_type=graph_type,
        default_graph=tuple(req.default_graphs) or None,
        named_graphs=tuple(req.named_graphs) or None,
        union_default_graph=not info.has_dataset_clause,
        row_cap=row_cap,
        byte_cap=svc.settings.answer_cap_mb * 2**20,
        prefixes=tuple(PREFIXES.items()) if info.returns_graph else (),  # only graphs are written with prefixes
        base_iri=endpoint_url(request),
    )
    answer = await svc.pool.run(job, time_limit=time_limit(svc, req.timeout))
    media_type = graph_type if answer.kind == "graph" else results_type
    return await stream_answer(answer, media_type, row_cap, head_only=request.method == "HEAD")


def endpoint_url(request: Request) -> str:
    """The URL the request reached, without query or fragment: what relative IRIs in a query or update resolve
    against, as ``oxigraph serve`` does."""
    scope = request.scope
    host = next((value for name, value in scope["headers"] if name == b"host"), b"")
    server = scope.get("server")
    return _endpoint_url(scope.get("scheme", "http"), host, tuple(server) if server else None,
                         scope.get("root_path", ""), scope["path"])


@functools.lru_cache(maxsize=256)
def _endpoint_url(scheme: str, host: bytes, server: tuple | None, root_path: str, path: str) -> str:
    scope = {"type": "http", "scheme": scheme, "server": server, "root_path": root_path, "path": path,
             "query_string": b"", "headers": [(b"host", host)] if host else []}
    return str(URL(scope=scope))


def row_cap_for(rows: str | None, row_cap: int, form: str, results_type: str) -> int:
    """The row cap for this request: the server's, or none (0) for ``rows=all`` on a SELECT answered as CSV or
    TSV. Those stream row by row and hold no answer in memory; the time limit still ends them.

    :raises BadRequest: for another value, another form or another format.
    """
    if rows is None or rows == "":
        return row_cap
    if rows != "all":
        raise BadRequest(f"rows={rows[:20]!r} is not understood; the only value is rows=all")
    if form != "SELECT" or results_type not in UNCAPPED_TYPES:
        raise BadRequest("rows=all streams the whole answer of a SELECT as CSV or TSV only: ask with format=csv "
                         "or format=tsv (for whole graphs, use the dumps at /dumps/ or /store)")
    return 0


def _check_iri(iri: str) -> None:
    try:
        ox.NamedNode(iri)
    except ValueError as exc:
        raise BadRequest(f"graph IRI {iri[:100]!r} is not a valid IRI") from exc


async def stream_answer(answer: StreamedAnswer, media_type: str, row_cap: int, *, head_only: bool = False) -> Response:
    """A streaming response over the worker's chunks; errors before the first chunk become statuses."""
    chunks = answer.chunks()
    try:
        first = await anext(chunks, b"")
    except BaseException:
        answer.close()
        raise
    headers = {"Vary": "Accept"}
    if answer.truncated:
        headers[TRUNCATED_HEADER] = "true"
        headers[ROW_CAP_HEADER] = str(row_cap)
    if head_only:
        await chunks.aclose()
        return Response(b"", media_type=with_charset(media_type), headers=headers)
    second = b""
    if len(first) < SMALL_ANSWER:  # most answers are one chunk: look for the end, then send them whole
        try:
            second = await anext(chunks, None)
        except BaseException:
            answer.close()
            raise
        if second is None:
            return Response(first, media_type=with_charset(media_type), headers=headers)

    async def body() -> AsyncIterator[bytes]:
        try:
            yield first
            if second:
                yield second
            async for chunk in chunks:
                yield chunk
        finally:
            await chunks.aclose()

    return StreamingResponse(body(), media_type=with_charset(media_type), headers=headers,
                             background=BackgroundTask(answer.close))


async def _describe_service(request: Request, svc: Services) -> Response:
    accept = request.headers.get("accept")
    media_type = negotiate(accept, [*GRAPHS, HTML])
    if media_type == HTML and quality(parse_accept(accept), HTML) > quality(parse_accept(accept), "text/turtle"):
        return RedirectResponse("/query", status_code=303, headers={"Vary": "Accept"})
    if media_type == HTML:
        media_type = "text/turtle"
    endpoint = endpoint_url(request)
    triples = service_description(svc, endpoint, await svc.build_files.value_async("graph-sizes"))
    body = ox.serialize(triples, format=GRAPHS[media_type], prefixes=_SD_PREFIXES)
    return Response(body, media_type=with_charset(media_type), headers={"Vary": "Accept"})


_SD_PREFIXES = {"sd": "http://www.w3.org/ns/sparql-service-description#", "void": "http://rdfs.org/ns/void#",
                "formats": "http://www.w3.org/ns/formats/", "dct": "http://purl.org/dc/terms/"}
