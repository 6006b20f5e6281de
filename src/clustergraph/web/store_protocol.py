"""``/store`` (SPARQL 1.1 Graph Store HTTP Protocol) and ``/update`` (SPARQL 1.1 Update).

Reads of ``/store`` are open. Writes, and ``/update`` itself, exist only when a write token is configured,
and need it as ``Authorization: Bearer <token>`` (401 without one, 403 with a wrong one). The default graph
of ``/store?default`` is the union of all graphs, as at ``/sparql``; writes to it go to the store's own
default graph, which is part of that union.

On a remote SPARQL server (``store_url``) writes are forwarded: ``/update`` to the server's Update URL and
``/store`` writes to its Graph Store URL, after the same token check and the same LOAD/SERVICE guard. A route
whose server URL is unknown is not offered (``/update`` answers 404, ``PUT``/``POST``/``DELETE /store`` 405).
Forwarded writes are as atomic as the server makes them, and last until the next ``build --store-url``.
"""

from __future__ import annotations

import asyncio
import hmac
from urllib.parse import parse_qsl

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from clustergraph import store_writes
from clustergraph.conneg import negotiate
from clustergraph.errors import BadRequest, Forbidden, NotFound, Unauthorized, UnsupportedMediaType
from clustergraph.iris import PREFIXES
from clustergraph.media_types import DATASETS, GRAPHS, with_charset
from clustergraph.web.services import Services, services

SPARQL_UPDATE = "application/sparql-update"
FORM = "application/x-www-form-urlencoded"
_TRIPLE_FORMATS = {m: f for m, f in GRAPHS.items() if f not in (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS)}


def make_router(svc: Services) -> APIRouter:
    router = APIRouter(tags=["sparql"])
    router.add_api_route("/store", store_get, methods=["GET"], summary="Graph Store Protocol: read a graph",
                         response_class=Response)
    router.add_api_route("/store", store_get, methods=["HEAD"], include_in_schema=False)
    remote = svc.remote
    if svc.settings.writable and (remote is None or remote.store_url):
        router.add_api_route("/store", store_put, methods=["PUT"], summary="Replace a graph (token)")
        router.add_api_route("/store", store_post, methods=["POST"], summary="Add to a graph (token)")
        router.add_api_route("/store", store_delete, methods=["DELETE"], summary="Drop a graph (token)")
    if svc.settings.writable and (remote is None or remote.update_url):
        router.add_api_route("/update", update, methods=["POST"], summary="SPARQL 1.1 Update (token)",
                             response_class=Response)
    return router


def require_token(request: Request, svc: Services) -> None:
    """:raises Unauthorized: without a bearer token. :raises Forbidden: with a wrong one."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("writes need the write token as 'Authorization: Bearer <token>'")
    if not hmac.compare_digest(token.strip().encode(), svc.settings.write_token.encode()):
        raise Forbidden("the write token is wrong")


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
    named, graph = target_graph(request)
    store = svc.store()
    accept = request.headers.get("accept")
    if not named:
        media_type = negotiate(accept, list(DATASETS))
        quads = store.quads()
        body = ox.serialize(quads, format=DATASETS[media_type], prefixes=PREFIXES)
    else:
        media_type = negotiate(accept, list(_TRIPLE_FORMATS))
        if graph is not None and not store.has_graph(graph):
            raise NotFound(f"the store has no graph {graph}")
        triples = store.graph_triples(graph)
        body = ox.serialize(triples, format=_TRIPLE_FORMATS[media_type], prefixes=PREFIXES)
    if request.method == "HEAD":
        body = b""
    return Response(body, media_type=with_charset(media_type), headers={"Vary": "Accept"})


async def _triples_from_body(request: Request) -> list[ox.Triple]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in _TRIPLE_FORMATS:
        raise UnsupportedMediaType(
            f"Content-Type {content_type or '(none)'} is not an RDF graph format; send one of "
            + ", ".join(_TRIPLE_FORMATS)
        )
    body = await request.body()
    try:
        return [q.triple for q in ox.parse(body, format=_TRIPLE_FORMATS[content_type])]
    except SyntaxError as exc:
        raise BadRequest(f"request body ({content_type}): {exc.msg}") from exc


async def store_put(request: Request, svc: Services = Depends(services)) -> Response:
    require_token(request, svc)
    named, graph = _named_target(request)
    existed = graph is None or svc.store().has_graph(graph)
    triples = await _triples_from_body(request)
    if svc.remote is not None:
        await asyncio.to_thread(svc.remote.put_graph, graph, triples)
    else:
        await asyncio.to_thread(store_writes.put_graph, svc.store_root, graph, triples)
    return Response(status_code=204 if existed else 201)


async def store_post(request: Request, svc: Services = Depends(services)) -> Response:
    require_token(request, svc)
    _, graph = _named_target(request)
    triples = await _triples_from_body(request)
    if svc.remote is not None:
        await asyncio.to_thread(svc.remote.post_graph, graph, triples)
    else:
        await asyncio.to_thread(store_writes.post_graph, svc.store_root, graph, triples)
    return Response(status_code=204)


async def store_delete(request: Request, svc: Services = Depends(services)) -> Response:
    require_token(request, svc)
    _, graph = _named_target(request)
    if graph is not None and not svc.store().has_graph(graph):
        raise NotFound(f"the store has no graph {graph}")
    if svc.remote is not None:
        await asyncio.to_thread(svc.remote.delete_graph, graph)
    else:
        await asyncio.to_thread(store_writes.delete_graph, svc.store_root, graph)
    return Response(status_code=204)


def _named_target(request: Request) -> tuple[bool, str | None]:
    named, graph = target_graph(request)
    if not named:
        raise BadRequest("writes name their target: ?graph=IRI or ?default")
    return named, graph


async def update(request: Request, svc: Services = Depends(services)) -> Response:
    require_token(request, svc)
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
        await asyncio.to_thread(store_writes.apply_update, svc.store_root, text)
    return Response(status_code=204)
