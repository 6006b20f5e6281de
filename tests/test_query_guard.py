"""SERVICE and LOAD are refused after reading the query the way a parser does, not by a regex."""

from __future__ import annotations

import pytest

from clustergraph.conneg import negotiate
from clustergraph.errors import NotAcceptable, QueryRefused
from clustergraph.query_guard import inspect_query, inspect_update


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <urn:x> { ?s ?p ?o } }",
        "SELECT * WHERE { sErViCe <urn:x> { ?s ?p ?o } }",
        r"SELECT * WHERE { \u0053ERVICE <urn:x> { ?s ?p ?o } }",
        r"SELECT * WHERE { \U00000053\U00000045RVICE <urn:x> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }",
        "SELECT * WHERE {\n# a comment\nSERVICE\n<urn:x> { ?s ?p ?o } }",
    ],
)
def test_service_is_found_however_it_is_written(query: str) -> None:
    with pytest.raises(QueryRefused, match="SERVICE"):
        inspect_query(query)


@pytest.mark.parametrize(
    "query",
    [
        'SELECT ?service WHERE { ?service ?p "SERVICE" }',
        "PREFIX service: <urn:x#> SELECT * WHERE { ?s service:SERVICE ?o }",
        "SELECT * WHERE { ?s <urn:SERVICE> ?o } # SERVICE <urn:x>",
        "SELECT * WHERE { ?s ?p '''SERVICE <urn:x> { }''' }",
    ],
)
def test_the_word_elsewhere_is_not_refused(query: str) -> None:
    assert inspect_query(query).form == "SELECT"


def test_forms_and_dataset_clauses() -> None:
    assert inspect_query("PREFIX : <urn:> CONSTRUCT WHERE { ?s :p ?o }").returns_graph
    assert inspect_query("DESCRIBE <urn:x>").form == "DESCRIBE"
    assert inspect_query("ASK FROM NAMED <urn:g> { GRAPH ?g { ?s ?p ?o } }").has_dataset_clause
    assert not inspect_query('SELECT * WHERE { ?s ?p "FROM" }').has_dataset_clause


@pytest.mark.parametrize("update", ["LOAD <http://127.0.0.1:9/x>", "load silent <urn:x> into graph <urn:g>",
                                    "INSERT { ?s ?p ?o } WHERE { SERVICE <urn:x> { ?s ?p ?o } }"])
def test_updates_cannot_reach_out(update: str) -> None:
    with pytest.raises(QueryRefused):
        inspect_update(update)


def test_updates_sent_as_queries_are_refused() -> None:
    with pytest.raises(QueryRefused, match="/update"):
        inspect_query("PREFIX : <urn:> DELETE WHERE { ?s :p ?o }")


@pytest.mark.parametrize(
    ("accept", "offered", "expected"),
    [
        (None, ["a/b", "c/d"], "a/b"),
        ("c/d;q=0.9, a/b;q=0.8", ["a/b", "c/d"], "c/d"),
        ("*/*;q=0.1, c/*;q=0.5", ["a/b", "c/d"], "c/d"),
        ("a/b;q=0, */*", ["a/b", "c/d"], "c/d"),
        ("A/B", ["a/b"], "a/b"),
    ],
)
def test_negotiation(accept, offered, expected) -> None:
    assert negotiate(accept, offered) == expected


def test_nothing_acceptable() -> None:
    with pytest.raises(NotAcceptable):
        negotiate("image/png, text/*;q=0", ["text/csv"])
