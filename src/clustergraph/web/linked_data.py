"""Dereferenceable IRIs: every data IRI (``/id/…``), named graph (``/graph/…``) and the ontology document
(``/ontology``, terms as ``/ontology#Term``) answers at its own path on this server, for GET and HEAD.

Representations: an HTML page, or Turtle, N-Triples, JSON-LD, RDF/XML, and TriG / N-Quads (which keep the
named graph, i.e. the source document, of every triple). A format is picked, in this order, by an explicit
suffix (``/id/afil.ttl``), by ``?format=`` (``ttl``, ``nt``, ``jsonld``, ``rdf``, ``trig``, ``nq``, ``html``
or a media type), or by ``Accept``.

Negotiation choice: HTML is offered first only when the ``Accept`` header names ``text/html`` (or
``text/*``) explicitly; otherwise it is offered last. So browsers (which send ``text/html`` explicitly) get
the page, while a request with no ``Accept`` or only ``*/*`` gets Turtle, which is what linked-data clients
expect. A client that ranks an RDF type above ``text/html`` still gets RDF. Every answer says
``Vary: Accept`` and lists the other representations in ``Link: <…>; rel="alternate"`` headers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import Response

from clustergraph.errors import BadRequest, NotAcceptable, NotFound
from clustergraph.iris import ONTOLOGY_GRAPH, PREFIXES
from clustergraph.querying.conneg import negotiate, parse_accept
from clustergraph.querying.media_types import (
    DATASETS,
    GRAPH_ALIASES,
    GRAPH_COUNTERPART,
    GRAPHS,
    HTML,
    SUFFIX_FOR,
    from_format_parameter,
    with_charset,
)
from clustergraph.web import ontology_doc, profile, resource_view, topic_cards
from clustergraph.web.openapi_responses import ErrorForm, declare, ok, query_parameter
from clustergraph.web.services import Services, services

# RDF media types in the server's order of preference (text/plain is N-Triples for plain clients).
RDF_TYPES: list[str] = ["text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml",
                        "application/trig", "application/n-quads", "text/plain"]
MEDIA_FOR_SUFFIX: dict[str, str] = {suffix: media for media, suffix in SUFFIX_FOR.items()}
ALTERNATES: list[str] = [m for m in SUFFIX_FOR if m != HTML] + [HTML]
FORMAT_PARAMETER = query_parameter("format", "Overrides Accept: ttl, nt, jsonld, rdf, trig, nq, html or a media "
                                             "type (a suffix such as .ttl on the path overrides both).",
                                   {"type": "string", "enum": [*SUFFIX_FOR.values(), *RDF_TYPES, HTML]})
_DESCRIPTION = ("An HTML page, or the triples in Turtle, N-Triples, JSON-LD, RDF/XML, TriG or N-Quads (with the "
                "source graph of each), by suffix, ?format= or Accept.")
RESOURCE_RESPONSES = declare({200: ok([HTML, *RDF_TYPES], _DESCRIPTION)}, [400, 404, 406, 503],
                             ErrorForm.PAGE_OR_JSON)
ONTOLOGY_RESPONSES = declare({200: ok([HTML, *RDF_TYPES], _DESCRIPTION)}, [400, 406, 503], ErrorForm.PAGE)


def make_router(svc: Services) -> APIRouter:
    """Routes for /id/…, /graph/… and /ontology (with format suffixes)."""
    router = APIRouter(tags=["linked data"])
    add = router.add_api_route
    doc = {"parameters": [FORMAT_PARAMETER]}
    for path in ("/id/{rest:path}", "/graph/{rest:path}"):
        add(path, resource, methods=["GET"], response_class=Response, responses=RESOURCE_RESPONSES,
            summary="Dereference a data IRI (HTML or RDF by Accept, suffix or ?format=)", openapi_extra=doc)
        add(path, resource, methods=["HEAD"], include_in_schema=False)
    add("/ontology", ontology, methods=["GET"], response_class=Response, responses=ONTOLOGY_RESPONSES,
        summary="The ontology and its controlled vocabularies (HTML or RDF)", openapi_extra=doc)
    add("/ontology", ontology, methods=["HEAD"], include_in_schema=False)
    add("/ontology.{suffix}", ontology_suffix, methods=["GET", "HEAD"], response_class=Response,
        include_in_schema=False)
    return router


def offered_types(accept: str | None, rdf_types: list[str]) -> list[str]:
    """``rdf_types`` plus HTML: HTML first only when Accept names text/html or text/* explicitly."""
    explicit = any(r.type == "text" and r.subtype in ("html", "*") and r.q > 0 for r in parse_accept(accept))
    return [HTML, *rdf_types] if explicit else [*rdf_types, HTML]


def choose_media_type(request: Request, suffix: str | None, rdf_types: list[str] = RDF_TYPES,
                      html: bool = True) -> str:
    """The media type to answer with: suffix, then ``?format=``, then Accept. ``application/json`` (in Accept,
    or ``format=json``) is JSON-LD, as ``application/xml`` is RDF/XML.

    :raises BadRequest: for a ``format`` this resource has no representation in.
    :raises NotAcceptable: when Accept allows none of the representations.
    """
    offered = offered_types(request.headers.get("accept"), rdf_types) if html else list(rdf_types)
    if suffix is not None:
        return MEDIA_FOR_SUFFIX[suffix]
    fmt = request.query_params.get("format")
    if fmt:
        media_type = from_format_parameter(fmt)
        media_type = GRAPH_COUNTERPART.get(fmt.strip().lower(), media_type)
        if media_type not in offered:
            raise BadRequest(f"format {fmt!r} is not available here; use one of "
                             f"{', '.join(SUFFIX_FOR[m] for m in offered if m in SUFFIX_FOR)}")
        return media_type
    return negotiate(request.headers.get("accept"), offered, GRAPH_ALIASES)


def alternate_links(base_path: str, served: str, media_types: list[str] = ALTERNATES) -> str:
    """A ``Link`` header value listing the representations other than ``served``."""
    served = "application/n-triples" if served == "text/plain" else served
    return ", ".join(f'<{base_path}.{SUFFIX_FOR[m]}>; rel="alternate"; type="{m}"'
                     for m in media_types if m != served)


def headers_for(base_path: str, media_type: str, suffixed: bool) -> dict[str, str]:
    """Vary, Link (alternates) and, for a negotiated answer, Content-Location."""
    headers = {"Vary": "Accept", "Link": alternate_links(base_path, media_type)}
    if not suffixed and media_type in SUFFIX_FOR:
        headers["Content-Location"] = f"{base_path}.{SUFFIX_FOR[media_type]}"
    return headers


def serialize(media_type: str, triples: list[ox.Triple], quads: list[ox.Quad]) -> bytes:
    """Triples in a graph format or quads in a dataset format, with the project's prefixes.

    :raises NotAcceptable: when the format cannot carry the data (see :func:`serialize_terms`).
    """
    if media_type in DATASETS:
        return serialize_terms(quads, DATASETS[media_type])
    return serialize_terms(triples, GRAPHS[media_type])


def serialize_terms(terms: Iterable[ox.Triple] | Iterable[ox.Quad], fmt: ox.RdfFormat) -> bytes:
    """``terms`` in ``fmt`` with the project's prefixes.

    :raises NotAcceptable: when ``fmt`` cannot carry the data: JSON-LD has no RDF 1.2 triple terms, which a
        write may have put in the store. (Serializing into memory does no I/O, so pyoxigraph's ``OSError``
        here only ever reports what a format cannot hold.)
    """
    try:
        return ox.serialize(terms, format=fmt, prefixes=PREFIXES)
    except OSError as exc:
        raise NotAcceptable(f"{fmt.name} cannot carry this data ({exc}); ask for Turtle, N-Triples, TriG or "
                            "N-Quads") from exc


def split_suffix(rest: str) -> tuple[str, str | None]:
    """``afil.ttl`` → (``afil``, ``ttl``); a name without a known suffix is returned whole."""
    stem, dot, suffix = rest.rpartition(".")
    if dot and stem and suffix in MEDIA_FOR_SUFFIX:
        return stem, suffix
    return rest, None


def resolve(svc: Services, path: str) -> tuple[str, str, str | None]:
    """(IRI, base path, suffix) for a request path; a suffix is only split off when the stem is described.

    :raises NotFound: when the graph describes neither form.
    """
    stem, suffix = split_suffix(path)
    store = svc.store()
    if suffix is not None and resource_view.is_described(store, svc.iri_for_path(stem)):
        return svc.iri_for_path(stem), stem, suffix
    if resource_view.is_described(store, svc.iri_for_path(path)):
        return svc.iri_for_path(path), path, None
    raise NotFound(f"{svc.iri_for_path(path)} is not described in this graph")


RestParam = Annotated[str, Path(description="The rest of the IRI after /id/ or /graph/, optionally with a format "
                                           "suffix such as .ttl.",
                                openapi_examples={"cluster": {"summary": "A cluster (under /id/)", "value": "afil"},
                                                  "turtle": {"summary": "Its Turtle", "value": "afil.ttl"},
                                                  "graph": {"summary": "A source graph (under /graph/)",
                                                            "value": "ltc-report-2024"}})]


def resource(request: Request, rest: RestParam, svc: Services = Depends(services)) -> Response:
    """One data IRI or named graph: an HTML page or its triples (as subject or object) in RDF."""
    path = request.scope["path"]
    iri, base_path, suffix = resolve(svc, path)
    media_type = choose_media_type(request, suffix)
    headers = headers_for(base_path, media_type, suffix is not None)
    store = svc.store()
    if media_type == HTML:
        view = resource_view.build_view(svc, iri)
        card = profile.build_profile(svc, iri) if profile.is_profiled(view.types) else None
        initiative = (profile.build_initiative_profile(svc, iri)
                      if card is None and profile.is_initiative(view.types) else None)
        kind = topic_cards.card_kind(view.types) if card is None and initiative is None else None
        topic = topic_cards.build_topic_card(svc, iri, kind, view.types) if kind else None
        context = {"view": view, "profile": card, "initiative": initiative, "topic": topic,
                   "alternates": _alternates(base_path)}
        response = svc.render(request, "resource.html", context)
        response.headers.update(headers)
        return response
    if media_type in DATASETS:
        body = serialize(media_type, [], resource_view.describe_quads(store, iri))
    else:
        body = serialize(media_type, resource_view.describe_triples(store, iri), [])
    return Response(body, media_type=with_charset(media_type), headers=headers)


def ontology(request: Request, svc: Services = Depends(services)) -> Response:
    """The ontology document: HTML documentation or the ontology graph in RDF."""
    return _ontology(request, svc, None)


def ontology_suffix(request: Request, suffix: str, svc: Services = Depends(services)) -> Response:
    """``/ontology.ttl`` and the like."""
    if suffix not in MEDIA_FOR_SUFFIX:
        raise NotFound(f"no representation of the ontology with suffix .{suffix}")
    return _ontology(request, svc, suffix)


def _ontology(request: Request, svc: Services, suffix: str | None) -> Response:
    media_type = choose_media_type(request, suffix)
    headers = headers_for("/ontology", media_type, suffix is not None)
    store = svc.store()
    if media_type == HTML:
        doc = ontology_doc.build_doc(svc)
        response = svc.render(request, "ontology.html", {"doc": doc, "alternates": _alternates("/ontology")})
        response.headers.update(headers)
        return response
    graph = ox.NamedNode(ONTOLOGY_GRAPH)
    triples = list(store.graph_triples(ONTOLOGY_GRAPH))
    body = serialize(media_type, triples, [ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples])
    return Response(body, media_type=with_charset(media_type), headers=headers)


def _alternates(base_path: str) -> list[tuple[str, str, str]]:
    """(label, href, media type) of every representation, for the page's format links."""
    return [(SUFFIX_FOR[m].upper(), f"{base_path}.{SUFFIX_FOR[m]}", m) for m in ALTERNATES]
