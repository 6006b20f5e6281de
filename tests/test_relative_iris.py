"""Relative IRIs in queries and updates resolve against the endpoint's URL, as ``oxigraph serve`` does (the W3C
protocol tests send ``CONSTRUCT { <s> <p> 1 } WHERE {}``)."""

from __future__ import annotations

from urllib.parse import urlencode

import pyoxigraph as ox
import pytest
from live import WRITE_TOKEN
from rdflib import Graph
from SPARQLWrapper import SPARQLWrapper

RELATIVE_CONSTRUCT = "CONSTRUCT { <s> <p> 1 } WHERE {}"


def test_a_relative_iri_in_a_query_resolves_against_the_endpoint(live_server) -> None:
    with live_server.client() as client:
        response = client.get("/sparql", params={"query": RELATIVE_CONSTRUCT},
                              headers={"Accept": "application/n-triples"})
        based = client.post("/sparql", headers={"Content-Type": "application/sparql-query"},
                            content="BASE <http://example.org/x/> ASK { FILTER(<s> = <http://example.org/x/s>) }")
    assert response.status_code == 200, response.text
    (triple,) = ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES)
    # Every backend resolves against our endpoint's URL (the remote runner sends the base as a BASE line).
    assert triple.subject == ox.NamedNode(live_server.url + "/s")
    assert triple.predicate == ox.NamedNode(live_server.url + "/p")
    assert based.status_code == 200 and based.json()["boolean"] is True, "the query's own BASE wins"


def test_sparqlwrapper_and_rdflib_send_relative_iris(live_server) -> None:
    wrapper = SPARQLWrapper(live_server.url + "/sparql")
    wrapper.setQuery("SELECT ?o WHERE { VALUES ?o { <relative> } }")
    wrapper.setReturnFormat("json")
    (binding,) = wrapper.query().convert()["results"]["bindings"]
    assert binding["o"]["type"] == "uri" and binding["o"]["value"].endswith("/relative")
    graph = Graph().parse(f"{live_server.url}/sparql?{urlencode({'query': RELATIVE_CONSTRUCT})}", format="turtle")
    assert len(graph) == 1


def test_a_relative_iri_in_an_update_resolves_against_the_update_endpoint(writable_server) -> None:
    with writable_server.client() as client:
        written = client.post("/update", content="INSERT DATA { GRAPH <urn:test:relative> { <thing> <p> 1 } }",
                              headers={"Content-Type": "application/sparql-update",
                                       "Authorization": f"Bearer {WRITE_TOKEN}"})
        assert written.status_code in (200, 204), written.text
        found = client.get("/sparql", params={"query": "SELECT ?s WHERE { GRAPH <urn:test:relative> { ?s ?p ?o } }"})
    (binding,) = found.json()["results"]["bindings"]
    assert binding["s"]["value"] == writable_server.url + "/thing"


@pytest.mark.parametrize("query", ["CONSTRUCT { <s> <p> 1 } WHERE {}", "SELECT * WHERE { <a> ?p ?o }"])
def test_relative_iris_pass_the_query_guard(live_server, query: str) -> None:
    with live_server.client() as client:
        assert client.get("/sparql", params={"query": query}).status_code == 200
