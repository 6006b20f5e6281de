"""Query answers (``/sparql`` and the named-query API) are answered from the answer cache while the build stays
the same: alike, keyed by everything the answer depends on, never after a write, and never for errors."""

from __future__ import annotations

import shutil

import pytest
from live import WRITE_TOKEN, start_server

CLUSTERS = "SELECT (COUNT(*) AS ?n) WHERE { ?c a <https://w3id.org/clustergraph/ontology#ClusterOrganisation> }"
JSON = "application/sparql-results+json"


@pytest.fixture(scope="module")
def server(writable_server):
    """The session's server with a write token (the write test adds a graph of its own)."""
    return writable_server


def counts(client) -> tuple[int, int]:
    status = client.get("/api/status").json()
    return status["answer_cache_hits"], status["answer_cache_misses"]


def without_date(headers) -> list[tuple[str, str]]:
    return sorted((name, value) for name, value in headers.items() if name != "date")


def post(client, query: str, **headers: str):
    return client.post("/sparql", content=query.encode(), headers={
        "Content-Type": "application/sparql-query", "Accept": JSON, **headers})


def test_a_query_asked_twice_runs_once_and_is_answered_alike(server) -> None:
    query = CLUSTERS + " # twice"
    with server.client() as client:
        first = post(client, query)
        hits, misses = counts(client)
        again = post(client, query)
        assert counts(client) == (hits + 1, misses)
        by_get = client.get("/sparql", params={"query": query}, headers={"Accept": JSON})
        by_get_again = client.get("/sparql", params={"query": query}, headers={"Accept": JSON})
        assert counts(client) == (hits + 2, misses + 1), "GET is its own entry, then a hit"
    assert first.status_code == again.status_code == by_get.status_code == 200
    assert again.content == first.content == by_get.content == by_get_again.content
    assert without_date(again.headers) == without_date(first.headers)
    assert int(first.json()["results"]["bindings"][0]["n"]["value"]) > 10


def test_the_media_type_is_part_of_the_key_and_cors_headers_go_only_to_origins(server) -> None:
    query = CLUSTERS + " # key"
    with server.client() as client:
        as_json = post(client, query)
        as_csv = post(client, query, Accept="text/csv")
        from_a_page = post(client, query, Origin="http://127.0.0.1:9")
        plain_again = post(client, query)
    assert as_json.headers["content-type"].startswith(JSON)
    assert as_csv.headers["content-type"].startswith("text/csv") and as_csv.text.startswith("n\r\n")
    assert from_a_page.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-origin" not in plain_again.headers, "a CORS answer is not given to others"


def test_relative_iris_resolve_against_the_host_asked(server) -> None:
    query = "SELECT ?i WHERE { BIND(<thing> AS ?i) }"
    with server.client() as client:
        here = post(client, query)
        there = post(client, query, Host="clusters.example.org")
    assert here.json()["results"]["bindings"][0]["i"]["value"].startswith(server.url)
    assert there.json()["results"]["bindings"][0]["i"]["value"] == "http://clusters.example.org/thing"


def test_named_query_answers_are_cached(server) -> None:
    with server.client() as client:
        first = client.get("/api/queries/policy-instruments", headers={"Accept": "application/json"})
        hits, misses = counts(client)
        again = client.get("/api/queries/policy-instruments", headers={"Accept": "application/json"})
        assert counts(client) == (hits + 1, misses)
    assert first.status_code == 200 and again.content == first.content


def test_errors_and_long_bodies_are_not_cached(server) -> None:
    long_query = CLUSTERS + " #" + "x" * 70_000
    with server.client() as client:
        assert post(client, "SELECT ?x WHERE {").status_code == 400
        hits, misses = counts(client)
        assert post(client, "SELECT ?x WHERE {").status_code == 400
        assert counts(client) == (hits, misses + 1), "the 400 was not kept: asked again, it missed again"
        answers = [post(client, long_query) for _ in range(2)]
        assert counts(client) == (hits, misses + 1), "a body over 64 KB is run, not looked up"
    assert [a.status_code for a in answers] == [200, 200]


def test_a_write_moves_the_build_and_the_answer_shows_it(server) -> None:
    query = "SELECT ?c WHERE { GRAPH <urn:test:answer-cache> { ?s ?p ?c } }"
    with server.client() as client:
        assert post(client, query).json()["results"]["bindings"] == []
        update = 'INSERT DATA { GRAPH <urn:test:answer-cache> { <urn:test:s> <urn:test:p> "written" } }'
        written = client.post("/update", content=update, headers={
            "Content-Type": "application/sparql-update", "Authorization": f"Bearer {WRITE_TOKEN}"})
        assert written.status_code in (200, 204), written.text
        after = post(client, query)
    assert after.json()["results"]["bindings"][0]["c"]["value"] == "written"


def test_the_cache_can_be_turned_off(tmp_path, project_store_root) -> None:
    copy = tmp_path / "store"
    shutil.copytree(project_store_root.path, copy, symlinks=True)
    with start_server(copy, answer_cache_mb="0") as live, live.client() as client:
        answers = [post(client, CLUSTERS) for _ in range(3)]
        assert counts(client) == (0, 0)
    assert {a.status_code for a in answers} == {200}
