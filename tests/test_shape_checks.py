"""The SPARQL validator (shapes compiled to SPARQL, run in Oxigraph) reports exactly what pySHACL reports."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from conftest import FIXTURES, ROOT, make_project, run_cli
from rdflib.namespace import SH

from clustergraph.errors import ShapesError
from clustergraph.kg.build import check
from clustergraph.kg.layout import Layout
from clustergraph.kg.shacl import compile_checks
from clustergraph.kg.validation import ValidationReport, validate_store
from clustergraph.synth import SynthConfig, generate

INVALID = sorted(p for p in (FIXTURES / "invalid").glob("*.ttl") if p.name != "broken-syntax.ttl")
MANY = FIXTURES / "engines" / "many-defects.ttl"


def _canonical(value: str | None) -> str | None:
    """A reported literal as Oxigraph stores it ("-5.0"^^xsd:decimal is "-5"; derived integer types are
    xsd:integer), so both engines' reports compare by value."""
    if value is None or not value.startswith('"'):
        return value
    store = ox.Store()
    store.load(f"<urn:s> <urn:p> {value} .".encode(), format=ox.RdfFormat.N_TRIPLES)
    return str(next(iter(store)).object)


def _results(report: ValidationReport) -> set[tuple]:
    return {(v.severity, v.focus, v.path, _canonical(v.value), v.shape, v.message, v.files)
            for v in report.violations + report.warnings}


def _same_report(root: Path) -> set[tuple]:
    ours, _ = check(Layout(root), engine="sparql")
    reference, _ = check(Layout(root), engine="pyshacl")
    assert _results(ours) == _results(reference)
    return _results(ours)


def test_engines_agree_on_the_curated_data():
    assert _same_report(ROOT) == set()


@pytest.mark.parametrize("fixture", INVALID, ids=lambda p: p.stem)
def test_engines_agree_on_each_defect(tmp_path, fixture):
    assert _same_report(make_project(tmp_path, fixture)), "each invalid fixture must be reported"


def test_engines_agree_on_every_constraint_component(tmp_path):
    found = _same_report(make_project(tmp_path, MANY))
    focus = {(r[1], r[2] or "") for r in found}
    expected = {
        ("cgr:org-a", "skos:prefLabel"),  # sh:or of datatypes, sh:uniqueLang
        ("cgr:org-a", "cg:foundingYear"),  # sh:maxCount, ill-formed xsd:gYear
        ("cgr:org-a", "foaf:homepage"),  # sh:nodeKind, sh:pattern
        ("cgr:org-a", "cg:technologyArea"),  # sh:class
        ("cgr:proj-b", "cg:family"),  # sh:in
        ("cgr:proj-b", "cg:partnerCount"),  # xsd:nonNegativeInteger below 0
        ("cgr:proj-b", "cg:partnerCountry"),  # sh:pattern
        ("cgr:proj-b", ""),  # the SPARQL warning on conflicting counts
        ("cgr:align-c", ""),  # node-level sh:or of property shapes
        ("cgr:loc-d", ""),  # a warning
        ("cgr:amount-e", "schema:value"),  # sh:minInclusive, sh:datatype, sh:maxCount
        ("cgr:amount-e", "cg:currency"),  # sh:minCount
    }
    assert expected <= focus, sorted(expected - focus)
    assert ("cgr:org-a", "cg:recognisedBy") not in focus, "a cluster organisation is an organisation (subclass)"
    warnings = {r[1] for r in found if r[0] == "Warning"}
    assert {"cgr:loc-d", "cgr:proj-b"} <= warnings


def test_ill_formed_literals_are_refused(tmp_path):
    """sh:datatype also means a well-formed lexical form; pySHACL does not check xsd:gYear's, the SPARQL
    validator does (Oxigraph's casts reject it)."""
    extra = tmp_path / "ill-formed.ttl"
    extra.write_text(MANY.read_text().split("# sh:or of datatypes")[0] + """
cgr:afil cg:foundingYear "20x1"^^xsd:gYear .
""")
    ours, _ = check(Layout(make_project(tmp_path, extra)), engine="sparql")
    assert [(v.focus, v.value) for v in ours.violations] == [
        ("cgr:afil", '"20x1"^^<http://www.w3.org/2001/XMLSchema#gYear>')]


def test_engines_agree_on_synthetic_data(tmp_path):
    root = make_project(tmp_path)
    generate(SynthConfig(clusters=6, scale=0.3, seed=3), root / "data" / "synth", reference=ROOT / "data" / "reference")
    _same_report(root)


def test_unsupported_component_is_refused_not_skipped():
    shapes = rdflib.Graph().parse(data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <urn:ex:> .
        ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:closed true .""", format="turtle")
    with pytest.raises(ShapesError, match="closed"):
        compile_checks(shapes)


def test_checks_run_on_any_oxigraph_store():
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:ex:a"), ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                      ox.NamedNode("urn:ex:C"), ox.NamedNode("urn:ex:g")))
    shapes = rdflib.Graph().parse(data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <urn:ex:> .
        ex:S a sh:NodeShape ; sh:targetClass ex:C ;
            sh:property [ sh:path ex:name ; sh:minCount 2 ; sh:message "two names" ] .""", format="turtle")

    class NoFiles:
        def files_for(self, node: str, value: str | None = None) -> tuple[str, ...]:
            return ()

    report = validate_store(store, shapes, NoFiles())
    assert [(v.focus, v.message) for v in report.violations] == [("urn:ex:a", "two names")]


def test_cli_chooses_the_engine(tmp_path):
    bad = make_project(tmp_path, FIXTURES / "invalid" / "missing-role.ttl")
    for engine in ("sparql", "pyshacl"):
        result = run_cli("validate", "--root", str(bad), "--engine", engine)
        assert result.returncode == 1 and "A participation needs a cg:role" in result.stderr, result.stderr
    result = run_cli("validate", "--root", str(bad), "--engine", "guess")
    assert result.returncode == 2 and "unknown validation engine 'guess'" in result.stderr


_PREFIXES = """@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <urn:ex:> .
    @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
"""
_DATA = """@prefix ex: <urn:ex:> . @prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
    ex:a a ex:C ; ex:address ex:addr . ex:addr ex:city "Paris" ."""


def _both_engines(shapes_ttl: str) -> set[tuple]:
    """(focus, path, value) of each result, asserting the SPARQL engine and pySHACL agree."""
    import pyshacl

    from clustergraph.kg.validation import run_checks

    shapes = rdflib.Graph().parse(data=_PREFIXES + shapes_ttl, format="turtle")
    store = ox.Store()
    store.load(_DATA.encode(), format=ox.RdfFormat.TURTLE)
    ours = {(row["this"].value, str(check.path), row["value"].value if check.has_value else None)
            for check, row in run_checks(store, shapes)}
    data = rdflib.Graph().parse(data=_DATA, format="turtle")
    _, report, _ = pyshacl.validate(data, shacl_graph=shapes)
    theirs = {(str(report.value(r, SH.focusNode)), str(report.value(r, SH.resultPath)),
               str(report.value(r, SH.value)) if report.value(r, SH.value) is not None else None)
              for r in report.objects(None, SH.result)}
    assert ours == theirs
    return ours


def test_nested_property_shapes_check_the_value_nodes():
    found = _both_engines("""ex:S a sh:NodeShape ; sh:targetClass ex:C ;
        sh:property [ sh:path ex:address ; sh:property [ sh:path ex:city ; sh:datatype rdfs:Resource ] ] .""")
    assert found == {("urn:ex:addr", "urn:ex:city", "Paris")}


def test_a_shape_deactivated_behind_sh_node_is_not_checked():
    assert _both_engines("""ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:node ex:Off .
        ex:Off a sh:NodeShape ; sh:deactivated true ; sh:property [ sh:path ex:name ; sh:minCount 1 ] .""") == set()
    assert _both_engines("""ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:node ex:On .
        ex:On a sh:NodeShape ; sh:property [ sh:path ex:name ; sh:minCount 1 ] .""") == {("urn:ex:a", "None", "urn:ex:a")}


def test_annotations_on_shapes_are_ignored_but_unknown_shacl_terms_are_refused():
    found = _both_engines("""ex:S a sh:NodeShape ; sh:targetClass ex:C ; rdfs:seeAlso ex:doc ; skos:note "n" ;
        sh:property [ sh:path ex:name ; sh:minCount 1 ; skos:note "why" ] .""")
    assert found == {("urn:ex:a", "urn:ex:name", None)}
    shapes = rdflib.Graph().parse(data=_PREFIXES + "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:xone ( ) .",
                                  format="turtle")
    with pytest.raises(ShapesError, match="xone"):
        compile_checks(shapes)


def test_a_shape_that_is_a_class_targets_its_instances():
    found = _both_engines("""ex:C a rdfs:Class, sh:NodeShape ; sh:property [ sh:path ex:name ; sh:minCount 1 ] .""")
    assert found == {("urn:ex:a", "urn:ex:name", None)}
