"""The W3C SHACL Core test suite (vendored in ``tests/w3c-shacl/core``): its manifests read into cases, and
validation results of either engine reduced to comparable result keys.

A result key is (focus, path, value, source shape, component, severity). Terms compare as N-Triples with
literals canonical as Oxigraph stores them (``"-5.0"^^xsd:decimal`` is ``"-5"``). Blank nodes keep their
labels when the expected report, the data and the shapes come from one file (the data is loaded into
Oxigraph with rdflib's blank node labels, so they match exactly); a blank node from a *separate* data or
shapes file cannot be named by the manifest, so there it would compare only as "some blank node" (``_:``);
no expected report of the suite needs that (``test_the_suite_is_all_there`` asserts it).
Paths compare by structure (``(<p>/^<q>)``), never by blank node label.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import rdflib
from rdflib import RDF
from rdflib.collection import Collection
from rdflib.namespace import SH

SUITE = Path(__file__).resolve().parent / "w3c-shacl" / "core"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = rdflib.Namespace("http://www.w3.org/ns/shacl-test#")

Key = tuple[str, str, str, str, str, str]  # focus, path, value, source shape, component, severity


@dataclass(frozen=True)
class Case:
    """One ``sht:Validate`` entry: where its graphs are, and the expected report."""

    name: str  # e.g. "property/property-001"
    manifest: Path
    data: Path
    shapes: Path
    conforms: bool
    expected: frozenset[Key]


_graphs: dict[Path, rdflib.Graph] = {}


def graph(path: Path) -> rdflib.Graph:
    """The parsed file, parsed once: a file that is manifest, data and shapes at once is one graph, so its
    blank nodes are the same objects everywhere."""
    if path not in _graphs:
        _graphs[path] = rdflib.Graph().parse(path, format="turtle", publicID=path.as_uri())
    return _graphs[path]


def cases() -> list[Case]:
    """Every ``sht:Validate`` test reachable from the suite's top manifest, in manifest order."""
    return list(_walk(SUITE / "manifest.ttl"))


def _walk(manifest: Path) -> Iterator[Case]:
    g = graph(manifest)
    for root in g.subjects(RDF.type, MF.Manifest):
        for included in g.objects(root, MF.include):
            yield from _walk(_file(included))
        for entries in g.objects(root, MF.entries):
            for entry in Collection(g, entries):
                if (entry, RDF.type, SHT.Validate) in g:
                    yield _case(g, manifest, entry)


def _file(iri: rdflib.term.Node) -> Path:
    return Path(str(iri).removeprefix("file://"))


def _case(g: rdflib.Graph, manifest: Path, entry: rdflib.term.Node) -> Case:
    action, report = g.value(entry, MF.action), g.value(entry, MF.result)
    data, shapes = _file(g.value(action, SHT.dataGraph)), _file(g.value(action, SHT.shapesGraph))
    expected = frozenset(result_key(g, r, data=data == manifest, shapes=shapes == manifest)
                         for r in g.objects(report, SH.result))
    name = f"{manifest.parent.name}/{str(entry).rsplit('/', 1)[-1]}"
    return Case(name, manifest, data, shapes, bool(g.value(report, SH.conforms).toPython()), expected)


def result_key(g: rdflib.Graph, result: rdflib.term.Node, *, data: bool, shapes: bool) -> Key:
    """The key of one ``sh:ValidationResult`` in ``g`` (an expected report, or pySHACL's); ``data`` and
    ``shapes`` tell whether the data and shapes graphs are the manifest's own file (blank nodes keep labels)."""
    path = g.value(result, SH.resultPath)
    return (term(g.value(result, SH.focusNode), data),
            path_key(g, path) if path is not None else "",
            term(g.value(result, SH.value), data),
            term(g.value(result, SH.sourceShape), shapes),
            str(g.value(result, SH.sourceConstraintComponent)),
            severity_name(g.value(result, SH.resultSeverity)))


def severity_name(severity: object) -> str:
    """A severity by local name (``Violation``, ``MySeverity``): the compiler's checks keep no more."""
    return str(severity).rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def term(node: object, same: bool) -> str:
    """A comparable text for an rdflib or Oxigraph term (see the module docstring)."""
    if node is None:
        return ""
    if isinstance(node, (rdflib.BNode, ox.BlankNode)):
        return f"_:{node}" if same and isinstance(node, rdflib.BNode) else (
            f"_:{node.value}" if same else "_:")
    if isinstance(node, rdflib.Literal):
        node = to_ox(node)
    if isinstance(node, ox.Literal):
        store = ox.Store()
        store.add(ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), node))
        return str(next(iter(store)).object)
    return f"<{node.value}>" if isinstance(node, ox.NamedNode) else f"<{node}>"


def path_key(g: rdflib.Graph, path: rdflib.term.Node) -> str:
    """A SHACL path by structure, as a SPARQL property path."""
    if isinstance(path, rdflib.URIRef):
        return f"<{path}>"
    if g.value(path, RDF.first) is not None:
        return "(" + "/".join(path_key(g, p) for p in Collection(g, path)) + ")"
    for predicate, template in ((SH.inversePath, "^{}"), (SH.zeroOrMorePath, "{}*"),
                                (SH.oneOrMorePath, "{}+"), (SH.zeroOrOnePath, "{}?")):
        inner = g.value(path, predicate)
        if inner is not None:
            return "(" + template.format(path_key(g, inner)) + ")"
    alternatives = g.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(path_key(g, p) for p in Collection(g, alternatives)) + ")"
    raise ValueError(f"not a SHACL path: {path!r}")


def to_ox(node: rdflib.term.Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """An rdflib term as an Oxigraph term; blank nodes keep their labels."""
    if isinstance(node, rdflib.URIRef):
        return ox.NamedNode(str(node))
    if isinstance(node, rdflib.BNode):
        return ox.BlankNode(str(node))
    assert isinstance(node, rdflib.Literal)
    if node.language:
        return ox.Literal(str(node), language=node.language)
    return ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype or rdflib.XSD.string)))


def store_of(g: rdflib.Graph) -> ox.Store:
    """``g`` in a fresh Oxigraph store, blank node labels kept."""
    store = ox.Store()
    store.extend(ox.Quad(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in g)  # type: ignore[arg-type]
    return store
