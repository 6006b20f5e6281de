"""The ontology is OWL 2 DL that a DL reasoner accepts: HermiT finds it consistent and every class satisfiable.
Planted faults (an xsd:gYear range, an unsatisfiable class, a contradiction) show the check can fail.

Skipped when Java or owlready2 is missing, unless ``CLUSTERGRAPH_REQUIRE_REASONER=1`` (CI), which fails."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import OWL, RDF, RDFS
from reasoner import hermit, require

ROOT = Path(__file__).resolve().parents[1]
CG = rdflib.Namespace("https://w3id.org/clustergraph/ontology#")
GYEAR = rdflib.URIRef("http://www.w3.org/2001/XMLSchema#gYear")


def ontology() -> rdflib.Graph:
    """Every file of ``ontology/``, in one graph."""
    graph = rdflib.Graph()
    for path in sorted((ROOT / "ontology").glob("*.ttl")):
        graph.parse(path)
    return graph


def unsatisfiable(world) -> list[str]:
    """The classes HermiT found equivalent to owl:Nothing (owl:Nothing itself left out)."""
    return sorted(c.iri for c in world.inconsistent_classes() if c.iri != str(OWL.Nothing))


@pytest.fixture(autouse=True)
def _needs_hermit() -> None:
    require()


def test_ontology_is_consistent_and_every_class_satisfiable(tmp_path) -> None:
    graph = ontology()
    world = hermit(graph, tmp_path)  # raises if HermiT refuses the ontology or finds it inconsistent
    declared = {s for s in graph.subjects(RDF.type, OWL.Class) if str(s).startswith(str(CG))}
    loaded = {rdflib.URIRef(c.iri) for c in world.classes()}
    assert len(declared) > 20 and declared <= loaded
    assert unsatisfiable(world) == []


def test_a_range_outside_the_owl2_datatype_map_is_refused(tmp_path) -> None:
    """What the ontology said before (``rdfs:range xsd:gYear``): HermiT will not load it."""
    import owlready2

    graph = ontology()
    graph.set((CG.startYear, RDFS.range, GYEAR))
    with pytest.raises(owlready2.OwlReadyJavaError, match="gYear"):
        hermit(graph, tmp_path)


def test_an_unsatisfiable_class_is_found(tmp_path) -> None:
    graph = ontology()
    graph.add((CG.Impossible, RDF.type, OWL.Class))
    graph.add((CG.Impossible, RDFS.subClassOf, CG.Project))
    graph.add((CG.Impossible, OWL.disjointWith, CG.Project))
    world = hermit(graph, tmp_path)
    assert unsatisfiable(world) == [str(CG.Impossible)]


def test_a_contradiction_is_found(tmp_path) -> None:
    import owlready2

    graph = ontology()
    graph.add((CG.Project, OWL.disjointWith, CG.Network))
    thing = rdflib.URIRef("https://w3id.org/clustergraph/id/both")
    graph.add((thing, RDF.type, CG.Project))
    graph.add((thing, RDF.type, CG.Network))
    with pytest.raises(owlready2.OwlReadyInconsistentOntologyError):
        hermit(graph, tmp_path)
