"""Compile SHACL shapes into SPARQL SELECT checks that run inside Oxigraph.

pySHACL walks the data node by node in Python and grows faster than the data (hours at a million triples);
the same constraints written as a few hundred set-at-a-time SPARQL queries take seconds. Each
:class:`Check` selects the focus nodes (``?this``) and value nodes (``?value``) that violate one constraint
component of one shape. The compiler covers the SHACL Core components the project's shapes use plus
SHACL-SPARQL ``sh:select`` constraints; any other component raises :class:`ShapesError` instead of being
skipped, and the tests compare every result with pySHACL's on the same data.
"""

from __future__ import annotations

import rdflib
from rdflib.namespace import SH

from clustergraph.errors import ShapesError
from clustergraph.kg.shacl.components import ComponentParts
from clustergraph.kg.shacl.model import (
    TARGET,
    Check,
    Counter,
    Subclasses,
    _Fresh,
    _Pattern,
)
from clustergraph.kg.shacl.sparql import SparqlParts
from clustergraph.kg.shacl.targets import TargetParts


def compile_checks(shapes: rdflib.Graph, subclasses: Subclasses | None = None,
                   count: Counter | None = None) -> list[Check]:
    """Every check of every active shape with a target, in a stable order.

    ``subclasses(C)`` lists C and every class below it in the data (``rdfs:subClassOf*``); given it, class
    targets and ``sh:class`` become ``VALUES`` lists, which Oxigraph joins far faster than the
    ``rdf:type/rdfs:subClassOf*`` path used without it. ``count(pattern)`` counts a pattern's solutions in
    the data; given it, each check starts from the smaller of its target and the triples it tests.

    :raises ShapesError: for a constraint component or path the compiler does not support.
    """
    compiler = ShapeCompiler(shapes, subclasses, count)
    checks: list[Check] = []
    shared: dict[rdflib.term.Node, list[str]] = {}  # IRI property shapes used by several node shapes
    for shape in sorted(compiler.targeted_shapes(), key=str):
        checks.extend(compiler.checks_for(shape, shared))
    for prop, branches in sorted(shared.items(), key=lambda item: str(item[0])):
        target = " UNION ".join(f"{{ {b} }}" for b in sorted(set(branches)))
        checks.extend(compiler._check(prop, prop, p, target) for p in compiler.patterns(prop, "?this", top=True))
    return checks


class ShapeCompiler(TargetParts, ComponentParts, SparqlParts):
    """Compiles the shapes of one shapes graph; its parts are mixins by job."""

    def __init__(self, shapes: rdflib.Graph, subclasses: Subclasses | None, count: Counter | None) -> None:
        self.g = shapes
        self.fresh = _Fresh()
        self.subclasses = subclasses
        self.count = count
        self._implicit: set[rdflib.term.Node] | None = None

    def checks_for(self, shape: rdflib.term.Node, shared: dict[rdflib.term.Node, list[str]]) -> list[Check]:
        """Checks of a targeted shape: its own constraints, then those of each of its inline property shapes;
        IRI property shapes go to ``shared``, checked once for the union of the targets that use them."""
        this = "?this"
        target = self.target_pattern(shape, this)
        checks = [self._check(shape, shape, p, target) for p in self.patterns(shape, this, top=True)]
        checks += self._sparql_checks(shape, target)
        if self.g.value(shape, SH.path) is not None:  # a targeted property shape: its sh:property are nested
            return checks + self._nested_checks(shape, shape, target)
        for prop in self._property_shapes(shape):
            if not isinstance(prop, rdflib.BNode) and self.g.value(prop, SH.property) is None:
                shared.setdefault(prop, []).extend(self.target_branches(shape, this))
                continue
            checks += [self._check(shape, prop, p, target) for p in self.patterns(prop, this, top=True)]
            checks += self._nested_checks(shape, prop, target)
        return checks

    def _property_shapes(self, shape: rdflib.term.Node) -> list[rdflib.term.Node]:
        """The active property shapes of ``shape`` (``sh:property``)."""
        found = []
        for prop in sorted(self.g.objects(shape, SH.property), key=str):
            if self._deactivated(prop):
                continue
            if self.g.value(prop, SH.sparql) is not None:
                raise ShapesError(f"{prop}: SPARQL constraints on property shapes are not supported")
            found.append(prop)
        return found

    def _nested_checks(self, shape: rdflib.term.Node, prop: rdflib.term.Node, target: str) -> list[Check]:
        """Checks of the property shapes nested in property shape ``prop`` (``sh:property`` on a property
        shape): their focus nodes are the value nodes of ``prop`` for the focus nodes of ``target``."""
        nested = self._property_shapes(prop)
        if not nested:
            return []
        holder = self.fresh("holder")
        values = (f"{{ SELECT DISTINCT ?this WHERE {{ {{ {target.replace('?this', holder)} }} "
                  f"{holder} {self.path_text(self.g.value(prop, SH.path))} ?this . }} }}")
        checks = []
        for inner in nested:
            checks += [self._check(shape, inner, p, values) for p in self.patterns(inner, "?this", top=True)]
            checks += self._nested_checks(shape, inner, values)
        return checks

    def _check(self, shape: rdflib.term.Node, source: rdflib.term.Node, pattern: _Pattern, target: str) -> Check:
        value = f" ({pattern.value} AS ?value)" if pattern.value and pattern.value != "?value" else (
            " ?value" if pattern.value else "")
        if pattern.binds_focus and self._values_first(pattern, target):
            # Start from the triples that can violate, then keep those whose subject is a target: far cheaper
            # than joining every instance of a large class first.
            sparql = f"SELECT DISTINCT ?this{value} WHERE {{ {pattern.where} FILTER EXISTS {{ {target} }} }}"
        elif TARGET in pattern.where:
            sparql = f"SELECT DISTINCT ?this{value} WHERE {{ {pattern.where.replace(TARGET, target)} }}"
        else:
            sparql = f"SELECT DISTINCT ?this{value} WHERE {{ {target} {pattern.where} }}"
        path = self.g.value(source, SH.path)
        return Check(shape=shape, source_shape=source, component=pattern.component,
                     severity=self.severity(source), message=self.message(source, pattern.component),
                     path=path, sparql=sparql,
                     has_value=pattern.value is not None)

    def _values_first(self, pattern: _Pattern, target: str) -> bool:
        if self.count is None or not pattern.binding:
            return True
        # The EXISTS test runs every branch of the target (a UNION of the shapes that share a property shape)
        # for each triple tested: ten branches made provenance's check five times slower than target first.
        branches = target.count(" UNION ") + 1
        return self.count(pattern.binding) * branches <= 8 * self.count(target)

    def severity(self, shape: rdflib.term.Node) -> str:
        return str(self.g.value(shape, SH.severity) or SH.Violation).rsplit("#", 1)[-1]

    def message(self, shape: rdflib.term.Node, component: str) -> str:
        message = self.g.value(shape, SH.message)
        return str(message) if message is not None else f"does not meet sh:{component}"

    # --- paths ----------------------------------------------------------------------------------------
