"""Statistics of a built store: triples, instances per class, facts per source document.

Instances are the distinct resources typed with a class in any graph, the ontology's and the authority
terms' included: the same figures as the VoID description's class partitions (``/.well-known/void``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from clustergraph.kg.store import EmbeddedStore

_PER_CLASS = """
SELECT ?class (COUNT(DISTINCT ?s) AS ?instances) WHERE {
  GRAPH ?g { ?s a ?class }
  FILTER (STRSTARTS(STR(?class), "https://w3id.org/clustergraph/ontology#")
          || ?class IN (<http://www.w3.org/ns/org#Site>, <http://www.w3.org/ns/locn#Address>,
                        <http://schema.org/MonetaryAmount>, <http://www.w3.org/2004/02/skos/core#ConceptScheme>))
} GROUP BY ?class ORDER BY DESC(?instances) ?class
"""

_PER_SOURCE = """
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dct: <http://purl.org/dc/terms/>
SELECT ?graph ?document ?identifier (COUNT(*) AS ?triples) WHERE {
  GRAPH ?graph { ?s ?p ?o }
  OPTIONAL { ?graph prov:hadPrimarySource ?document . OPTIONAL { ?document dct:identifier ?identifier } }
} GROUP BY ?graph ?document ?identifier ORDER BY ?graph
"""

_DISTINCT_TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }"


@dataclass
class Stats:
    """Counts that describe a built store."""

    quads: int
    distinct_triples: int
    graphs: int
    per_class: list[tuple[str, int]]
    per_source: list[tuple[str, str, str, int]]

    def as_dict(self) -> dict[str, object]:
        return {
            "quads": self.quads,
            "distinct_triples": self.distinct_triples,
            "graphs": self.graphs,
            "instances_per_class": dict(self.per_class),
            "triples_per_source": [
                {"graph": g, "document": d, "identifier": i, "triples": n} for g, d, i, n in self.per_source
            ],
        }


def collect(store: EmbeddedStore) -> Stats:
    """Query ``store`` for its statistics."""
    per_class = [(_v(s["class"]), int(_v(s["instances"]))) for s in store.query(_PER_CLASS)]
    per_source = [
        (_v(s["graph"]), _v(s["document"]), _v(s["identifier"]), int(_v(s["triples"])))
        for s in store.query(_PER_SOURCE)
    ]
    distinct = int(_v(next(iter(store.query(_DISTINCT_TRIPLES)))["n"]))
    return Stats(store.quad_count(), distinct, len(store.named_graphs()), per_class, per_source)


def _v(term: ox.NamedNode | ox.Literal | None) -> str:
    return "" if term is None else term.value
