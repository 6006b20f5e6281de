"""The build computes the derived labels and the search keys while it validates: the store and the report are
the ones of doing it step by step (labels, then search keys, then validation of the completed store)."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from conftest import FIXTURES, ROOT, make_project

from clustergraph.errors import ValidationFailed
from clustergraph.kg.build import build, check
from clustergraph.kg.dataset import load_sources, project_sources
from clustergraph.kg.derived_labels import (
    RDFS_LABEL,
    derive_labels,
    labels_and_search_keys,
)
from clustergraph.kg.layout import Layout
from clustergraph.kg.search_keys import SEARCH_KEY, search_keys
from clustergraph.kg.store import StoreRoot
from clustergraph.kg.validation import StoreValidation

UNLABELLED = """@prefix cg: <https://w3id.org/clustergraph/ontology#> .
@prefix cgr: <https://w3id.org/clustergraph/id/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

cgr:named-twice skos:prefLabel "Preferred name"@en ; rdfs:label "Other name"@en .
cgr:nameless-thing a cg:SourceGap .
"""


class NoFiles:
    def files_for(self, node: str, value: str | None = None) -> tuple[str, ...]:
        return ()


def _loaded(root: Path) -> ox.Store:
    store = ox.Store()
    load_sources(store, project_sources(Layout(root)))
    return store


def _step_by_step(store: ox.Store) -> tuple[list[ox.Quad], list[ox.Quad]]:
    labels = derive_labels(store)
    store.extend(labels)
    keys = search_keys(store)
    store.extend(keys)
    return labels, keys


def _quads(quads: Iterable[ox.Quad]) -> set[str]:
    """The quads without a blank node (a store names the blank nodes of each load anew)."""
    return {str(q) for q in quads if not isinstance(q.subject, ox.BlankNode) and not isinstance(q.object, ox.BlankNode)}


def test_one_read_of_the_names_gives_the_labels_and_keys_of_the_two_steps(tmp_path):
    extra = tmp_path / "named-twice.ttl"
    extra.write_text(UNLABELLED)
    root = make_project(tmp_path, extra)
    store = _loaded(root)
    labels, keys = labels_and_search_keys(store)
    assert len(store) == len(_loaded(root)), "only read, never written"
    expected_labels, expected_keys = _step_by_step(store)
    assert set(map(str, labels)) == set(map(str, expected_labels)) and labels
    assert set(map(str, keys)) == set(map(str, expected_keys))
    derived = {q.subject.value for q in labels}
    assert any(q.subject.value in derived for q in keys), "the derived labels are searchable too"


def test_the_curated_project_gets_the_labels_and_keys_of_the_two_steps():
    store = _loaded(ROOT)
    labels, keys = labels_and_search_keys(store)
    expected_labels, expected_keys = _step_by_step(store)
    assert set(map(str, labels)) == set(map(str, expected_labels))
    assert set(map(str, keys)) == set(map(str, expected_keys))


def test_a_name_in_a_derived_label_is_the_preferred_label_first(tmp_path):
    extra = tmp_path / "named.ttl"
    extra.write_text(UNLABELLED + """
cgr:named-twice a cg:ClusterOrganisation .
cgr:named-twice-members a cg:MemberCountObservation ; cg:organisation cgr:named-twice .
""")
    labels, _ = labels_and_search_keys(_loaded(make_project(tmp_path, extra)))
    found = {q.subject.value: q.object.value for q in labels}
    assert found["https://w3id.org/clustergraph/id/named-twice-members"].startswith("Preferred name members")


def test_the_build_stores_what_the_steps_one_after_the_other_store(tmp_path):
    project = make_project(tmp_path)
    root = StoreRoot(tmp_path / "store")
    build(Layout(project), root)
    store = _loaded(project)
    _step_by_step(store)
    built = root.open_current()
    assert _quads(built.quads()) == _quads(store)
    assert built.quad_count() == len(store)


def test_a_missing_label_is_reported_and_a_derived_one_satisfies_the_label_shape(tmp_path):
    extra = tmp_path / "nameless.ttl"
    extra.write_text(UNLABELLED)
    project = make_project(tmp_path, extra)
    with pytest.raises(ValidationFailed) as failed:
        build(Layout(project), StoreRoot(tmp_path / "store"))
    labelled = [v for v in failed.value.violations if v.shape == "cgs:LabelShape"]
    assert [(v.focus, v.files) for v in labelled] == [("cgr:nameless-thing", ("data/fixture/nameless.ttl:7",))]
    ours, _ = check(Layout(project), engine="sparql")
    reference, _ = check(Layout(project), engine="pyshacl")
    key = lambda v: (v.severity, v.focus, v.path, v.shape, v.message, v.files)
    assert sorted(map(key, ours.violations + ours.warnings)) == sorted(map(key, reference.violations + reference.warnings))


SHAPES = """@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <urn:ex:> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:Named a sh:NodeShape ; sh:targetClass ex:C ;
    sh:property [ sh:path rdfs:label ; sh:minCount 1 ; sh:message "needs a label" ] .
ex:Sized a sh:NodeShape ; sh:targetClass ex:C ;
    sh:property [ sh:path ex:size ; sh:minCount 1 ; sh:message "needs a size" ] .
ex:Busy a sh:NodeShape ; sh:targetClass ex:C ;
    sh:sparql [ sh:message "states one fact only" ;
        sh:select "SELECT $this WHERE { $this ?p ?o } GROUP BY $this HAVING (COUNT(*) < 2)" ] .
ex:Typed a sh:NodeShape ; sh:targetClass ex:C ;
    sh:sparql [ sh:message "is of two classes" ;
        sh:select "SELECT $this WHERE { $this a ?one , ?two FILTER (?one != ?two) }" ] .
"""
DATA = "<urn:ex:a> a <urn:ex:C> . <urn:ex:b> a <urn:ex:C> ; <urn:ex:size> 1 . <urn:ex:c> a <urn:ex:C>, <urn:ex:D> ."


def _store() -> ox.Store:
    store = ox.Store()
    store.load(DATA.encode(), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("urn:ex:g"))
    return store


def test_checks_that_may_see_the_added_triples_run_after_them():
    shapes = rdflib.Graph().parse(data=SHAPES, format="turtle")
    store = _store()
    validation = StoreValidation(store, shapes, adding=[RDFS_LABEL.value, SEARCH_KEY.value])
    assert sorted(str(c.shape) for c in validation.later) == ["urn:ex:Busy", "urn:ex:Named"]
    assert len(validation.first) == 2
    def add(added) -> None:
        store.bulk_extend([ox.Quad(ox.NamedNode("urn:ex:a"), RDFS_LABEL, ox.Literal("A"), ox.NamedNode("urn:ex:d"))])

    report = validation.run(NoFiles(), meanwhile=add)
    assert ("urn:ex:a", "states one fact only") in {
        (v.focus, v.message) for v in StoreValidation(_store(), shapes).run(NoFiles()).violations}
    found = sorted((v.focus, v.message) for v in report.violations)
    sequential = _store()
    sequential.add(ox.Quad(ox.NamedNode("urn:ex:a"), RDFS_LABEL, ox.Literal("A"), ox.NamedNode("urn:ex:d")))
    expected = StoreValidation(sequential, shapes).run(NoFiles())
    assert found == sorted((v.focus, v.message) for v in expected.violations)
    assert ("urn:ex:a", "needs a label") not in found and ("urn:ex:b", "needs a label") in found
    assert ("urn:ex:a", "states one fact only") not in found  # its label counts: the check ran after the job
    assert ("urn:ex:a", "needs a size") in found and ("urn:ex:c", "is of two classes") in found


def test_a_failing_job_stops_the_validation_and_raises_its_error():
    shapes = rdflib.Graph().parse(data=SHAPES, format="turtle")
    validation = StoreValidation(_store(), shapes, adding=[RDFS_LABEL.value], threads=2)

    def fail(added) -> None:
        raise RuntimeError("no labels today")

    with pytest.raises(RuntimeError, match="no labels today"):
        validation.run(NoFiles(), meanwhile=fail)
    assert not [t for t in threading.enumerate() if t.name.startswith("validation-")]


def test_without_added_triples_every_check_runs_at_once(tmp_path):
    report, _ = check(Layout(make_project(tmp_path, FIXTURES / "invalid" / "missing-role.ttl")))
    assert any("A participation needs a cg:role" in v.message for v in report.violations)


def test_the_validation_keeps_no_reference_to_the_store(tmp_path):
    """The check's store is closed once it returns (reopening needs RocksDB's lock): nothing of the validation,
    such as a parser's cached exceptions and the frames they hold, keeps it open."""
    extra = tmp_path / "nameless.ttl"
    extra.write_text(UNLABELLED)
    from clustergraph.kg.build import _stage

    report, store, _ = _stage(Layout(make_project(tmp_path, extra)), tmp_path / "store", "sparql", lambda _: None, {})
    assert report.violations
    del store
    ox.Store(str(tmp_path / "store"))  # raises OSError while another Store holds the directory


IRI_OBJECTS = """@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <urn:ex:> .
ex:Filtered a sh:NodeShape ; sh:targetClass ex:C ;
    sh:sparql [ sh:message "points at an untyped node" ;
        sh:select "SELECT $this ?o WHERE { $this ?p ?o . FILTER (isIRI(?o)) FILTER NOT EXISTS { ?o a [] } }" ] .
ex:Aliased a sh:NodeShape ; sh:targetClass ex:C ;
    sh:sparql [ sh:message "points at an untyped node" ;
        sh:select "SELECT $this ?v WHERE { { SELECT DISTINCT $this ?o WHERE { $this ?p ?o } } BIND (?o AS ?v) FILTER (isIRI(?v) && ?v != $this) }" ] .
ex:Optional a sh:NodeShape ; sh:targetClass ex:C ;
    sh:sparql [ sh:message "has no IRI value" ;
        sh:select "SELECT $this WHERE { $this a ?c OPTIONAL { $this ?p ?o } FILTER (!BOUND(?o) || isIRI(?o)) }" ] .
ex:Inverse a sh:NodeShape ; sh:targetClass ex:C ;
    sh:sparql [ sh:message "is named by an IRI" ;
        sh:select "SELECT $this WHERE { $this ^<http://www.w3.org/2000/01/rdf-schema#label> ?o . FILTER (isIRI(?o)) }" ] .
ex:Unfiltered a sh:NodeShape ; sh:targetClass ex:C ;
    sh:sparql [ sh:message "states one fact only" ;
        sh:select "SELECT $this WHERE { { SELECT $this ?o WHERE { $this ?p ?o } } FILTER (isIRI(?o) || true) }" ] .
"""


def _later_shapes(literal_objects: bool) -> list[str]:
    shapes = rdflib.Graph().parse(data=IRI_OBJECTS, format="turtle")
    validation = StoreValidation(_store(), shapes, adding=[RDFS_LABEL.value], literal_objects=literal_objects)
    return sorted(str(c.shape).removeprefix("urn:ex:") for c in validation.later)


def test_a_check_that_reads_only_iri_objects_need_not_wait_for_added_literals():
    assert _later_shapes(literal_objects=False) == ["Aliased", "Filtered", "Inverse", "Optional", "Unfiltered"]
    # Optional: a literal would bind ?o and fail the filter where the row passed unbound; Inverse: ^label binds
    # the literal to $this; Unfiltered: isIRI is not one of the filter's conjuncts.
    assert _later_shapes(literal_objects=True) == ["Inverse", "Optional", "Unfiltered"]


def test_the_dangling_reference_check_runs_beside_the_derived_triples_and_still_reports(tmp_path):
    shapes_graph = rdflib.Graph()
    for path in Layout(ROOT).shapes_files():
        shapes_graph.parse(path)
    project = make_project(tmp_path, FIXTURES / "invalid" / "dangling-iri-any-property.ttl")
    store = _loaded(project)
    validation = StoreValidation(store, shapes_graph, adding=[RDFS_LABEL.value, SEARCH_KEY.value],
                                 literal_objects=True)
    assert "DanglingReferenceShape" not in {str(c.shape).rsplit("#")[-1] for c in validation.later}
    labels, keys = labels_and_search_keys(store)
    assert all(isinstance(q.object, ox.Literal) for q in labels + keys), "what literal_objects promises"
    report = validation.run(NoFiles(), meanwhile=lambda added: store.bulk_extend(labels + keys))
    sequential = _loaded(project)
    _step_by_step(sequential)
    expected = StoreValidation(sequential, shapes_graph).run(NoFiles())
    found = sorted((v.shape, v.focus, v.value or "") for v in report.violations)
    assert found == sorted((v.shape, v.focus, v.value or "") for v in expected.violations)
    assert any(v.shape == "cgs:DanglingReferenceShape" for v in report.violations)


def test_the_derived_triples_go_in_by_the_bulk_loader_unchanged(tmp_path):
    """add_quads passes the derived quads through N-Quads: only named-node subjects (a blank node would be
    renamed) and literal objects, and the store holds exactly them afterwards."""
    store = _loaded(make_project(tmp_path))
    labels, keys = labels_and_search_keys(store)
    assert labels and keys
    assert all(isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.Literal) for q in labels + keys)
    before = len(store)
    from clustergraph.kg.build import add_quads

    add_quads(store, labels + keys)
    assert len(store) == before + len(set(labels + keys))
    assert all(q in store for q in labels + keys)


def test_a_check_waiting_for_some_added_properties_runs_once_they_are_in(monkeypatch):
    """The label check waits for the labels only: it runs once the job says they are in, while the job goes on to
    add the search keys; a check that may match any predicate waits for the job to return."""
    import clustergraph.kg.validation as validation_module

    shapes = rdflib.Graph().parse(data=SHAPES, format="turtle")
    store = _store()
    ran: list[str] = []
    named_ran = threading.Event()
    solutions = validation_module._solutions

    def recorded(store, check):
        found = solutions(store, check)
        ran.append(str(check.shape))
        if str(check.shape) == "urn:ex:Named":
            named_ran.set()
        return found

    monkeypatch.setattr(validation_module, "_solutions", recorded)
    validation = StoreValidation(store, shapes, adding=[RDFS_LABEL.value, SEARCH_KEY.value])
    assert validation.waits[id(next(c for c in validation.later if str(c.shape) == "urn:ex:Named"))] == {
        RDFS_LABEL.value}
    seen_before_return: list[str] = []

    def job(added) -> None:
        store.bulk_extend([ox.Quad(ox.NamedNode("urn:ex:a"), RDFS_LABEL, ox.Literal("A"), ox.NamedNode("urn:ex:d"))])
        added([RDFS_LABEL.value])
        assert named_ran.wait(10), "the label check ran while the job went on"
        seen_before_return.extend(ran)
        store.bulk_extend([ox.Quad(ox.NamedNode("urn:ex:a"), SEARCH_KEY, ox.Literal("a"), ox.NamedNode("urn:ex:k"))])

    report = validation.run(NoFiles(), meanwhile=job)
    assert "urn:ex:Busy" not in seen_before_return, "a check of any predicate waits for the whole job"
    assert "urn:ex:Busy" in ran
    found = {(v.focus, v.message) for v in report.violations}
    assert ("urn:ex:a", "needs a label") not in found and ("urn:ex:b", "needs a label") in found
