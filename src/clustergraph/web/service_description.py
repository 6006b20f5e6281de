"""The SPARQL 1.1 Service Description of ``/sparql`` as triples (served on a GET without a query)."""

from __future__ import annotations

import pyoxigraph as ox

from clustergraph.querying.media_types import GRAPHS, RESULTS
from clustergraph.remote.store import ReadStore
from clustergraph.web.services import Services

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
DCT = "http://purl.org/dc/terms/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
FORMATS = {
    "application/sparql-results+json": "SPARQL_Results_JSON",
    "application/sparql-results+xml": "SPARQL_Results_XML",
    "text/csv": "SPARQL_Results_CSV",
    "text/tab-separated-values": "SPARQL_Results_TSV",
    "text/turtle": "Turtle",
    "application/n-triples": "N-Triples",
    "application/ld+json": "JSON-LD",
    "application/rdf+xml": "RDF_XML",
    "application/trig": "TriG",
    "application/n-quads": "N-Quads",
}


def _sd(name: str) -> ox.NamedNode:
    return ox.NamedNode(SD + name)


def service_description(svc: Services, endpoint: str, sizes: list[tuple[str, int]]) -> list[ox.Triple]:
    """Endpoint, languages, formats, features and the default dataset with its named graphs and ``sizes``
    (of :func:`graph_sizes`)."""
    service = ox.NamedNode(endpoint)
    dataset, default_graph = ox.BlankNode("dataset"), ox.BlankNode("defaultGraph")
    triples = [
        ox.Triple(service, RDF_TYPE, _sd("Service")),
        ox.Triple(service, _sd("endpoint"), service),
        ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Query")),
        ox.Triple(service, _sd("feature"), _sd("UnionDefaultGraph")),
        ox.Triple(service, _sd("defaultDataset"), dataset),
        ox.Triple(service, ox.NamedNode(DCT + "title"), ox.Literal("clustergraph SPARQL endpoint")),
        ox.Triple(dataset, RDF_TYPE, _sd("Dataset")),
        ox.Triple(dataset, _sd("defaultGraph"), default_graph),
        ox.Triple(default_graph, RDF_TYPE, _sd("Graph")),
    ]
    if svc.settings.writable and (svc.remote is None or svc.remote.update_url):
        triples.append(ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Update")))
    for media_type in (*RESULTS, *GRAPHS):
        if media_type in FORMATS:
            fmt = ox.NamedNode("http://www.w3.org/ns/formats/" + FORMATS[media_type])
            triples.append(ox.Triple(service, _sd("resultFormat"), fmt))
    total = 0
    for index, (graph, size) in enumerate(sizes):
        total += size
        node, graph_node = ox.BlankNode(f"named{index}"), ox.BlankNode(f"graph{index}")
        triples += [
            ox.Triple(dataset, _sd("namedGraph"), node),
            ox.Triple(node, RDF_TYPE, _sd("NamedGraph")),
            ox.Triple(node, _sd("name"), ox.NamedNode(graph)),
            ox.Triple(node, _sd("graph"), graph_node),
            ox.Triple(graph_node, RDF_TYPE, _sd("Graph")),
            ox.Triple(graph_node, ox.NamedNode(VOID + "triples"), _integer(size)),
        ]
    triples.append(ox.Triple(default_graph, ox.NamedNode(VOID + "triples"), _integer(total)))
    return triples


def graph_sizes(store: ReadStore) -> list[tuple[str, int]]:
    """Each named graph with its number of triples (computed once per build)."""
    return [(graph, _count(store, graph)) for graph in store.named_graphs()]


def _count(store: ReadStore, graph: str) -> int:
    rows = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {ox.NamedNode(graph)} {{ ?s ?p ?o }} }}",
                       union=False)
    return int(next(iter(rows))["n"].value)


def _integer(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
