"""Writes exist only with a write token: SPARQL Update at /update and Graph Store writes at /store."""

from __future__ import annotations

import pytest

from live import WRITE_TOKEN

GOOD = {"Authorization": f"Bearer {WRITE_TOKEN}"}
UPDATE = {"Content-Type": "application/sparql-update"}
NEW_GRAPH = "urn:test:graph"


def ask(client, query: str) -> bool:
    response = client.get("/sparql", params={"query": query})
    assert response.status_code == 200, response.text
    return response.json()["boolean"]


@pytest.mark.parametrize(("headers", "status"), [({}, 401), ({"Authorization": "Bearer wrong"}, 403),
                                                 ({"Authorization": "Basic dXNlcjpwYXNz"}, 401)])
def test_update_needs_the_token(writable_server, headers: dict, status: int) -> None:
    with writable_server.client() as client:
        response = client.post("/update", content="DROP ALL", headers={**UPDATE, **headers})
        intact = ask(client, "ASK { GRAPH ?g { ?s ?p ?o } }")
    assert response.status_code == status
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert intact


def test_update_with_token_is_visible_to_queries(writable_server) -> None:
    insert = f"INSERT DATA {{ GRAPH <{NEW_GRAPH}> {{ <urn:test:a> <urn:test:p> \"written\" }} }}"
    with writable_server.client() as client:
        response = client.post("/update", content=insert, headers={**UPDATE, **GOOD})
        assert response.status_code == 204, response.text
        assert ask(client, 'ASK { <urn:test:a> <urn:test:p> "written" }')
        form = client.post("/update", data={"update": f"CLEAR GRAPH <{NEW_GRAPH}>"}, headers=GOOD)
        assert form.status_code == 204
        assert not ask(client, 'ASK { <urn:test:a> <urn:test:p> "written" }')


@pytest.mark.parametrize(("update", "needle"), [("LOAD <http://127.0.0.1:9/x.ttl>", "LOAD"),
                                                 ("INSERT { ?s ?p ?o } WHERE { SERVICE <http://127.0.0.1:9/> "
                                                  "{ ?s ?p ?o } }", "SERVICE"),
                                                 ("INSERT DATA { <urn:a> <urn:b> ", "syntax error")])
def test_bad_updates_change_nothing(writable_server, update: str, needle: str) -> None:
    with writable_server.client() as client:
        before = client.get("/store", headers={"Accept": "application/n-quads"}).content
        response = client.post("/update", content=update, headers={**UPDATE, **GOOD})
        after = client.get("/store", headers={"Accept": "application/n-quads"}).content
    assert response.status_code == 400 and needle in response.text
    assert sorted(before.splitlines()) == sorted(after.splitlines())


def test_graph_store_put_get_post_delete(writable_server) -> None:
    params = {"graph": "urn:test:gsp"}
    nt = {"Content-Type": "application/n-triples"}
    with writable_server.client() as client:
        created = client.put("/store", params=params, content='<urn:s> <urn:p> "one" .\n', headers={**nt, **GOOD})
        replaced = client.put("/store", params=params, content='<urn:s> <urn:p> "two" .\n', headers={**nt, **GOOD})
        added = client.post("/store", params=params, content='<urn:s> <urn:p> "three" .\n', headers={**nt, **GOOD})
        body = client.get("/store", params=params, headers={"Accept": "application/n-triples"}).text
        broken = client.put("/store", params=params, content="<urn:s> <urn:p> .\n", headers={**nt, **GOOD})
        kept = client.get("/store", params=params, headers={"Accept": "application/n-triples"}).text
        no_token = client.delete("/store", params=params)
        deleted = client.delete("/store", params=params, headers=GOOD)
        gone = client.get("/store", params=params)
        wrong_type = client.put("/store", params=params, content="x", headers={"Content-Type": "image/png", **GOOD})
    assert (created.status_code, replaced.status_code, added.status_code) == (201, 204, 204)
    assert '"two"' in body and '"three"' in body and '"one"' not in body
    assert broken.status_code == 400 and "line 1" in broken.text
    assert kept == body
    assert no_token.status_code == 401
    assert deleted.status_code == 204 and gone.status_code == 404
    assert wrong_type.status_code == 415


def test_service_description_lists_update_when_writable(writable_server) -> None:
    with writable_server.client() as client:
        text = client.get("/sparql", headers={"Accept": "text/turtle"}).text
    assert "SPARQL11Update" in text
