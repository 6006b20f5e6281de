"""SHACL-SPARQL constraints (sh:sparql with sh:select): the query with a pre-bound $this and its prefixes."""

from __future__ import annotations

import rdflib
from rdflib.namespace import SH

from clustergraph.errors import ShapesError
from clustergraph.kg.shacl.model import Check
from clustergraph.sparql.lexer import decode_escapes, tokens


class SparqlParts:
    """Mixin of :class:`~clustergraph.kg.shacl.compiler.ShapeCompiler`: SHACL-SPARQL constraints."""

    def _sparql_checks(self, shape: rdflib.term.Node, target: str) -> list[Check]:
        checks = []
        for constraint in sorted(self.g.objects(shape, SH.sparql), key=str):
            if self._deactivated(constraint):
                continue
            select = self.g.value(constraint, SH.select)
            if select is None:
                raise ShapesError(f"{shape}: a SPARQL constraint needs sh:select")
            prefixes = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in self._prefixes(constraint))
            message = self.g.value(constraint, SH.message) or self.g.value(shape, SH.message)
            sparql = prefixes + _join_target(str(select), target)
            checks.append(Check(shape=shape, source_shape=shape, component="sparql",
                                severity=self.severity(shape),
                                message=str(message) if message is not None else "does not meet sh:sparql",
                                path=None, sparql=sparql, has_value="?value" in str(select)))
        return checks

    def _prefixes(self, constraint: rdflib.term.Node) -> list[tuple[str, str]]:
        found = []
        for holder in self.g.objects(constraint, SH.prefixes):
            for declaration in self.g.objects(holder, SH.declare):
                found.append((str(self.g.value(declaration, SH.prefix)), str(self.g.value(declaration, SH.namespace))))
        return sorted(found)


def _join_target(select: str, target: str) -> str:
    """``select`` with the target pattern joined at the start of its WHERE group, pre-binding ``$this`` to
    the shape's focus nodes (a join: the constraint's own patterns bind ``$this`` too)."""
    text = decode_escapes(select)
    found = list(tokens(text))
    words = [i for i, t in enumerate(found) if t.kind == "word" and t.text.upper() == "WHERE"]
    start = words[0] if words else 0
    for token in found[start:]:
        if token.text == "{":
            position = token.start + 1
            return text[:position] + f" {{ {target} }} " + text[position:]
    raise ShapesError(f"cannot find the WHERE clause of the SPARQL constraint: {select[:80]!r}")
