"""Validate the union of the ontology and all data graphs against the SHACL shapes.

Two engines give the same report: ``sparql`` (the default) runs the shapes compiled to SPARQL
(:mod:`clustergraph.kg.shacl`) inside the Oxigraph store the build has just loaded, in seconds at a million
triples; ``pyshacl`` runs pySHACL over an in-memory rdflib graph, the reference the tests compare against,
practical for small projects only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox
import rdflib
import rdflib.collection
import rdflib.plugins.sparql
from rdflib.namespace import SH

from clustergraph.errors import ShapesError, ValidationFailed, Violation
from clustergraph.iris import SHAPES, compact
from clustergraph.kg.dataset import ParsedDataset, parse_file
from clustergraph.kg.shacl import Check, compile_checks

ENGINES = ("sparql", "pyshacl")
_FRESH_VARIABLE = re.compile(r"\?_[a-z]+\d+")
_TEMPLATE_VARIABLE = re.compile(r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}")


class FileLocator(Protocol):
    def files_for(self, node: str, value: str | None = None) -> tuple[str, ...]: ...


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


def validate_store(store: ox.Store, shapes: rdflib.Graph, files: FileLocator, *, threads: int = 2) -> ValidationReport:
    """Run every check compiled from ``shapes`` on the union of the graphs of ``store``.

    :raises ShapesError: for shapes the SPARQL engine cannot compile.
    """
    report = ValidationReport()
    for check, row in run_checks(store, shapes, threads=threads):
        violation = _store_violation(check, row, files, shapes)
        (report.violations if violation.severity == "Violation" else report.warnings).append(violation)
    report.violations = _unique(report.violations)
    report.warnings = _unique(report.warnings)
    return report


Row = dict[str, ox.NamedNode | ox.BlankNode | ox.Literal | None]


def run_checks(store: ox.Store, shapes: rdflib.Graph, *, threads: int = 2) -> list[tuple[Check, Row]]:
    """Every solution of every check compiled from ``shapes``, run on the union of the graphs of ``store``:
    the raw results (the check names its source shape, component and path; the row binds ``this`` and
    ``value``), before they become :class:`Violation` lines.

    :raises ShapesError: for shapes the SPARQL engine cannot compile.
    """
    counts: dict[str, int] = {}
    classes: dict[str, list[str]] = {}

    def count(pattern: str) -> int:
        key = _canonical_variables(pattern)  # the compiler's fresh names differ between equal patterns
        if key not in counts:
            rows = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}", use_default_graph_as_union=True)
            counts[key] = int(next(iter(rows))["n"].value)  # type: ignore[index]
        return counts[key]

    def subclasses(cls: str) -> list[str]:
        if cls not in classes:
            classes[cls] = _subclasses(store, cls)
        return classes[cls]

    checks = compile_checks(shapes, subclasses=subclasses, count=count)
    checks.sort(key=lambda c: c.component != "sparql")  # the SPARQL constraints scan most: start them first

    def run(check: Check) -> list[tuple[Check, Row]]:
        try:
            solutions = store.query(check.sparql, use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise ShapesError(f"{_show(check.shape)}: the compiled check does not parse ({exc})") from exc
        names = {v.value for v in solutions.variables}
        return [(check, {n: row[n] for n in names}) for row in solutions]

    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        return [found for rows in pool.map(run, checks) for found in rows]


def _canonical_variables(pattern: str) -> str:
    names: dict[str, str] = {}
    return _FRESH_VARIABLE.sub(lambda m: names.setdefault(m[0], f"?_{len(names)}"), pattern)


def _subclasses(store: ox.Store, cls: str) -> list[str]:
    rows = store.query(f"SELECT DISTINCT ?c WHERE {{ ?c <{rdflib.RDFS.subClassOf}>* <{cls}> }}",
                       use_default_graph_as_union=True)
    return sorted({cls} | {row["c"].value for row in rows if isinstance(row["c"], ox.NamedNode)})


def _store_violation(check: Check, row: Row, files: FileLocator, shapes: rdflib.Graph) -> Violation:
    focus = row.get("this")
    value = row.get("value") if check.has_value else None
    if check.component == "sparql" and value is None:
        value = focus  # SHACL-SPARQL: without ?value, a node shape's value node is the focus node
    message = check.message
    if check.component == "sparql":
        message = _TEMPLATE_VARIABLE.sub(lambda m: _plain(row.get(m[1])), message)
    return Violation(
        severity=check.severity,
        focus=_show_ox(focus),
        path=show_path(check.path, shapes) if check.path is not None else None,
        value=_show_ox(value) if value is not None else None,
        message=message,
        shape=_show(check.shape),
        files=files.files_for(_plain(focus), _plain(value) if value is not None else None),
    )


def _plain(term: object) -> str:
    """A term as a message shows it: an IRI or a literal's lexical form."""
    if term is None:
        return ""
    return term.value if isinstance(term, (ox.NamedNode, ox.Literal)) else str(term)


def _show_ox(term: object) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return "(blank node)"
    return str(term) if isinstance(term, ox.Literal) else compact(term.value)  # type: ignore[union-attr]


def _unique(violations: Iterable[Violation]) -> list[Violation]:
    return sorted(set(violations), key=lambda v: (*_order(v), v.path or "", v.value or "", v.shape))


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
        path=show_path(one(SH.resultPath), results) if one(SH.resultPath) is not None else None,
        value=_show(value) if value is not None else None,
        message=str(one(SH.resultMessage) or "constraint not met"),
        shape=_show(shape),
        files=dataset.files_for(str(focus), str(value) if value is not None else None),
    )


_PATH_FORMS = ((SH.inversePath, "^{}"), (SH.zeroOrMorePath, "{}*"), (SH.oneOrMorePath, "{}+"),
               (SH.zeroOrOnePath, "{}?"))


def show_path(path: rdflib.term.Node, graph: rdflib.Graph) -> str:
    """A SHACL property path in SPARQL's syntax (``rdfs:label|skos:prefLabel``, ``^org:hasSite``, ``a/b``)."""
    if not isinstance(path, rdflib.BNode):
        return _show(path)
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(show_path(p, graph) for p in rdflib.collection.Collection(graph, alternatives)) + ")"
    for predicate, form in _PATH_FORMS:
        inner = graph.value(path, predicate)
        if inner is not None:
            return form.format(show_path(inner, graph))
    if graph.value(path, rdflib.RDF.first) is not None:
        return "/".join(show_path(p, graph) for p in rdflib.collection.Collection(graph, path))
    return "(blank node)"


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
