"""Validate the union of the ontology and all data graphs against the SHACL shapes with pySHACL."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import rdflib
import rdflib.plugins.sparql
from rdflib.namespace import SH

from clustergraph.dataset import ParsedDataset, parse_file
from clustergraph.errors import ShapesError, ValidationFailed, Violation
from clustergraph.iris import SHAPES, compact


@dataclass
class ValidationReport:
    """What pySHACL found, split by severity."""

    violations: list[Violation] = field(default_factory=list)
    warnings: list[Violation] = field(default_factory=list)

    @property
    def conforms(self) -> bool:
        return not self.violations

    def raise_for_violations(self) -> None:
        """:raises ValidationFailed: when any result has severity sh:Violation."""
        if self.violations:
            raise ValidationFailed(self.violations, self.warnings)


def load_shapes(paths: list[Path]) -> rdflib.Graph:
    """Parse the shapes files (syntax errors carry file and line).

    :raises DataSyntaxError: for a shapes file that does not parse.
    """
    quads = [q for p in paths for q in parse_file(p, SHAPES)]
    return _to_rdflib(quads)


def validate(dataset: ParsedDataset, shapes: rdflib.Graph) -> ValidationReport:
    """Run pySHACL over the union of every graph of ``dataset``; never touches the network."""
    import pyshacl

    rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False  # pySHACL's SPARQL must never fetch FROM IRIs
    data = _to_rdflib(dataset.quads)
    _, results, _ = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", advanced=False, allow_warnings=True, abort_on_first=False
    )
    if not isinstance(results, rdflib.Graph):
        raise ShapesError(f"the shapes cannot be evaluated: {results}")
    report = ValidationReport()
    for result in results.subjects(rdflib.RDF.type, SH.ValidationResult):
        violation = _violation(results, result, dataset, shapes)
        (report.violations if violation.severity == "Violation" else report.warnings).append(violation)
    report.violations.sort(key=_order)
    report.warnings.sort(key=_order)
    return report


def _violation(
    results: rdflib.Graph, node: rdflib.term.Node, dataset: ParsedDataset, shapes: rdflib.Graph
) -> Violation:
    def one(pred: rdflib.URIRef) -> rdflib.term.Node | None:
        return results.value(node, pred)

    shape = one(SH.sourceShape)
    if isinstance(shape, rdflib.BNode):  # an inline property shape: name the node shape that holds it
        shape = shapes.value(predicate=SH.property, object=shape) or shape

    focus, value = one(SH.focusNode), one(SH.value)
    severity = str(one(SH.resultSeverity) or SH.Violation).rsplit("#", 1)[-1]
    return Violation(
        severity=severity,
        focus=_show(focus),  # compacted for reading; files_for() below uses the full IRI
        path=_show(one(SH.resultPath)) if one(SH.resultPath) is not None else None,
        value=_show(value) if value is not None else None,
        message=str(one(SH.resultMessage) or "constraint not met"),
        shape=_show(shape),
        files=dataset.files_for(str(focus), str(value) if value is not None else None),
    )


def _show(term: rdflib.term.Node | None) -> str:
    if term is None:
        return ""
    if isinstance(term, rdflib.BNode):
        return "(blank node)"
    return term.n3() if isinstance(term, rdflib.Literal) else compact(str(term))


def _order(v: Violation) -> tuple[str, str, str]:
    return (v.files[0] if v.files else "", v.focus, v.message)


def _to_rdflib(quads: list[ox.Quad]) -> rdflib.Graph:
    triples = (ox.Triple(q.subject, q.predicate, q.object) for q in quads)
    payload = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    graph = rdflib.Graph()
    graph.parse(data=payload, format="nt")
    return graph
