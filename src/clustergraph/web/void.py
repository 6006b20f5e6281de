"""``/.well-known/void``: a VoID + DCAT description of the dataset computed from the store, and the
downloadable dumps ``/dumps/clustergraph.{ttl,nq,trig}``.

The description merges what ``data/reference/datasets.ttl`` says about the dataset (title, license,
sources, vocabularies) with statistics of the current build: distinct triples, subjects, objects, classes
and properties, class and property partitions, one ``void:subset`` per named graph with its primary
source, the SPARQL endpoint and the dumps (absolute URLs built from the request). Turtle by default,
other RDF formats by ``Accept``, ``?format=`` or a suffix on ``/.well-known/void``.

The statistics and the dumps are computed once per published build by a child process and kept as files
beside the build (:mod:`clustergraph.web.build_files`), so no request computes them and readers never see
half a file.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import fastapi
import pyoxigraph as ox
from fastapi import APIRouter, Depends, Request
from starlette.responses import FileResponse, Response

from clustergraph.errors import NotFound
from clustergraph.iris import DATA, PREFIXES
from clustergraph.querying.media_types import SUFFIX_FOR, with_charset
from clustergraph.remote.store import ReadStore
from clustergraph.web.linked_data import (
    MEDIA_FOR_SUFFIX,
    RDF_TYPES,
    alternate_links,
    choose_media_type,
    serialize,
)
from clustergraph.web.openapi_responses import ErrorForm, declare, ok, query_parameter
from clustergraph.web.resource_view import PREFIX_DECL
from clustergraph.web.services import Services, services

DATASET = DATA + "dataset"
VOID, DCAT, DCT = PREFIXES["void"], PREFIXES["dcat"], PREFIXES["dct"]
RDF_TYPE = ox.NamedNode(PREFIXES["rdf"] + "type")
XSD = PREFIXES["xsd"]
DUMPS: dict[str, tuple[str, ox.RdfFormat]] = {
    "clustergraph.ttl": ("text/turtle", ox.RdfFormat.TURTLE),
    "clustergraph.nq": ("application/n-quads", ox.RdfFormat.N_QUADS),
    "clustergraph.trig": ("application/trig", ox.RdfFormat.TRIG),
}
VOID_TYPES = [m for m in RDF_TYPES if m not in ("application/trig", "application/n-quads", "text/plain")]
DISTINCT_TRIPLES = "SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"
FORMAT_PARAMETER = query_parameter("format", "Overrides Accept: ttl, nt, jsonld, rdf or a media type.",
                                   {"type": "string", "enum": [*(SUFFIX_FOR[m] for m in VOID_TYPES), *VOID_TYPES]})
VOID_RESPONSES = declare({200: ok(VOID_TYPES, "The VoID and DCAT description (Turtle by default).")},
                         [400, 406, 503], ErrorForm.PAGE)
DUMP_RESPONSES = declare({200: ok([media for media, _ in DUMPS.values()], "The dump, as an attachment.")},
                         [404, 503], ErrorForm.PAGE_OR_JSON)


def make_router(svc: Services) -> APIRouter:
    """Routes for the VoID description and the dumps."""
    router = APIRouter(tags=["linked data"])
    add = router.add_api_route
    add("/.well-known/void", void, methods=["GET"], response_class=Response, responses=VOID_RESPONSES,
        summary="VoID and DCAT description of the dataset", openapi_extra={"parameters": [FORMAT_PARAMETER]})
    add("/.well-known/void", void, methods=["HEAD"], include_in_schema=False)
    add("/.well-known/void.{suffix}", void_suffix, methods=["GET", "HEAD"], response_class=Response,
        include_in_schema=False)
    add("/dumps/{name}", dump, methods=["GET"], response_class=Response, responses=DUMP_RESPONSES,
        summary="Download the whole dataset (clustergraph.ttl, .nq or .trig)")
    add("/dumps/{name}", dump, methods=["HEAD"], include_in_schema=False)
    return router


def void(request: Request, svc: Services = Depends(services)) -> Response:
    """The VoID description, Turtle unless the client asks for another RDF format."""
    return _void(request, svc, None)


def void_suffix(request: Request, suffix: str, svc: Services = Depends(services)) -> Response:
    if MEDIA_FOR_SUFFIX.get(suffix) not in VOID_TYPES:
        raise NotFound(f"no representation of the VoID description with suffix .{suffix}")
    return _void(request, svc, suffix)


def _void(request: Request, svc: Services, suffix: str | None) -> Response:
    media_type = choose_media_type(request, suffix, VOID_TYPES, html=False)
    triples = with_access(svc.build_files.value("void"), str(request.base_url))
    headers = {"Vary": "Accept", "Link": alternate_links("/.well-known/void", media_type, VOID_TYPES)}
    return Response(serialize(media_type, triples, []), media_type=with_charset(media_type), headers=headers)


def _int(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=ox.NamedNode(XSD + "integer"))


def _count(store: ReadStore, expression: str, where: str) -> int:
    """A single COUNT over the distinct triples of the union."""
    rows = list(store.query(f"{PREFIX_DECL}SELECT ({expression} AS ?n) WHERE {{ {where} }}"))
    return int(rows[0]["n"].value)


def statistics(store: ReadStore, dataset: ox.NamedNode) -> list[ox.Triple]:
    """void:triples, distinct subjects, objects, classes, properties and entities."""
    union = f"{{ {DISTINCT_TRIPLES} }}"
    figures = {
        "triples": _count(store, "COUNT(*)", union),
        "distinctSubjects": _count(store, "COUNT(DISTINCT ?s)", union),
        "distinctObjects": _count(store, "COUNT(DISTINCT ?o)", union),
        "properties": _count(store, "COUNT(DISTINCT ?p)", union),
        "classes": _count(store, "COUNT(DISTINCT ?c)", "?x a ?c"),
        "entities": _count(store, "COUNT(DISTINCT ?x)", "?x a ?c FILTER(isIRI(?x))"),
    }
    return [ox.Triple(dataset, ox.NamedNode(VOID + name), _int(n)) for name, n in figures.items()]


def partitions(store: ReadStore, dataset: ox.NamedNode) -> list[ox.Triple]:
    """One void:classPartition per class (with its entities) and void:propertyPartition per property."""
    triples: list[ox.Triple] = []
    classes = store.query("SELECT ?c (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a ?c } GROUP BY ?c ORDER BY ?c")
    props = store.query(f"SELECT ?p (COUNT(*) AS ?n) WHERE {{ {{ {DISTINCT_TRIPLES} }} }} GROUP BY ?p ORDER BY ?p")
    for rows, link, key, figure in ((classes, "classPartition", "class", "entities"),
                                    (props, "propertyPartition", "property", "triples")):
        for row in rows:
            part = ox.BlankNode()
            triples += [ox.Triple(dataset, ox.NamedNode(VOID + link), part),
                        ox.Triple(part, ox.NamedNode(VOID + key), row[0]),
                        ox.Triple(part, ox.NamedNode(VOID + figure), _int(int(row[1].value)))]
    return triples


def subsets(store: ReadStore, dataset: ox.NamedNode) -> list[ox.Triple]:
    """One void:subset per named graph: its triples and its primary source document."""
    triples: list[ox.Triple] = []
    sources = {r["g"].value: r["doc"] for r in store.query(
        f"{PREFIX_DECL}SELECT DISTINCT ?g ?doc WHERE {{ ?g prov:hadPrimarySource ?doc }}")}
    counts = store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g")
    for graph, count in counts:
        triples += [ox.Triple(dataset, ox.NamedNode(VOID + "subset"), graph),
                    ox.Triple(graph, RDF_TYPE, ox.NamedNode(VOID + "Dataset")),
                    ox.Triple(graph, ox.NamedNode(VOID + "triples"), _int(int(count.value)))]
        if graph.value in sources:
            triples.append(ox.Triple(graph, ox.NamedNode(DCT + "source"), sources[graph.value]))
    return triples


def curated(store: ReadStore, dataset: ox.NamedNode) -> list[ox.Triple]:
    """What the reference data says about the dataset (title, description, license, sources, ...)."""
    rows = store.query(f"SELECT DISTINCT ?p ?o WHERE {{ {dataset} ?p ?o }}")
    return [ox.Triple(dataset, row["p"], row["o"]) for row in rows]


def access(base_url: str, dataset: ox.NamedNode) -> list[ox.Triple]:
    """The SPARQL endpoint, the dumps (void:dataDump) and a dcat:Distribution for each."""
    triples = [ox.Triple(dataset, ox.NamedNode(VOID + "sparqlEndpoint"), ox.NamedNode(base_url + "sparql"))]
    for name, (media_type, _) in DUMPS.items():
        url, dist = ox.NamedNode(f"{base_url}dumps/{name}"), ox.BlankNode("distribution-" + name.split(".")[-1])
        triples += [ox.Triple(dataset, ox.NamedNode(VOID + "dataDump"), url),
                    ox.Triple(dataset, ox.NamedNode(DCAT + "distribution"), dist),
                    ox.Triple(dist, RDF_TYPE, ox.NamedNode(DCAT + "Distribution")),
                    ox.Triple(dist, ox.NamedNode(DCAT + "downloadURL"), url),
                    ox.Triple(dist, ox.NamedNode(DCAT + "accessURL"), url),
                    ox.Triple(dist, ox.NamedNode(DCAT + "mediaType"),
                              ox.NamedNode(f"https://www.iana.org/assignments/media-types/{media_type}"))]
    return triples


COUNTING = ("Figures count the union of all named graphs, the ontology, authority terms and build-time labels "
            "included: void:triples are distinct triples; a class partition's void:entities are the distinct "
            "resources typed with that class in any graph (the figures 'clustergraph stats' prints per class); "
            "a subset's void:triples are that graph's own triples.")


def build_triples(store: ReadStore, build: Path | None) -> list[ox.Triple]:
    """The part of the VoID description that depends on the data only (computed once per build, by
    :mod:`clustergraph.web.build_files`): curated facts, modification time, statistics, partitions, subsets."""
    dataset = ox.NamedNode(DATASET)
    triples = curated(store, dataset)
    have = {t.predicate.value for t in triples}
    for kind in ("void:Dataset", "dcat:Dataset"):
        prefix, local = kind.split(":")
        triples.append(ox.Triple(dataset, RDF_TYPE, ox.NamedNode(PREFIXES[prefix] + local)))
    if VOID + "uriSpace" not in have:
        triples.append(ox.Triple(dataset, ox.NamedNode(VOID + "uriSpace"), ox.Literal(DATA)))
    if build is not None:
        modified = datetime.fromtimestamp(build.stat().st_mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        triples.append(ox.Triple(dataset, ox.NamedNode(DCT + "modified"),
                                 ox.Literal(modified, datatype=ox.NamedNode(XSD + "dateTime"))))
    triples += statistics(store, dataset) + partitions(store, dataset) + subsets(store, dataset)
    triples.append(ox.Triple(dataset, ox.NamedNode(PREFIXES["rdfs"] + "comment"), ox.Literal(COUNTING, language="en")))
    return triples


def with_access(triples: list[ox.Triple], base_url: str) -> list[ox.Triple]:
    """``triples`` (of :func:`build_triples`) with the endpoint and dumps under ``base_url``, deduplicated,
    the dataset's own triples first."""
    dataset = ox.NamedNode(DATASET)
    return sorted(dict.fromkeys([*triples, *access(base_url, dataset)]), key=lambda t: t.subject != dataset)


def void_triples(store: ReadStore, base_url: str, build: Path | None) -> list[ox.Triple]:
    """The whole VoID description of ``store`` (what the route serves, computed in this process)."""
    return with_access(build_triples(store, build), base_url)


DumpName = Annotated[str, fastapi.Path(description="The dump's file name.", json_schema_extra={"enum": list(DUMPS)})]


def dump(name: DumpName, svc: Services = Depends(services)) -> Response:
    """A dump of the current build, written once per build by a child process and served as a file.

    :raises NotFound: for another name. :raises ServerBusy: while the dump is being written.
    """
    if name not in DUMPS:
        raise NotFound(f"no dump named {name!r}; available: {', '.join(DUMPS)}")
    media_type, _ = DUMPS[name]
    return FileResponse(svc.build_files.path(name), media_type=with_charset(media_type), filename=name,
                        content_disposition_type="attachment")
