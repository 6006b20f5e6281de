"""SHACL Core constraint components and property paths, each written as a SPARQL pattern of its violations."""

from __future__ import annotations

import rdflib
from rdflib import RDF, XSD
from rdflib.collection import Collection
from rdflib.namespace import SH

from clustergraph.errors import ShapesError
from clustergraph.kg.shacl.model import TARGET, _Pattern

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


class ComponentParts:
    """Mixin of :class:`~clustergraph.kg.shacl.compiler.ShapeCompiler`: paths and constraint components."""

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
        if self._deactivated(shape):  # also when reached through sh:node, sh:or, sh:and, sh:not
            return []
        path = self.g.value(shape, SH.path)
        if path is not None:
            value = self.fresh("value")
            binding = f"{focus} {self.path_text(path)} {value} ."
        else:
            value, binding = focus, ""
        found: list[_Pattern] = []
        for predicate, obj in sorted(self.g.predicate_objects(shape), key=lambda po: (str(po[0]), str(po[1]))):
            if predicate in _NOT_CONSTRAINTS or predicate == SH.sparql or not str(predicate).startswith(str(SH)):
                continue  # annotations (rdfs:seeAlso, skos:note, ...) are no constraints: SHACL ignores them
            found.extend(self._component(shape, predicate, obj, focus, path, value, binding, top))
        if not top:
            for prop in self.g.objects(shape, SH.property):
                # a property shape's nested property shapes apply to its value nodes, a node shape's to its focus
                found.extend(_Pattern(p.component, f"{binding} {p.where}", None) if binding else p
                             for p in self.patterns(prop, value, top=False))
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
            if n == 0:  # SHACL reports each focus node once, without a value
                return [_Pattern(name, binding, None, binds_focus=True, binding=binding)] if top else [
                    _Pattern(name, binding, None)]
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
                          f"add it to clustergraph.kg.shacl.components or use --engine pyshacl")

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
