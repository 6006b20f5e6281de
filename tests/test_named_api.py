"""Named queries as an HTTP API: listing, typed parameters, JSON and CSV, OpenAPI."""

from __future__ import annotations

import csv
import io

import pytest
from virtuoso import system_triples

from clustergraph.iris import DATA

HOSTILE = 'x" } ; DROP ALL ; #'


def test_list_names_every_query_file(live_server) -> None:
    from conftest import ROOT

    with live_server.client() as client:
        listed = client.get("/api/queries").json()["queries"]
    assert sorted(q["name"] for q in listed) == sorted(p.stem for p in (ROOT / "queries").glob("*.rq"))
    assert all(q["title"] and q["url"] == f"/api/queries/{q['name']}" for q in listed)


def test_run_with_iri_parameter_json_and_csv(live_server, named) -> None:
    expected = {row["initiative"] for row in named("initiatives-of-cluster", cluster=DATA + "afil")}
    with live_server.client() as client:
        as_json = client.get("/api/queries/initiatives-of-cluster", params={"cluster": DATA + "afil"})
        as_csv = client.get("/api/queries/initiatives-of-cluster",
                            params={"cluster": DATA + "afil", "format": "csv"})
        by_accept = client.get("/api/queries/initiatives-of-cluster", params={"cluster": DATA + "afil"},
                               headers={"Accept": "text/csv"})
    body = as_json.json()
    assert body["truncated"] is False and body["query"] == "initiatives-of-cluster"
    assert {b["initiative"]["value"] for b in body["results"]["bindings"]} == expected
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert {r["initiative"] for r in rows} == expected
    assert by_accept.headers["content-type"].startswith("text/csv")


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"cluster": HOSTILE}, "not an absolute IRI"),
        ({"cluster": "javascript:alert(1)>"}, "not an absolute IRI"),
        ({"nope": "1"}, "unknown parameter"),
        ({"cluster": DATA + "afil", "format": "xml"}, "format"),
    ],
)
def test_bad_parameters_are_400(live_server, params: dict, needle: str) -> None:
    with live_server.client() as client:
        response = client.get("/api/queries/initiatives-of-cluster", params=params)
    assert response.status_code == 400
    assert needle in response.json()["error"]


def test_hostile_values_of_every_type_match_nothing_and_break_nothing(live_server, project_store) -> None:
    before = project_store.quad_count()
    tried = set()
    with live_server.client() as client:
        for query in client.get("/api/queries").json()["queries"]:
            for param in query["parameters"]:
                tried.add(param["type"])
                value = HOSTILE + "@en" if param["type"] == "langstring" else HOSTILE
                response = client.get(query["url"], params={param["name"]: value})
                if param["type"] in ("string", "langstring", "searchtext"):
                    assert response.status_code == 200, (query["name"], response.text)
                    assert response.json()["results"]["bindings"] == [], query["name"]
                else:
                    assert response.status_code == 400, (query["name"], param["name"])
        alive = client.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"})
    assert tried >= {"iri", "searchtext", "langstring", "year"}
    assert int(alive.json()["results"]["bindings"][0]["n"]["value"]) == before + system_triples(live_server)[1]


def test_string_and_langstring_parameters_find_what_the_data_says(live_server) -> None:
    with live_server.client() as client:
        search = client.get("/api/queries/search-by-name", params={"text": "MOBILITY cluster"}).json()
        exact = client.get("/api/queries/resources-with-label",
                           params={"label": "Lombardy Mobility Cluster@en"}).json()
        wrong_language = client.get("/api/queries/resources-with-label",
                                    params={"label": "Lombardy Mobility Cluster@it"}).json()
    assert DATA + "clm" in {b["resource"]["value"] for b in search["results"]["bindings"]}
    assert {b["resource"]["value"] for b in exact["results"]["bindings"]} == {DATA + "clm"}
    assert wrong_language["results"]["bindings"] == []


def test_unknown_query_is_404(live_server) -> None:
    with live_server.client() as client:
        response = client.get("/api/queries/no-such-query")
    assert response.status_code == 404 and "no named query" in response.json()["error"]


def test_openapi_documents_every_named_query_and_parameter(live_server) -> None:
    with live_server.client() as client:
        spec = client.get("/openapi.json").json()
        docs = client.get("/docs")
        queries = client.get("/api/queries").json()["queries"]
    assert docs.status_code == 200
    for query in queries:
        operation = spec["paths"][query["url"]]["get"]
        assert operation["summary"] == query["title"]
        documented = {p["name"]: p for p in operation["parameters"]}
        for param in query["parameters"]:
            assert documented[param["name"]]["required"] == param["required"]
    assert "/sparql" in spec["paths"]
