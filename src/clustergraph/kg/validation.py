"""Validate the union of the ontology and all data graphs against the SHACL shapes.

Two engines give the same report: ``sparql`` (the default) runs the shapes compiled to SPARQL
(:mod:`clustergraph.kg.shacl`) inside the Oxigraph store the build has just loaded, in seconds at a million
triples; ``pyshacl`` runs pySHACL over an in-memory rdflib graph, the reference the tests compare against,
practical for small projects only.

The build adds triples of its own (derived labels, search keys) while the ``sparql`` engine validates: a
:class:`StoreValidation` runs the checks that cannot see those triples at the same time as the build computes
them, and the checks that can see them once they are in the store, so the report is the one of validating the
completed store.
"""

from __future__ import annotations

import functools
import re
import threading
from collections import deque
from collections.abc import Callable, Collection, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox
import rdflib
import rdflib.collection
import rdflib.plugins.sparql
from rdflib.namespace import SH
from rdflib.paths import NegatedPath
from rdflib.paths import Path as RdflibPath
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue

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
    return StoreValidation(store, shapes, threads=threads).run(files)


Row = dict[str, ox.NamedNode | ox.BlankNode | ox.Literal | None]
Added = Callable[[Collection[str]], None]  # what a job that adds triples calls once those of some properties are in


def run_checks(store: ox.Store, shapes: rdflib.Graph, *, threads: int = 2) -> list[tuple[Check, Row]]:
    """Every solution of every check compiled from ``shapes``, run on the union of the graphs of ``store``:
    the raw results (the check names its source shape, component and path; the row binds ``this`` and
    ``value``), before they become :class:`Violation` lines.

    :raises ShapesError: for shapes the SPARQL engine cannot compile.
    """
    return _run(store, compile_store_checks(store, shapes), threads)


def compile_store_checks(store: ox.Store, shapes: rdflib.Graph) -> list[Check]:
    """The checks compiled from ``shapes``, planned with the classes and counts of ``store``, the SPARQL
    constraints first (they scan most).

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
    return checks


def _run(store: ox.Store, checks: list[Check], threads: int) -> list[tuple[Check, Row]]:
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        return [found for rows in pool.map(functools.partial(_solutions, store), checks) for found in rows]


def _solutions(store: ox.Store, check: Check) -> list[tuple[Check, Row]]:
    try:
        solutions = store.query(check.sparql, use_default_graph_as_union=True)
    except SyntaxError as exc:
        raise ShapesError(f"{_show(check.shape)}: the compiled check does not parse ({exc})") from exc
    names = {v.value for v in solutions.variables}
    return [(check, {n: row[n] for n in names}) for row in solutions]


class StoreValidation:
    """One validation of ``store`` by the checks compiled from ``shapes``, while the caller may complete the
    store with triples of its own.

    ``adding`` names the properties (IRIs) of the triples the caller adds; ``literal_objects`` says that all their
    objects are literals (derived labels, search keys), so that a check that reads only IRI objects through a
    variable predicate (the dangling-reference check) need not wait for them. :meth:`run` runs the caller's job
    that computes and adds them on one of the validation's threads, and the checks that cannot match such a
    triple on the others (Oxigraph releases the GIL while it evaluates a query, so they overlap the job's
    Python work); only once the job has returned do the other checks run, ahead of the first checks left. The
    report is the one validating the completed store gives: a first check cannot tell whether the added
    triples are in the store, so whether it runs before, during or after the job does not change its results
    (a query reads one snapshot of the store, and the job's triples are only ones it cannot match)::

        validation = StoreValidation(store, shapes, adding=[RDFS_LABEL.value], literal_objects=True)
        report = validation.run(files, meanwhile=lambda added: store.bulk_extend(derive_labels(store)))

    :raises ShapesError: for shapes the SPARQL engine cannot compile (when constructed), or a compiled check
        that does not parse.
    """

    def __init__(self, store: ox.Store, shapes: rdflib.Graph, *, adding: Collection[str] = (),
                 literal_objects: bool = False, threads: int = 2) -> None:
        self.store, self.shapes, self.threads = store, shapes, max(1, threads)
        checks = compile_store_checks(store, shapes)
        properties = frozenset(adding)
        with ThreadPoolExecutor(max_workers=1) as reader:  # see _may_match
            self.waits = reader.submit(_waits, checks, properties, literal_objects).result() if properties else {}
        self.first = [c for c in checks if id(c) not in self.waits]
        self.later = [c for c in checks if id(c) in self.waits]
        self.properties = properties

    def run(self, files: FileLocator, *, meanwhile: Callable[[Added], None] | None = None) -> ValidationReport:
        """Run every check, and ``meanwhile`` (the job that adds the triples) beside the first ones; report.

        The job is called with ``added``: calling ``added(properties)`` says that every triple it adds with those
        properties is in the store, and releases the checks that wait for those properties only (the rest
        wait until the job returns).

        When ``meanwhile`` or a check fails, no other check starts and its error is raised.
        """
        pending = deque(self.first if meanwhile is not None else self.first + self.later)
        waiting = list(self.later) if meanwhile is not None else []
        ready: set[str] = set()
        rows: list[tuple[Check, Row]] = []
        errors: list[BaseException] = []
        state = threading.Condition()
        added = meanwhile is None

        def announce(properties: Collection[str]) -> None:
            with state:
                ready.update(properties)
                released = [c for c in waiting if self.waits[id(c)] <= ready]
                for check in released:
                    waiting.remove(check)
                pending.extendleft(reversed(released))  # what they wait for is in the store: ahead of the rest
                state.notify_all()

        def work(job: Callable[[Added], None] | None) -> None:
            nonlocal added
            try:
                if job is not None:
                    job(announce)
                    announce(self.properties)  # the store is complete: every check may run now
                    with state:
                        added = True
                        state.notify_all()
                while True:
                    with state:
                        while not (pending or added or errors):
                            state.wait()  # the first checks are done, the later ones wait for the job
                        if errors or not pending:
                            return
                        check = pending.popleft()
                    rows.extend(_solutions(self.store, check))
            except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread below
                with state:
                    errors.append(exc)
                    state.notify_all()

        workers = [threading.Thread(target=work, args=(meanwhile if n == 0 else None,), name=f"validation-{n}")
                   for n in range(self.threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        if errors:
            raise errors[0]
        report = ValidationReport()
        for check, row in rows:
            violation = _store_violation(check, row, files, self.shapes)
            (report.violations if violation.severity == "Violation" else report.warnings).append(violation)
        report.violations = _unique(report.violations)
        report.warnings = _unique(report.warnings)
        return report


def _waits(checks: list[Check], properties: frozenset[str], literal_objects: bool) -> dict[int, frozenset[str]]:
    """For each check (by id) that may match a triple whose predicate is one of ``properties`` (and, when
    ``literal_objects``, whose object is a literal), the ones among ``properties`` it may match.

    Run it on a thread of its own: rdflib's parser keeps the exceptions of its backtracking in a cache, and
    with them the frames of the stack they were raised on, which would keep the caller's store open.
    """
    waits = {}
    for check in checks:
        if _may_match(check, properties, literal_objects):
            waits[id(check)] = frozenset(p for p in properties
                                         if _may_match(check, frozenset({p}), literal_objects)) or properties
    return waits


def _may_match(check: Check, properties: frozenset[str], literal_objects: bool = False) -> bool:
    """Whether ``check`` may match a triple whose predicate is one of ``properties``: it names one, or (a
    SHACL-SPARQL constraint) it matches triples of any predicate (a variable or a negated property set in
    the predicate position) or reads a named graph. The compiler writes the SHACL Core checks with the full
    IRI of every predicate they match (``sh:path``, targets, ``rdf:type``), so their text alone tells.

    When the added triples all have literal objects (``literal_objects``), a triple pattern of a SHACL-SPARQL
    constraint cannot match one if its object is an IRI, or a variable that a filter over the pattern's group
    keeps to IRIs and blank nodes (``FILTER (isIRI(?o))``): every solution the triple would give is dropped.
    """
    if any(f"<{iri}>" in check.sparql for iri in properties):
        return True
    return check.component == "sparql" and _query_may_match(check.sparql, properties, literal_objects)


@functools.lru_cache(maxsize=256)
def _query_may_match(sparql: str, properties: frozenset[str], literal_objects: bool = False) -> bool:
    try:
        algebra = translateQuery(parseQuery(sparql)).algebra
    except Exception:  # noqa: BLE001 - a query rdflib cannot read is run last, with the added triples in
        return True
    return _matches_any(algebra, properties, frozenset() if literal_objects else None)


# Algebra nodes whose every solution keeps the bindings of the pattern below (a filter above them sees them).
_KEEPS_BINDINGS = frozenset({"Join", "Union", "BGP", "Extend", "Distinct", "Reduced", "ToMultiSet", "OrderBy",
                             "Filter", "Project"})
_NOT_LITERAL_TESTS = frozenset({"Builtin_isIRI", "Builtin_isURI", "Builtin_isBLANK"})


def _matches_any(node: object, properties: frozenset[str], not_literals: frozenset[str] | None) -> bool:
    """Whether the rdflib SPARQL algebra ``node`` has a triple pattern or path step that may match one of
    ``properties`` (named, a variable, a negated set), or a GRAPH or SERVICE pattern.

    ``not_literals`` (None unless the added triples' objects are all literals) names the variables that a
    filter above ``node`` keeps from being literals, through nodes that keep their solutions' bindings."""
    if isinstance(node, CompValue):
        if node.name in ("Graph", "ServiceGraphPattern"):
            return True
        if node.name in ("BGP", "TriplesBlock") and any(
                _step_matches(p, properties) and _object_may_be_literal(p, o, not_literals)
                for _, p, o in _triples(node)):
            return True
        below = not_literals
        if not_literals is not None and node.name not in _KEEPS_BINDINGS:
            below = frozenset()  # a LeftJoin, Minus, Group, Slice...: a dropped solution may change the rest
        if not_literals is not None and node.name == "Project":
            below = not_literals & {str(v) for v in dict.get(node, "PV", ())}
        if below is not None and node.name == "Filter":
            below = below | _kept_from_literals(node.expr)
        if below and node.name == "Extend" and str(node.var) in below and isinstance(node.expr, rdflib.Variable):
            below = below | {str(node.expr)}  # BIND (?object AS ?value): a literal ?object makes ?value one
        return any(_matches_any(value, properties, below if key in ("p", "p1", "p2") else _reset(not_literals))
                   for key, value in dict.items(node))
    if isinstance(node, (list, tuple)):
        return any(_matches_any(item, properties, _reset(not_literals)) for item in node)
    return False


def _reset(not_literals: frozenset[str] | None) -> frozenset[str] | None:
    return None if not_literals is None else frozenset()


def _triples(node: CompValue) -> list[tuple]:
    """The (subject, predicate, object) patterns of a BGP, or of a triples block not yet translated (in an
    EXISTS), whose lists hold subject, predicate, object, subject, ... in a row."""
    if node.name == "BGP":
        return list(dict.get(node, "triples", ()))
    flat = [term for triple in dict.get(node, "triples", ()) for term in triple]
    return [tuple(flat[i:i + 3]) for i in range(0, len(flat) - 2, 3)]


def _object_may_be_literal(predicate: object, term: object, not_literals: frozenset[str] | None) -> bool:
    """Whether a triple with a literal object may match the pattern (``predicate``, ``term``); a path may match it
    in another place (``^p`` binds the object to the subject), so only a plain predicate or variable is read."""
    if not_literals is None or not isinstance(predicate, (rdflib.URIRef, rdflib.Variable)):
        return True
    if isinstance(term, (rdflib.URIRef, rdflib.BNode)):
        return False
    return not (isinstance(term, rdflib.Variable) and str(term) in not_literals)


def _kept_from_literals(expr: object) -> frozenset[str]:
    """The variables that ``expr`` (a filter) is false or an error for when they are literals: those tested
    by isIRI, isURI or isBlank among its top-level conjuncts."""
    if isinstance(expr, CompValue) and expr.name == "ConditionalAndExpression":
        found: frozenset[str] = frozenset()
        for part in [expr.expr, *(expr.other or ())]:
            found |= _kept_from_literals(part)
        return found
    if isinstance(expr, CompValue) and expr.name in _NOT_LITERAL_TESTS and isinstance(expr.arg, rdflib.Variable):
        return frozenset({str(expr.arg)})
    return frozenset()


def _step_matches(predicate: object, properties: frozenset[str]) -> bool:
    if isinstance(predicate, (NegatedPath, rdflib.Variable)):
        return True
    if isinstance(predicate, RdflibPath):
        steps = [getattr(predicate, "arg", None), getattr(predicate, "path", None), *getattr(predicate, "args", ())]
        return any(_step_matches(step, properties) for step in steps if step is not None)
    return str(predicate) in properties


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
