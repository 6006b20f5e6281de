"""`clustergraph stats` and the VoID description count the same things, and each says what it counts."""

from __future__ import annotations

import pyoxigraph as ox

from clustergraph.kg import stats
from clustergraph.web.void import COUNTING, void_triples

VOID = "http://rdfs.org/ns/void#"
CG = "https://w3id.org/clustergraph/ontology#"


def class_partitions(triples: list[ox.Triple]) -> dict[str, int]:
    by_node: dict[ox.BlankNode, dict[str, ox.Term]] = {}
    for t in triples:
        if isinstance(t.subject, ox.BlankNode):
            by_node.setdefault(t.subject, {})[t.predicate.value] = t.object
    return {p[VOID + "class"].value: int(p[VOID + "entities"].value) for p in by_node.values() if VOID + "class" in p}


def test_stats_and_void_agree_per_class(project_store) -> None:
    triples = void_triples(project_store, "http://127.0.0.1:8000/", None)
    void_counts = class_partitions(triples)
    ours = dict(stats.collect(project_store).per_class)
    assert ours, "stats lists no class"
    for cls, n in ours.items():
        assert void_counts.get(cls) == n, (cls, n, void_counts.get(cls))
    # the ontology's own concept schemes count in both (they did not in stats before)
    assert ours["http://www.w3.org/2004/02/skos/core#ConceptScheme"] >= 12
    assert any(t.predicate.value.endswith("#comment") and t.object.value == COUNTING for t in triples)
