"""``/store`` (SPARQL 1.1 Graph Store HTTP Protocol) and ``/update`` (SPARQL 1.1 Update).

Reads of ``/store`` are open. Writes, and ``/update`` itself, exist only when a write token is configured,
and need it as ``Authorization: Bearer <token>`` (401 without one, 403 with a wrong one, or from a web page of
another origin: :mod:`clustergraph.web.write_guard`, which also logs every attempt). The default graph
of ``/store?default`` is the union of all graphs, as at ``/sparql``; writes to it go to the store's own
default graph, which is part of that union.

On a remote SPARQL server (``store_url``) writes are forwarded: ``/update`` to the server's Update URL and
``/store`` writes to its Graph Store URL, after the same token check and the same LOAD/SERVICE guard. A route
whose server URL is unknown is not offered (``/update`` answers 404, ``PUT``/``POST``/``DELETE /store`` 405).
Forwarded writes are as atomic as the server makes them, and last until the next ``build --store-url``.
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qsl

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Request
from starlette.responses import FileResponse, Response

from clustergraph.errors import BadRequest, NotFound, UnsupportedMediaType
from clustergraph.iris import PREFIXES
from clustergraph.kg import writes as store_writes
from clustergraph.querying.conneg import negotiate
from clustergraph.querying.media_types import DATASETS, GRAPHS, with_charset
from clustergraph.querying.worker import QueryJob
from clustergraph.sparql.guard import inspect_update
from clustergraph.web.openapi_responses import (
    DATASET_TYPES,
    TRIPLE_TYPES,
    WRITE_SECURITY,
    ErrorForm,
    content,
    declare,
    empty,
    ok,
    query_parameter,
)
from clustergraph.web.rdf_body import check_nesting, read_triples
from clustergraph.web.services import Services, services
from clustergraph.web.sparql_endpoint import endpoint_url, stream_answer
from clustergraph.web.write_guard import authorize_write

SPARQL_UPDATE = "application/sparql-update"
DUMP_FOR = {ox.RdfFormat.N_QUADS: "clustergraph.nq", ox.RdfFormat.TRIG: "clustergraph.trig"}
FORM = "application/x-www-form-urlencoded"
_TRIPLE_FORMATS = {m: f for m, f in GRAPHS.items() if f not in (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS)}
_TARGET = [
    query_parameter("graph", "The graph's IRI.", {"type": "string", "format": "iri"},
                    examples={"example": {"value": "urn:example:graph"}}),
    query_parameter("default", "The default graph (for reads: the union of all graphs).", {"type": "string"},
                    allowEmptyValue=True),
]
_TRIPLES_BODY = {"required": True, "content": content(TRIPLE_TYPES)}
for _media in ("text/turtle", "application/n-triples"):
    _TRIPLES_BODY["content"][_media]["example"] = '<urn:example:s> <urn:example:p> "o" .\n'
_UPDATES = {"insert": {"summary": "Add a triple to a graph",
                       "value": 'INSERT DATA { GRAPH <urn:example:graph> { <urn:example:s> <urn:example:p> "o" } }'},
            "clear": {"summary": "Empty a graph", "value": "CLEAR SILENT GRAPH <urn:example:graph>"}}
_WRITE_ERRORS = [400, 401, 403, 408, 413, 415, 503]
GET_RESPONSES = declare(
    {200: ok(DATASET_TYPES + TRIPLE_TYPES, "Without a target, every graph as TriG or N-Quads; with ?graph=IRI or "
             "?default, that graph as Turtle, N-Triples, JSON-LD or RDF/XML (by Accept).")},
    [400, 404, 406, 503], ErrorForm.PROTOCOL)
PUT_RESPONSES = declare({201: empty("The graph was created."), 204: empty("The graph was replaced.")},
                        _WRITE_ERRORS, ErrorForm.PROTOCOL)
POST_RESPONSES = declare({204: empty("The triples were added.")}, _WRITE_ERRORS, ErrorForm.PROTOCOL)
DELETE_RESPONSES = declare({204: empty("The graph was dropped.")}, [400, 401, 403, 404, 503], ErrorForm.PROTOCOL)
UPDATE_RESPONSES = declare({204: empty("The update was applied.")}, _WRITE_ERRORS, ErrorForm.PROTOCOL)
_UPDATE_DOC = {"security": WRITE_SECURITY, "requestBody": {"required": True, "content": {
    SPARQL_UPDATE: {"schema": {"type": "string"}, "examples": _UPDATES},
    FORM: {"schema": {"type": "object", "required": ["update"], "properties": {"update": {"type": "string"}}},
           "examples": {name: {**example, "value": {"update": example["value"]}}
                        for name, example in _UPDATES.items()}},
}}}


def make_router(svc: Services) -> APIRouter:
    router = APIRouter(tags=["sparql"])
    add = router.add_api_route
    add("/store", store_get, methods=["GET"], summary="Graph Store Protocol: read a graph", response_class=Response,
        responses=GET_RESPONSES, openapi_extra={"parameters": _TARGET})
    add("/store", store_get, methods=["HEAD"], include_in_schema=False)
    remote = svc.remote
    write_doc = {"parameters": _TARGET, "security": WRITE_SECURITY}
    if svc.settings.writable and (remote is None or remote.store_url):
        add("/store", store_put, methods=["PUT"], summary="Replace a graph (token)", response_class=Response,
            status_code=204, responses=PUT_RESPONSES, openapi_extra={**write_doc, "requestBody": _TRIPLES_BODY})
        add("/store", store_post, methods=["POST"], summary="Add to a graph (token)", response_class=Response,
            status_code=204, responses=POST_RESPONSES, openapi_extra={**write_doc, "requestBody": _TRIPLES_BODY})
        add("/store", store_delete, methods=["DELETE"], summary="Drop a graph (token)", response_class=Response,
            status_code=204, responses=DELETE_RESPONSES, openapi_extra=write_doc)
    if svc.settings.writable and (remote is None or remote.update_url):
        add("/update", update, methods=["POST"], summary="SPARQL 1.1 Update (token)", response_class=Response,
            status_code=204, responses=UPDATE_RESPONSES, openapi_extra=_UPDATE_DOC)
    return router


def target_graph(request: Request) -> tuple[bool, str | None]:
    """(a graph was named, its IRI or None for the default graph) from ``?graph=`` / ``?default``.

    :raises BadRequest: for both, repeated or invalid parameters.
    """
    params = request.query_params
    graphs = params.getlist("graph")
    has_default = "default" in params
    if len(graphs) > 1 or (graphs and has_default):
        raise BadRequest("give one of ?graph=IRI or ?default, not both")
    if not graphs:
        return has_default, None
    try:
        ox.NamedNode(graphs[0])
    except ValueError as exc:
        raise BadRequest(f"graph {graphs[0][:100]!r} is not a valid IRI") from exc
    return True, graphs[0]


async def store_get(request: Request, svc: Services = Depends(services)) -> Response:
    """The whole dataset (the N-Quads or TriG dump of the build, written once per build and served as a file),
    or one graph (a query in a worker, under the time limit; ``?default``: the union's distinct triples)."""
    named, graph = target_graph(request)
    accept = request.headers.get("accept")
    if not named:
        media_type = negotiate(accept, list(DATASETS))
        path = await svc.build_files.path_async(DUMP_FOR[DATASETS[media_type]])
        if request.method == "HEAD":
            return Response(b"", media_type=with_charset(media_type), headers={"Vary": "Accept"})
        return FileResponse(path, media_type=with_charset(media_type), headers={"Vary": "Accept"})
    media_type = negotiate(accept, list(_TRIPLE_FORMATS))
    if graph is not None and not svc.store().has_graph(graph):
        raise NotFound(f"the store has no graph {graph}")
    pattern = "GRAPH ?g { ?s ?p ?o }" if graph is None else f"GRAPH {ox.NamedNode(graph)} {{ ?s ?p ?o }}"
    job = QueryJob(sparql=f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {pattern} }}", graph_media_type=media_type,
                   row_cap=0, prefixes=tuple(PREFIXES.items()))
    answer = await svc.pool.run(job, time_limit=svc.settings.time_limit)
    return await stream_answer(answer, media_type, 0, head_only=request.method == "HEAD")


async def _graph_body(request: Request) -> tuple[bytes, ox.RdfFormat]:
    """The request body and the graph format its Content-Type names, checked for nesting (not parsed: the
    embedded store's write worker parses it, :func:`_triples` does for a remote server).

    :raises UnsupportedMediaType: for another Content-Type. :raises BadRequest: for a body that nests too deep
        (:mod:`clustergraph.web.rdf_body`).
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in _TRIPLE_FORMATS:
        raise UnsupportedMediaType(
            f"Content-Type {content_type or '(none)'} is not an RDF graph format; send one of "
            + ", ".join(_TRIPLE_FORMATS)
        )
    body = await request.body()
    fmt = _TRIPLE_FORMATS[content_type]
    await asyncio.to_thread(check_nesting, body, fmt)
    return body, fmt


async def _triples(body: bytes, fmt: ox.RdfFormat) -> list[ox.Triple]:
    """The triples of a body for a remote server (parsed here: that server never sees the raw body)."""
    return await read_triples(body, fmt, fmt.media_type)


def _body_job(kind: str, graph: str | None, body: bytes, fmt: ox.RdfFormat) -> store_writes.WriteJob:
    return store_writes.WriteJob(kind, graph, body=body, media_type=fmt.media_type)


async def store_put(request: Request, svc: Services = Depends(services)) -> Response:
    authorize_write(request, svc.settings.write_token)
    named, graph = _named_target(request)
    existed = graph is None or svc.store().has_graph(graph)
    body, fmt = await _graph_body(request)
    if svc.remote is not None:
        await asyncio.to_thread(svc.remote.put_graph, graph, await _triples(body, fmt))
    else:
        await svc.write(_body_job(store_writes.PUT, graph, body, fmt))
    return Response(status_code=204 if existed else 201)


async def store_post(request: Request, svc: Services = Depends(services)) -> Response:
    authorize_write(request, svc.settings.write_token)
    _, graph = _named_target(request)
    body, fmt = await _graph_body(request)
    if svc.remote is not None:
        await asyncio.to_thread(svc.remote.post_graph, graph, await _triples(body, fmt))
    else:
        await svc.write(_body_job(store_writes.POST, graph, body, fmt))
    return Response(status_code=204)


async def store_delete(request: Request, svc: Services = Depends(services)) -> Response:
    authorize_write(request, svc.settings.write_token)
    _, graph = _named_target(request)
    if graph is not None and not svc.store().has_graph(graph):
        raise NotFound(f"the store has no graph {graph}")
    if svc.remote is not None:
        await asyncio.to_thread(svc.remote.delete_graph, graph)
    else:
        await svc.write(store_writes.WriteJob(store_writes.DELETE, graph))
    return Response(status_code=204)


def _named_target(request: Request) -> tuple[bool, str | None]:
    named, graph = target_graph(request)
    if not named:
        raise BadRequest("writes name their target: ?graph=IRI or ?default")
    return named, graph


async def update(request: Request, svc: Services = Depends(services)) -> Response:
    authorize_write(request, svc.settings.write_token)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    try:
        decoded = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the request body is not UTF-8 (byte {exc.start})") from exc
    if content_type == SPARQL_UPDATE:
        text = decoded
    elif content_type == FORM:
        updates = [v for k, v in parse_qsl(decoded, keep_blank_values=True) if k == "update"]
        if len(updates) != 1:
            raise BadRequest(f"give exactly one 'update' parameter ({len(updates)} given)")
        text = updates[0]
    else:
        raise UnsupportedMediaType(f"Content-Type {content_type or '(none)'}: send {SPARQL_UPDATE} or {FORM}")
    if svc.remote is not None:
        await asyncio.to_thread(svc.remote.update, text)
    else:
        await asyncio.to_thread(inspect_update, text)  # refused here (400) before a worker is started
        await svc.write(store_writes.WriteJob(store_writes.UPDATE, sparql=text, base_iri=endpoint_url(request)))
    return Response(status_code=204)
