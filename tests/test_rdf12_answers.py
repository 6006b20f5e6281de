"""RDF 1.2 triple terms in graph answers: every graph format that can write them does; JSON-LD, which cannot,
is a 406 decided before the answer starts (never a 500, never a 200 cut off midway)."""

from __future__ import annotations

import io

import pyoxigraph as ox
import pytest
from live import LiveServer

from clustergraph.errors import NotAcceptable
from clustergraph.querying.worker import QueryJob, write_answer

TRIPLE_TERM = "CONSTRUCT { <urn:a> <urn:b> <<( <urn:c> <urn:d> <urn:e> )>> } WHERE {}"
JSON_LD = "application/ld+json"


def construct(server: LiveServer, accept: str):
    with server.client() as client:
        return client.get("/sparql", params={"query": TRIPLE_TERM}, headers={"Accept": accept})


def test_a_triple_term_asked_for_as_json_ld_is_not_acceptable(live_server: LiveServer) -> None:
    response = construct(live_server, JSON_LD)
    assert response.status_code == 406, response.text[:300]
    assert "triple terms" in response.text and "JSON-LD" in response.text and "Turtle" in response.text


@pytest.mark.parametrize("accept", ["text/turtle", "application/n-triples"])
def test_a_triple_term_is_answered_in_a_format_that_writes_it(live_server: LiveServer, accept: str) -> None:
    response = construct(live_server, accept)
    assert response.status_code == 200, response.text[:300]
    assert "<<( <urn:c> <urn:d> <urn:e> )>>" in response.text


def test_json_ld_without_triple_terms_still_answers(live_server: LiveServer) -> None:
    with live_server.client() as client:
        response = client.get("/sparql", params={"query": "CONSTRUCT { <urn:a> <urn:b> <urn:c> } WHERE {}"},
                              headers={"Accept": JSON_LD})
    assert response.status_code == 200, response.text[:300]
    assert response.json()[0]["@id"] == "urn:a"


def test_the_refusal_comes_before_the_answer_starts() -> None:
    """Past the row cap and deep in the answer, the triple term is still found before ``start`` is called."""
    node = ox.NamedNode
    plain = [ox.Triple(node(f"urn:s{i}"), node("urn:p"), node("urn:o")) for i in range(5000)]
    term = ox.Triple(node("urn:a"), node("urn:b"), ox.Triple(node("urn:c"), node("urn:d"), node("urn:e")))
    started: list[tuple[str, bool]] = []
    out = io.BytesIO()
    with pytest.raises(NotAcceptable, match="triple terms"):
        write_answer(iter([*plain, term]), QueryJob("", graph_media_type=JSON_LD), lambda *a: started.append(a), out)
    assert started == [] and out.getvalue() == b""
    write_answer(iter([*plain, term, *plain]), QueryJob("", graph_media_type=JSON_LD, row_cap=10),
                 lambda *a: started.append(a), out)  # the term is past the cap: not in the answer
    assert started == [("graph", True)] and out.getvalue().startswith(b"[")
