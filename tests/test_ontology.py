"""The ontology declares every term that data and shapes use; everything else is a known vocabulary."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import OWL, RDF, RDFS

from clustergraph.iris import ONTOLOGY, ONTOLOGY_GRAPH
from clustergraph.kg.dataset import load_project
from clustergraph.kg.layout import Layout

ROOT = Path(__file__).resolve().parents[1]
KNOWN_VOCABULARIES = (
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "http://www.w3.org/2000/01/rdf-schema#",
    "http://www.w3.org/2002/07/owl#",
    "http://www.w3.org/2004/02/skos/core#",
    "http://purl.org/dc/terms/",
    "http://purl.org/vocab/vann/",
    "http://xmlns.com/foaf/0.1/",
    "http://www.w3.org/ns/org#",
    "http://www.w3.org/ns/prov#",
    "http://purl.org/linked-data/cube#",
    "http://purl.org/linked-data/sdmx/2009/dimension#",
    "http://schema.org/",
    "http://www.w3.org/ns/locn#",
    "http://purl.org/ontology/bibo/",
    "http://www.w3.org/ns/dcat#",
    "http://rdfs.org/ns/void#",
    "http://data.europa.eu/s66#",
    "http://www.w3.org/ns/shacl#",
)


@pytest.fixture(scope="module")
def dataset():
    return load_project(Layout(ROOT))


@pytest.fixture(scope="module")
def ontology() -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in sorted((ROOT / "ontology").glob("*.ttl")):
        graph.parse(path)
    return graph


def _used_terms(dataset) -> set[str]:
    terms: set[str] = set()
    for quad in dataset.quads:
        if quad.graph_name.value == ONTOLOGY_GRAPH:
            continue
        terms.add(quad.predicate.value)
        if quad.predicate.value == str(RDF.type):
            terms.add(quad.object.value)
    return terms


def _shape_terms() -> set[str]:
    shapes = rdflib.Graph().parse(ROOT / "shapes" / "clustergraph.shacl.ttl")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    nodes = [o for p in (sh.path, sh.targetClass, sh["class"]) for o in shapes.objects(None, p)]
    return {str(o) for o in nodes if isinstance(o, rdflib.URIRef)}


def test_every_cg_term_used_is_declared(dataset, ontology):
    declared = {str(s) for s in ontology.subjects() if str(s).startswith(ONTOLOGY)}
    used = {t for t in _used_terms(dataset) | _shape_terms() if t.startswith(ONTOLOGY)}
    assert used, "the data uses no ontology terms at all"
    assert sorted(used - declared) == []


def test_every_other_term_comes_from_a_known_vocabulary(dataset):
    foreign = {t for t in _used_terms(dataset) | _shape_terms() if not t.startswith(ONTOLOGY)}
    unknown = sorted(t for t in foreign if not t.startswith(KNOWN_VOCABULARIES))
    assert unknown == []


def test_classes_and_properties_are_typed_and_labelled(ontology):
    for term in {s for s in ontology.subjects() if str(s).startswith(ONTOLOGY)}:
        types = set(ontology.objects(term, RDF.type))
        if types & {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty}:
            labels = {l.language for l in ontology.objects(term, RDFS.label)}
            assert "en" in labels, f"{term} has no English rdfs:label"


def test_ontology_header_is_complete(ontology):
    header = rdflib.URIRef("https://w3id.org/clustergraph/ontology")
    dct = rdflib.Namespace("http://purl.org/dc/terms/")
    vann = rdflib.Namespace("http://purl.org/vocab/vann/")
    assert (header, RDF.type, OWL.Ontology) in ontology
    for prop in (OWL.versionIRI, dct.title, dct.description, dct.license, dct.creator, vann.preferredNamespacePrefix):
        assert ontology.value(header, prop) is not None, f"ontology header lacks {prop}"


def test_reused_classes_are_aligned(ontology):
    cg = rdflib.Namespace(ONTOLOGY)
    org = rdflib.Namespace("http://www.w3.org/ns/org#")
    assert (cg.ClusterOrganisation, RDFS.subClassOf, org.FormalOrganization) in ontology
    assert (cg.Participation, RDFS.subClassOf, org.Membership) in ontology
    skos = rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")
    assert (cg.Project, skos.closeMatch, rdflib.URIRef("http://data.europa.eu/s66#Project")) in ontology


# The OWL 2 datatype map (OWL 2 Syntax, section 4), with rdf:langString (RDF 1.1): all an OWL 2 DL reasoner takes.
XSD_NS = "http://www.w3.org/2001/XMLSchema#"
OWL2_DATATYPES = {XSD_NS + n for n in (
    "decimal", "integer", "nonNegativeInteger", "nonPositiveInteger", "positiveInteger", "negativeInteger", "long",
    "int", "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte", "double", "float",
    "string", "normalizedString", "token", "language", "Name", "NCName", "NMTOKEN", "boolean", "hexBinary",
    "base64Binary", "anyURI", "dateTime", "dateTimeStamp")} | {str(RDFS.Literal), str(OWL.real), str(OWL.rational),
    str(RDF.PlainLiteral), str(RDF.XMLLiteral), str(RDF.langString)}
YEAR_PROPERTIES = ("edition", "foundingYear", "startYear", "endYear", "year")


def test_datatype_ranges_are_in_the_owl2_datatype_map(ontology):
    """xsd:gYear (and xsd:date, xsd:gYearMonth) are not: HermiT refuses them (tests/test_reasoner.py)."""
    ranges = {(str(p), str(r)) for p in ontology.subjects(RDF.type, OWL.DatatypeProperty)
              for r in ontology.objects(p, RDFS.range)}
    assert ranges and sorted(r for r in ranges if r[1] not in OWL2_DATATYPES) == []


def test_years_are_checked_by_the_shapes_on_every_subject(ontology):
    """The ranges the ontology cannot state (xsd:gYear) are sh:datatype checks on every subject of the property."""
    shapes = rdflib.Graph().parse(ROOT / "shapes" / "clustergraph.shacl.ttl")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    gyear = rdflib.URIRef(XSD_NS + "gYear")
    for name in YEAR_PROPERTIES:
        prop = rdflib.URIRef(ONTOLOGY + name)
        assert ontology.value(prop, RDFS.range) == RDFS.Literal, name
        checks = [p for shape in shapes.subjects(sh.targetSubjectsOf, prop) for p in shapes.objects(shape, sh.property)
                  if shapes.value(p, sh.path) == prop and shapes.value(p, sh.datatype) == gyear]
        assert checks, f"no shape checks that every cg:{name} is an xsd:gYear"
