"""The ontology documentation page: classes, properties and controlled vocabularies of the ontology graph,
each term with an anchor named after its local name (so ``/ontology#Participation`` lands on it)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from clustergraph.iris import (
    ONTOLOGY,
    ONTOLOGY_DOCUMENT,
    ONTOLOGY_GRAPH,
    PREFIXES,
    compact,
)
from clustergraph.web.resource_view import Term, pick_label
from clustergraph.web.services import Services

RDF, RDFS, OWL = PREFIXES["rdf"], PREFIXES["rdfs"], PREFIXES["owl"]
SKOS, DCT = PREFIXES["skos"], PREFIXES["dct"]
PROPERTY_TYPES = [OWL + "ObjectProperty", OWL + "DatatypeProperty", OWL + "AnnotationProperty", RDF + "Property"]
CHARACTERISTICS = [OWL + "FunctionalProperty", OWL + "InverseFunctionalProperty", OWL + "TransitiveProperty",
                   OWL + "SymmetricProperty"]
ALIGNMENTS = [OWL + "equivalentClass", OWL + "equivalentProperty", SKOS + "exactMatch", SKOS + "closeMatch",
              SKOS + "broadMatch", SKOS + "narrowMatch", SKOS + "relatedMatch", OWL + "sameAs", RDFS + "seeAlso"]
LABELS = [RDFS + "label", SKOS + "prefLabel", DCT + "title"]
DESCRIPTIONS = [RDFS + "comment", SKOS + "definition", DCT + "description", SKOS + "scopeNote"]

Index = dict[str, dict[str, list[ox.NamedNode | ox.Literal | ox.BlankNode]]]


@dataclass
class TermDoc:
    """One class, property or concept."""

    iri: str
    anchor: str
    label: str
    description: str
    kinds: list[Term] = field(default_factory=list)
    parents: list[Term] = field(default_factory=list)
    children: list[Term] = field(default_factory=list)
    domains: list[Term] = field(default_factory=list)
    ranges: list[Term] = field(default_factory=list)
    alignments: list[tuple[Term, Term]] = field(default_factory=list)
    notation: str = ""


@dataclass
class SchemeDoc:
    """A controlled vocabulary and its concepts."""

    term: TermDoc
    concepts: list[TermDoc]


@dataclass
class OntologyDoc:
    """Everything the ontology page shows."""

    iri: str
    title: str
    description: str
    version: str
    license: Term | None
    classes: list[TermDoc]
    properties: list[TermDoc]
    schemes: list[SchemeDoc]


def index_graph(svc: Services) -> Index:
    """subject → predicate → objects for the ontology graph."""
    index: Index = defaultdict(lambda: defaultdict(list))
    for triple in svc.store().graph_triples(ONTOLOGY_GRAPH):
        if isinstance(triple.subject, ox.NamedNode):
            index[triple.subject.value][triple.predicate.value].append(triple.object)
    return index


def anchor_for(iri: str) -> str:
    """The anchor id of a term: its local name after the ontology namespace."""
    return iri[len(ONTOLOGY):] if iri.startswith(ONTOLOGY) else compact(iri).replace(":", "-")


def first_text(index: Index, iri: str, predicates: list[str]) -> str:
    """The preferred (English) literal of the first predicate that has one."""
    for predicate in predicates:
        literals = [o for o in index.get(iri, {}).get(predicate, []) if isinstance(o, ox.Literal)]
        if literals:
            return pick_label(literals) or ""
    return ""


def term(svc: Services, index: Index, value: object) -> Term:
    """A linked, labelled term (ontology terms link to their anchor on this page)."""
    if not isinstance(value, ox.NamedNode):
        return Term(str(value), "blank node" if isinstance(value, ox.BlankNode) else str(value), "", "bnode")
    label = first_text(index, value.value, LABELS) or compact(value.value)
    href = f"#{anchor_for(value.value)}" if value.value in index and value.value.startswith(ONTOLOGY) else ""
    return Term(value.value, label, href or svc.link(value))


def objects(svc: Services, index: Index, iri: str, predicate: str) -> list[Term]:
    return sorted((term(svc, index, o) for o in index.get(iri, {}).get(predicate, [])), key=lambda t: t.label.lower())


def term_doc(svc: Services, index: Index, iri: str, parent_predicate: str, children: dict[str, list[str]]) -> TermDoc:
    """The documentation of one term."""
    props = index.get(iri, {})
    doc = TermDoc(iri, anchor_for(iri), first_text(index, iri, LABELS) or compact(iri),
                  first_text(index, iri, DESCRIPTIONS))
    doc.kinds = objects(svc, index, iri, RDF + "type")
    doc.parents = objects(svc, index, iri, parent_predicate)
    doc.children = sorted((term(svc, index, ox.NamedNode(c)) for c in children.get(iri, [])),
                          key=lambda t: t.label.lower())
    doc.domains = objects(svc, index, iri, RDFS + "domain")
    doc.ranges = objects(svc, index, iri, RDFS + "range")
    doc.alignments = [(term(svc, index, ox.NamedNode(p)), term(svc, index, o))
                      for p in ALIGNMENTS for o in props.get(p, [])]
    doc.notation = first_text(index, iri, [SKOS + "notation"])
    return doc


def subjects_of_type(index: Index, types: list[str]) -> list[str]:
    """Ontology-namespace subjects typed with one of ``types``, by local name."""
    found = [s for s, props in index.items() if s.startswith(ONTOLOGY)
             and any(isinstance(o, ox.NamedNode) and o.value in types for o in props.get(RDF + "type", []))]
    return sorted(found, key=lambda s: anchor_for(s).lower())


def inverse(index: Index, predicate: str) -> dict[str, list[str]]:
    """object → subjects for ``predicate`` (sub-classes of a class, concepts of a scheme)."""
    result: dict[str, list[str]] = defaultdict(list)
    for subject, props in index.items():
        for o in props.get(predicate, []):
            if isinstance(o, ox.NamedNode):
                result[o.value].append(subject)
    return result


def build_doc(svc: Services) -> OntologyDoc:
    """Gather the ontology page."""
    index = index_graph(svc)
    sub_classes, sub_props = inverse(index, RDFS + "subClassOf"), inverse(index, RDFS + "subPropertyOf")
    classes = [term_doc(svc, index, c, RDFS + "subClassOf", sub_classes)
               for c in subjects_of_type(index, [OWL + "Class", RDFS + "Class"])]
    properties = [term_doc(svc, index, p, RDFS + "subPropertyOf", sub_props)
                  for p in subjects_of_type(index, PROPERTY_TYPES)]
    in_scheme = inverse(index, SKOS + "inScheme")
    schemes = []
    for scheme in subjects_of_type(index, [SKOS + "ConceptScheme"]):
        concepts = [term_doc(svc, index, c, SKOS + "broader", {}) for c in sorted(in_scheme.get(scheme, []))]
        schemes.append(SchemeDoc(term_doc(svc, index, scheme, SKOS + "broader", {}), concepts))
    licenses = index.get(ONTOLOGY_DOCUMENT, {}).get(DCT + "license", [])
    return OntologyDoc(
        ONTOLOGY_DOCUMENT, first_text(index, ONTOLOGY_DOCUMENT, LABELS) or "clustergraph ontology",
        first_text(index, ONTOLOGY_DOCUMENT, DESCRIPTIONS), first_text(index, ONTOLOGY_DOCUMENT, [OWL + "versionInfo"]),
        term(svc, index, licenses[0]) if licenses else None, classes, properties, schemes)
