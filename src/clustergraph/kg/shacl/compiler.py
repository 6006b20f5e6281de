"""Compile SHACL shapes into SPARQL SELECT checks that run inside Oxigraph.

pySHACL walks the data node by node in Python and grows faster than the data (hours at a million triples);
the same constraints written as a few hundred set-at-a-time SPARQL queries take seconds. Each
:class:`Check` selects the focus nodes (``?this``) and value nodes (``?value``) that violate one constraint
component of one shape. The compiler covers the SHACL Core components the project's shapes use plus
SHACL-SPARQL ``sh:select`` constraints; any other component raises :class:`ShapesError` instead of being
skipped, and the tests compare every result with pySHACL's on the same data.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import rdflib
from rdflib import RDF, XSD
from rdflib.collection import Collection
from rdflib.namespace import SH

from clustergraph.errors import ShapesError
from clustergraph.sparql.lexer import decode_escapes, tokens

TARGET = "\u0000target\u0000"  # where a pattern needs the target inside a sub-select
RDF_TYPE_PATH = f"<{RDF.type}>/<{rdflib.RDFS.subClassOf}>*"

# Datatypes whose lexical forms Oxigraph can check by casting the string (an ill-formed one casts to an error).
_CASTABLE = {str(XSD[n]) for n in (
    "boolean", "integer", "decimal", "float", "double", "date", "time", "dateTime", "gYear", "gYearMonth",
    "gMonth", "gMonthDay", "gDay", "duration", "yearMonthDuration", "dayTimeDuration")}
# Integer types derived by range. Oxigraph stores every literal of these types as xsd:integer, so in the store
# a derived type is checked as an xsd:integer (or the type itself) whose value lies in the type's range.
_INTEGER_RANGES = {
    str(XSD.nonNegativeInteger): ">= 0", str(XSD.positiveInteger): "> 0",
    str(XSD.nonPositiveInteger): "<= 0", str(XSD.negativeInteger): "< 0",
    str(XSD.long): ">= -9223372036854775808 && {i} <= 9223372036854775807",
    str(XSD.int): ">= -2147483648 && {i} <= 2147483647", str(XSD.short): ">= -32768 && {i} <= 32767",
    str(XSD.byte): ">= -128 && {i} <= 127", str(XSD.unsignedLong): ">= 0 && {i} <= 18446744073709551615",
    str(XSD.unsignedInt): ">= 0 && {i} <= 4294967295", str(XSD.unsignedShort): ">= 0 && {i} <= 65535",
    str(XSD.unsignedByte): ">= 0 && {i} <= 255",
}
_NODE_KINDS = {
    SH.IRI: "!isIRI({v})", SH.Literal: "!isLiteral({v})", SH.BlankNode: "!isBlank({v})",
    SH.BlankNodeOrIRI: "isLiteral({v})", SH.BlankNodeOrLiteral: "isIRI({v})", SH.IRIOrLiteral: "isBlank({v})",
}
_COMPARISONS = {SH.minInclusive: ">=", SH.minExclusive: ">", SH.maxInclusive: "<=", SH.maxExclusive: "<"}
# Parameters of shapes that are not constraints (targets, names, results' wording).
_NOT_CONSTRAINTS = {
    RDF.type, SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.path, SH.property,
    SH.severity, SH.message, SH.name, SH.description, SH.deactivated, SH.order, SH.group, SH.defaultValue,
    rdflib.RDFS.label, rdflib.RDFS.comment, SH.flags, SH.declare,
}


@dataclass(frozen=True)
class Check:
    """One constraint component of one shape as a SPARQL query over the union of the data graphs.

    The query selects ``?this`` (the focus node), ``?value`` when the component reports one, and any
    variable ``message`` refers to as ``{?name}``.
    """

    shape: rdflib.term.Node  # the node shape to name in reports (the holder of an inline property shape)
    source_shape: rdflib.term.Node
    component: str
    severity: str
    message: str
    path: rdflib.term.Node | None  # the shape's sh:path, for reports
    sparql: str
    has_value: bool = True


@dataclass
class _Fresh:
    """Fresh variable names, so nested patterns never capture each other's variables."""

    counter: Iterator[int] = field(default_factory=itertools.count)

    def __call__(self, stem: str = "v") -> str:
        return f"?_{stem}{next(self.counter)}"


@dataclass(frozen=True)
class _Pattern:
    component: str
    where: str
    value: str | None  # the variable holding the value node, if the component reports one
    test: str | None = None  # for a node-level test of the focus itself: the condition alone, for inlining
    binds_focus: bool = False  # the pattern finds its own focus nodes: may check the target after, not before
    binding: str = ""  # the triple pattern whose solutions the pattern tests, to weigh against the target


Subclasses = Callable[[str], list[str]]


Counter = Callable[[str], int]


def compile_checks(shapes: rdflib.Graph, subclasses: Subclasses | None = None,
                   count: Counter | None = None) -> list[Check]:
    """Every check of every active shape with a target, in a stable order.

    ``subclasses(C)`` lists C and every class below it in the data (``rdfs:subClassOf*``); given it, class
    targets and ``sh:class`` become ``VALUES`` lists, which Oxigraph joins far faster than the
    ``rdf:type/rdfs:subClassOf*`` path used without it. ``count(pattern)`` counts a pattern's solutions in
    the data; given it, each check starts from the smaller of its target and the triples it tests.

    :raises ShapesError: for a constraint component or path the compiler does not support.
    """
    compiler = _Compiler(shapes, subclasses, count)
    checks: list[Check] = []
    shared: dict[rdflib.term.Node, list[str]] = {}  # IRI property shapes used by several node shapes
    for shape in sorted(compiler.targeted_shapes(), key=str):
        checks.extend(compiler.checks_for(shape, shared))
    for prop, branches in sorted(shared.items(), key=lambda item: str(item[0])):
        target = " UNION ".join(f"{{ {b} }}" for b in sorted(set(branches)))
        checks.extend(compiler._check(prop, prop, p, target) for p in compiler.patterns(prop, "?this", top=True))
    return checks


class _Compiler:
    def __init__(self, shapes: rdflib.Graph, subclasses: Subclasses | None, count: Counter | None) -> None:
        self.g = shapes
        self.fresh = _Fresh()
        self.subclasses = subclasses
        self.count = count

    def instance_of(self, node: str, *classes: rdflib.term.Node) -> str:
        """A pattern matching when ``node`` is a SHACL instance of any of ``classes``."""
        if self.subclasses is None:
            return " UNION ".join(f"{{ {node} {RDF_TYPE_PATH} {c.n3()} . }}" for c in classes)
        kinds = " ".join(f"<{c}>" for c in sorted({k for cls in classes for k in self.subclasses(str(cls))}))
        t = self.fresh("type")
        return f"{node} <{RDF.type}> {t} . VALUES {t} {{ {kinds} }}"

    # --- shapes and targets ---------------------------------------------------------------------------
    def targeted_shapes(self) -> set[rdflib.term.Node]:
        targets = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
        shapes = {s for t in targets for s in self.g.subjects(t, None)}
        implicit = set(self.g.subjects(RDF.type, rdflib.RDFS.Class)) & (
            set(self.g.subjects(RDF.type, SH.NodeShape)) | set(self.g.subjects(RDF.type, SH.PropertyShape)))
        if implicit:
            raise ShapesError(f"implicit class targets are not supported: {sorted(map(str, implicit))}")
        return {s for s in shapes if not self._deactivated(s)}

    def _deactivated(self, shape: rdflib.term.Node) -> bool:
        return self.g.value(shape, SH.deactivated) == rdflib.Literal(True)

    def target_pattern(self, shape: rdflib.term.Node, this: str) -> str:
        return " UNION ".join(f"{{ {b} }}" for b in self.target_branches(shape, this))

    def target_branches(self, shape: rdflib.term.Node, this: str) -> list[str]:
        classes = sorted(self.g.objects(shape, SH.targetClass), key=str)
        branches = [self.instance_of(this, *classes)] if classes else []
        nodes = sorted(self.g.objects(shape, SH.targetNode), key=str)
        if nodes:
            branches.append(f"VALUES {this} {{ {' '.join(n.n3() for n in nodes)} }}")
        branches += [f"{this} {p.n3()} [] ." for p in self.g.objects(shape, SH.targetSubjectsOf)]
        branches += [f"[] {p.n3()} {this} ." for p in self.g.objects(shape, SH.targetObjectsOf)]
        return sorted(branches)

    def checks_for(self, shape: rdflib.term.Node, shared: dict[rdflib.term.Node, list[str]]) -> list[Check]:
        """Checks of a targeted shape: its own constraints, then those of each of its inline property shapes;
        IRI property shapes go to ``shared``, checked once for the union of the targets that use them."""
        this = "?this"
        target = self.target_pattern(shape, this)
        checks = [self._check(shape, shape, p, target) for p in self.patterns(shape, this, top=True)]
        checks += self._sparql_checks(shape, target)
        for prop in sorted(self.g.objects(shape, SH.property), key=str):
            if self._deactivated(prop):
                continue
            if self.g.value(prop, SH.sparql) is not None:
                raise ShapesError(f"{prop}: SPARQL constraints on property shapes are not supported")
            if not isinstance(prop, rdflib.BNode):
                shared.setdefault(prop, []).extend(self.target_branches(shape, this))
                continue
            checks += [self._check(shape, prop, p, target) for p in self.patterns(prop, this, top=True)]
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
        return self.count(pattern.binding) <= 8 * self.count(target)

    def severity(self, shape: rdflib.term.Node) -> str:
        return str(self.g.value(shape, SH.severity) or SH.Violation).rsplit("#", 1)[-1]

    def message(self, shape: rdflib.term.Node, component: str) -> str:
        message = self.g.value(shape, SH.message)
        return str(message) if message is not None else f"does not meet sh:{component}"

    # --- paths ----------------------------------------------------------------------------------------
    def path_text(self, path: rdflib.term.Node) -> str:
        """A SHACL path as a SPARQL property path."""
        if isinstance(path, rdflib.URIRef):
            return path.n3()
        if self.g.value(path, RDF.first) is not None:
            return "(" + "/".join(self.path_text(p) for p in Collection(self.g, path)) + ")"
        for predicate, template in ((SH.inversePath, "^{}"), (SH.zeroOrMorePath, "{}*"),
                                    (SH.oneOrMorePath, "{}+"), (SH.zeroOrOnePath, "{}?")):
            inner = self.g.value(path, predicate)
            if inner is not None:
                return "(" + template.format(self.path_text(inner)) + ")"
        alternatives = self.g.value(path, SH.alternativePath)
        if alternatives is not None:
            return "(" + "|".join(self.path_text(p) for p in Collection(self.g, alternatives)) + ")"
        raise ShapesError(f"unsupported SHACL path {path!r}")

    # --- constraint components --------------------------------------------------------------------------
    def patterns(self, shape: rdflib.term.Node, focus: str, *, top: bool) -> list[_Pattern]:
        """Graph patterns matching where ``focus`` violates ``shape`` (its own constraints and, for a nested
        shape, those of its property shapes)."""
        path = self.g.value(shape, SH.path)
        if path is not None:
            value = self.fresh("value")
            binding = f"{focus} {self.path_text(path)} {value} ."
        else:
            value, binding = focus, ""
        found: list[_Pattern] = []
        for predicate, obj in sorted(self.g.predicate_objects(shape), key=lambda po: (str(po[0]), str(po[1]))):
            if predicate in _NOT_CONSTRAINTS or predicate == SH.sparql:
                continue
            found.extend(self._component(shape, predicate, obj, focus, path, value, binding, top))
        if not top:
            for prop in self.g.objects(shape, SH.property):
                found.extend(self.patterns(prop, focus, top=False))
            if self.g.value(shape, SH.sparql) is not None:
                raise ShapesError(f"{shape}: SPARQL constraints inside sh:or/sh:and/sh:not are not supported")
        return found

    def _component(self, shape, predicate, obj, focus, path, value, binding, top) -> list[_Pattern]:
        name = str(predicate).rsplit("#", 1)[-1]
        path_text = self.path_text(path) if path is not None else None

        def on_values(condition: str) -> list[_Pattern]:
            test = condition.replace("{v}", value)
            return [_Pattern(name, f"{binding} FILTER ({test})", value, None if binding else test,
                             binds_focus=bool(binding), binding=binding)]

        if predicate == SH.minCount:
            if path_text is None:
                raise ShapesError(f"{shape}: sh:minCount needs sh:path")
            n = int(obj)
            if n == 0:
                return []
            if n == 1:
                absent = "MINUS" if top else "FILTER NOT EXISTS"  # MINUS: a hash anti-join, but only at the top
                return [_Pattern(name, f"{absent} {{ {focus} {path_text} {self.fresh()} }}", None)]
            if not top:
                raise ShapesError(f"{shape}: sh:minCount above 1 inside sh:or/sh:and/sh:not is not supported")
            v, count = self.fresh(), self.fresh("n")
            return [_Pattern(name, f"{{ SELECT {focus} (COUNT(DISTINCT {v}) AS {count}) WHERE {{ {TARGET} "
                                   f"OPTIONAL {{ {focus} {path_text} {v} }} }} GROUP BY {focus} }} "
                                   f"FILTER ({count} < {n})", None)]
        if predicate == SH.maxCount:
            if path_text is None:
                raise ShapesError(f"{shape}: sh:maxCount needs sh:path")
            n = int(obj)
            if n == 0:
                return [_Pattern(name, binding, value)]
            if top:
                v = self.fresh()
                return [_Pattern(name, f"{{ SELECT {focus} WHERE {{ {focus} {path_text} {v} }} GROUP BY {focus} "
                                       f"HAVING (COUNT(DISTINCT {v}) > {n}) }}", None, binds_focus=True)]
            if n == 1:
                a, b = self.fresh(), self.fresh()
                return [_Pattern(name, f"{focus} {path_text} {a} . {focus} {path_text} {b} . "
                                       f"FILTER (!sameTerm({a}, {b}))", None)]
            raise ShapesError(f"{shape}: sh:maxCount above 1 inside sh:or/sh:and/sh:not is not supported")
        if predicate == SH["class"]:
            if path_text is None or not top:  # MINUS needs the value bound on its left, in the same group
                return [_Pattern(name, f"FILTER NOT EXISTS {{ {self.instance_of(value, obj)} }}", value)]
            return [_Pattern(name, f"{binding} MINUS {{ {self.instance_of(value, obj)} }}", value, binds_focus=True,
                             binding=binding)]
        if predicate == SH.datatype:
            return on_values(_datatype_violation(str(obj)))
        if predicate == SH.nodeKind:
            if obj not in _NODE_KINDS:
                raise ShapesError(f"{shape}: unknown sh:nodeKind {obj}")
            return on_values(_NODE_KINDS[obj])
        if predicate == SH.pattern:
            flags = self.g.value(shape, SH.flags)
            regex = f"REGEX(STR({{v}}), {_string(str(obj))}" + (f", {_string(str(flags))})" if flags else ")")
            return on_values("isBlank({v}) || !" + regex)
        if predicate == SH["in"]:
            members = list(Collection(self.g, obj))
            same = " || ".join(f"sameTerm({{v}}, {m.n3()})" for m in members) or "false"
            return on_values(f"!({same})")
        if predicate in _COMPARISONS:
            return on_values(f"!COALESCE({{v}} {_COMPARISONS[predicate]} {obj.n3()}, false)")
        if predicate in (SH.minLength, SH.maxLength):
            op = ">=" if predicate == SH.minLength else "<="
            return on_values(f"isBlank({{v}}) || !(STRLEN(STR({{v}})) {op} {int(obj)})")
        if predicate == SH.hasValue:
            if path_text is None:
                return [_Pattern(name, f"FILTER (!sameTerm({focus}, {obj.n3()}))", None)]
            return [_Pattern(name, f"FILTER NOT EXISTS {{ {focus} {path_text} {obj.n3()} }}", None)]
        if predicate == SH.uniqueLang:
            if obj != rdflib.Literal(True):
                return []
            if top:
                v, lang = self.fresh(), self.fresh("lang")
                return [_Pattern(name, f"{{ SELECT {focus} {lang} WHERE {{ {focus} {path_text} {v} "
                                       f"BIND (LANG({v}) AS {lang}) FILTER ({lang} != \"\") }} GROUP BY {focus} {lang} "
                                       f"HAVING (COUNT(DISTINCT {v}) > 1) }}", None, binds_focus=True)]
            a, b = self.fresh(), self.fresh()
            return [_Pattern(name, f"{focus} {path_text} {a} . {focus} {path_text} {b} . "
                                   f"FILTER (!sameTerm({a}, {b}) && LANG({a}) != \"\" && LANG({a}) = LANG({b}))",
                             None)]
        if predicate in (SH["or"], SH["and"], SH["not"], SH.node):
            return [_Pattern(name, f"{binding} FILTER ({self._logical(predicate, obj, value)})", value,
                             binds_focus=bool(binding), binding=binding)]
        raise ShapesError(f"{shape}: the SPARQL validator does not support {predicate.n3()}; "
                          f"add it to clustergraph.kg.shape_checks or use --engine pyshacl")

    def _logical(self, predicate, obj, value: str) -> str:
        def violates(member: rdflib.term.Node) -> str:
            branches = self.patterns(member, value, top=False)
            if not branches:
                return "false"
            if all(b.test for b in branches):  # plain tests of the value: no EXISTS, no join
                return "(" + " || ".join(f"({b.test})" for b in branches) + ")"
            return "EXISTS { " + " UNION ".join(f"{{ {b.where} }}" for b in branches) + " }"

        if predicate == SH.node:
            return violates(obj)
        if predicate == SH["not"]:
            return f"!({violates(obj)})"
        members = [violates(m) for m in Collection(self.g, obj)]
        joiner = " && " if predicate == SH["or"] else " || "  # or: every member violated; and: any member
        return "(" + joiner.join(members or ["false"]) + ")"

    # --- SHACL-SPARQL ------------------------------------------------------------------------------------
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


def _datatype_violation(datatype: str) -> str:
    """A SPARQL condition true when ``{v}`` is not a well-formed literal of ``datatype``."""
    wrong = f"!isLiteral({{v}}) || datatype({{v}}) != <{datatype}>"
    if datatype in _CASTABLE:
        return f"{wrong} || !COALESCE(isLiteral(<{datatype}>(STR({{v}}))), false)"
    if datatype in _INTEGER_RANGES:
        integer = f"<{XSD.integer}>(STR({{v}}))"
        in_range = f"{integer} {_INTEGER_RANGES[datatype]}".replace("{i}", integer)
        return (f"!isLiteral({{v}}) || (datatype({{v}}) != <{datatype}> && datatype({{v}}) != <{XSD.integer}>) "
                f"|| !COALESCE({in_range}, false)")
    return wrong


def _string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


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
