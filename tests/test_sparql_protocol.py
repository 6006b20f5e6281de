"""The SPARQL 1.1 Protocol at /sparql, checked on a real server with httpx, SPARQLWrapper and rdflib."""

from __future__ import annotations

import csv
import io
import socket
import threading
import time

import httpx
import pyoxigraph as ox
import pytest
from formats import RDF_FORMATS
from rdflib import Graph, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper

from clustergraph.iris import DATA, GRAPH

AFIL = DATA + "afil"
LABEL_QUERY = f"SELECT DISTINCT ?label WHERE {{ <{AFIL}> <http://www.w3.org/2004/02/skos/core#prefLabel> ?label }}"
COUNT_QUERY = "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a <https://w3id.org/clustergraph/ontology#ClusterOrganisation> }"
RESULT_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}


def cluster_count(project_store) -> int:
    return int(next(iter(project_store.query(COUNT_QUERY)))["n"].value)


def parsed_values(response: httpx.Response, fmt: ox.QueryResultsFormat) -> list[str]:
    if fmt == ox.QueryResultsFormat.CSV:  # Oxigraph will not parse CSV (it is lossy): read it as CSV
        return [cell for row in csv.reader(io.StringIO(response.text)) for cell in row]
    solutions = ox.parse_query_results(response.content, format=fmt)
    return [term.value for s in solutions for term in s if term is not None]


def test_get_post_form_and_post_direct_agree(live_server, project_store) -> None:
    expected = str(cluster_count(project_store))
    with live_server.client() as client:
        answers = [
            client.get("/sparql", params={"query": COUNT_QUERY}),
            client.post("/sparql", data={"query": COUNT_QUERY}),
            client.post("/sparql", content=COUNT_QUERY, headers={"Content-Type": "application/sparql-query"}),
        ]
    for response in answers:
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/sparql-results+json")
        assert "Accept" in response.headers["vary"]
        assert response.json()["results"]["bindings"][0]["n"]["value"] == expected


@pytest.mark.parametrize("media_type", list(RESULT_FORMATS))
def test_select_in_every_results_format(live_server, media_type: str) -> None:
    with live_server.client() as client:
        response = client.get("/sparql", params={"query": LABEL_QUERY}, headers={"Accept": media_type})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert "Lombardy Intelligent Factory Association" in parsed_values(response, RESULT_FORMATS[media_type])


@pytest.mark.parametrize("media_type", list(RDF_FORMATS))
def test_construct_in_every_graph_format(live_server, media_type: str) -> None:
    query = f"CONSTRUCT {{ <{AFIL}> ?p ?o }} WHERE {{ <{AFIL}> ?p ?o }}"
    with live_server.client() as client:
        response = client.get("/sparql", params={"query": query}, headers={"Accept": media_type})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(media_type)
    quads = list(ox.parse(response.content, format=RDF_FORMATS[media_type]))
    assert any(q.subject == ox.NamedNode(AFIL) and q.object == ox.Literal("Lombardy Intelligent Factory Association",
                                                                          language="en") for q in quads)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/csv;q=0.5, application/sparql-results+xml", "application/sparql-results+xml"),
        ("*/*", "application/sparql-results+json"),
        ("text/*", "text/csv"),
        ("application/sparql-results+json;q=0, */*;q=0.1", "application/sparql-results+xml"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/xml"),
    ],
)
def test_conneg_weighs_q_values_and_wildcards(live_server, accept: str, expected: str) -> None:
    with live_server.client() as client:
        response = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == expected


def test_format_parameter_overrides_accept(live_server) -> None:
    with live_server.client() as client:
        response = client.get("/sparql", params={"query": LABEL_QUERY, "format": "csv"},
                              headers={"Accept": "application/sparql-results+json"})
    assert response.headers["content-type"].startswith("text/csv")


@pytest.mark.parametrize(
    ("query", "formats", "expected"),
    [
        (LABEL_QUERY, [("format", "tsv"), ("format", "text/tab-separated-values")], "text/tab-separated-values"),
        (LABEL_QUERY, [("format", "json"), ("output", "json"), ("output", "")], "application/sparql-results+json"),
        (f"DESCRIBE <{AFIL}>", [("format", "n3")], "text/turtle"),
        (f"DESCRIBE <{AFIL}>", [("output", "xml")], "application/rdf+xml"),
        (f"DESCRIBE <{AFIL}>", [("format", "json-ld"), ("format", "application/ld+json,application/x-json+ld")],
         "application/ld+json"),
        (f"DESCRIBE <{AFIL}>", [("format", "json")], "application/ld+json"),
    ],
)
def test_format_and_output_as_established_servers_read_them(live_server, query: str, formats: list,
                                                            expected: str) -> None:
    with live_server.client() as client:
        response = client.get("/sparql", params=[("query", query), *formats])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == expected


@pytest.mark.parametrize(("accept", "expected"), [("application/json", "application/ld+json"),
                                                  ("application/xml", "application/rdf+xml")])
def test_construct_asked_as_json_or_xml(live_server, accept: str, expected: str) -> None:
    with live_server.client() as client:
        response = client.get("/sparql", params={"query": f"DESCRIBE <{AFIL}>"}, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == expected


@pytest.mark.parametrize("formats", [[("format", "json"), ("format", "xml")], [("format", "csv"), ("output", "tsv")],
                                     [("format", "nonsense")]])
def test_conflicting_or_unknown_formats_are_a_clear_400(live_server, formats: list) -> None:
    with live_server.client() as client:
        response = client.get("/sparql", params=[("query", LABEL_QUERY), *formats])
    assert response.status_code == 400
    assert "format" in response.text


@pytest.mark.parametrize(
    ("request_kwargs", "status", "needle"),
    [
        ({"params": {"query": LABEL_QUERY}, "headers": {"Accept": "image/png"}}, 406, "offered"),
        ({"params": {"query": "SELECT ?x WHERE { ?x "}}, 400, "syntax error at line 1, column"),
        ({"params": {"query": ["ASK {}", "ASK {}"]}}, 400, "2 queries"),
        ({"params": {"query": "  "}}, 400, "no query"),
        ({"params": {"query": "ASK {}", "timeout": "soon"}}, 400, "timeout"),
        ({"params": {"update": "DROP ALL"}}, 400, "/update"),
        ({"params": {"query": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}}, 400, "SPARQL Update"),
    ],
)
def test_protocol_errors(live_server, request_kwargs: dict, status: int, needle: str) -> None:
    with live_server.client() as client:
        response = client.get("/sparql", **request_kwargs)
    assert response.status_code == status
    assert needle in response.text
    assert "Traceback" not in response.text and "/work/" not in response.text and ".py" not in response.text


def test_post_errors(live_server) -> None:
    with live_server.client() as client:
        wrong_type = client.post("/sparql", content="ASK {}", headers={"Content-Type": "text/plain"})
        empty_form = client.post("/sparql", content="", headers={"Content-Type": "application/x-www-form-urlencoded"})
        two = client.post("/sparql?query=ASK%7B%7D", content="ASK {}",
                          headers={"Content-Type": "application/sparql-query"})
        not_utf8 = client.post("/sparql", content=b"ASK { \xff }", headers={"Content-Type": "application/sparql-query"})
    assert wrong_type.status_code == 415 and "application/sparql-query" in wrong_type.text
    assert empty_form.status_code == 400 and "no query" in empty_form.text
    assert two.status_code == 400
    assert not_utf8.status_code == 400 and "UTF-8" in not_utf8.text


def test_service_description(live_server) -> None:
    with live_server.client() as client:
        response = client.get("/sparql", headers={"Accept": "text/turtle"})
        browser = client.get("/sparql", headers={"Accept": "text/html"}, follow_redirects=False)
    assert response.status_code == 200
    graph = Graph().parse(data=response.text, format="turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    endpoint = URIRef(live_server.url + "/sparql")
    assert (endpoint, URIRef(sd + "endpoint"), endpoint) in graph
    assert (endpoint, URIRef(sd + "feature"), URIRef(sd + "UnionDefaultGraph")) in graph
    names = set(graph.objects(None, URIRef(sd + "name")))
    assert URIRef(GRAPH + "ltc-report-2024") in names and len(names) == 10  # 5 sources, ontology, reference, authorities, derived labels, search keys
    assert (endpoint, URIRef(sd + "supportedLanguage"), URIRef(sd + "SPARQL11Update")) not in graph
    assert browser.status_code == 303 and browser.headers["location"] == "/query"


def test_sparqlwrapper_client(live_server, project_store) -> None:
    wrapper = SPARQLWrapper(live_server.url + "/sparql")
    wrapper.setQuery(COUNT_QUERY)
    wrapper.setReturnFormat(JSON)
    result = wrapper.query().convert()
    assert result["results"]["bindings"][0]["n"]["value"] == str(cluster_count(project_store))
    wrapper.setMethod("POST")
    wrapper.setQuery(f"CONSTRUCT {{ <{AFIL}> ?p ?o }} WHERE {{ <{AFIL}> ?p ?o }}")
    wrapper.setReturnFormat(TURTLE)
    graph = Graph().parse(data=wrapper.query().convert(), format="turtle")
    assert len(graph) > 5


def test_rdflib_sparqlstore_client(live_server) -> None:
    graph = Graph(SPARQLStore(live_server.url + "/sparql", returnFormat="json"))
    rows = list(graph.query(LABEL_QUERY))
    assert "Lombardy Intelligent Factory Association" in {str(r[0]) for r in rows}
    assert graph.query(f"ASK {{ <{AFIL}> ?p ?o }}").askAnswer is True


def test_dataset_clauses_and_protocol_graphs(live_server) -> None:
    profile = GRAPH + "afil-profile-2024"
    count = "SELECT (COUNT(*) AS ?n) {frm} WHERE {{ ?s ?p ?o }}"
    with live_server.client() as client:
        def n(query: str, **params) -> int:
            response = client.get("/sparql", params={"query": query, **params})
            assert response.status_code == 200, response.text
            return int(response.json()["results"]["bindings"][0]["n"]["value"])

        union = n(count.format(frm=""))
        from_clause = n(count.format(frm=f"FROM <{profile}>"))
        protocol = n(count.format(frm=""), **{"default-graph-uri": profile})
        named = n(f"SELECT (COUNT(*) AS ?n) FROM NAMED <{profile}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}")
    assert union > from_clause > 0
    assert from_clause == protocol == named


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:{port}/> { ?s ?p ?o } }",
        "select * where { service <http://127.0.0.1:{port}/> { ?s ?p ?o } }",
        r"SELECT * WHERE { \u0053ERVICE <http://127.0.0.1:{port}/> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE SILENT <http://127.0.0.1:{port}/> { ?s ?p ?o } }",
    ],
)
def test_service_is_refused_and_nothing_is_fetched(live_server, query: str) -> None:
    with _listener() as (port, connections):
        with live_server.client() as client:
            response = client.get("/sparql", params={"query": query.replace("{port}", str(port))})
            from_query = client.get("/sparql", params={"query": f"ASK FROM <http://127.0.0.1:{port}/g> {{ ?s ?p ?o }}"})
        time.sleep(0.3)
    assert response.status_code == 400 and "SERVICE" in response.text
    assert from_query.status_code == 200 and from_query.json()["boolean"] is False
    assert connections == []


def test_row_cap_truncates_and_says_so(live_server) -> None:
    query = "SELECT ?a ?b WHERE { ?a a ?x . ?b a ?y } LIMIT 20000"
    with live_server.client() as client:
        capped = client.get("/sparql", params={"query": query, "format": "csv"})
        small = client.get("/sparql", params={"query": LABEL_QUERY})
    lines = capped.text.strip().split("\r\n")
    assert capped.headers["x-clustergraph-truncated"] == "true"
    assert len(lines) == 1 + int(capped.headers["x-clustergraph-row-cap"]) == 10001
    assert "x-clustergraph-truncated" not in small.headers


def test_cors_on_data_and_errors_never_with_credentials(live_server) -> None:
    origin = {"Origin": "http://127.0.0.1:9"}
    with live_server.client() as client:
        ok = client.get("/sparql", params={"query": "ASK {}"}, headers=origin)
        bad = client.get("/sparql", params={"query": "ASK {"}, headers=origin)
        preflight = client.options("/sparql", headers={**origin, "Access-Control-Request-Method": "POST",
                                                       "Access-Control-Request-Headers": "Content-Type"})
    for response in (ok, bad, preflight):
        assert response.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in response.headers
    assert bad.status_code == 400 and preflight.status_code == 200


def test_body_cap(live_server) -> None:
    big = "ASK {} #" + "x" * 1_100_000
    with live_server.client() as client:
        response = client.post("/sparql", content=big, headers={"Content-Type": "application/sparql-query",
                                                                "Origin": "http://127.0.0.1:9"})
    assert response.status_code == 413
    assert response.headers["access-control-allow-origin"] == "*"


def test_read_only_by_default(live_server) -> None:
    with live_server.client() as client:
        update = client.post("/update", content="DROP ALL", headers={"Content-Type": "application/sparql-update"})
        put = client.put("/store?default", content="<urn:a> <urn:b> <urn:c> .",
                         headers={"Content-Type": "application/n-triples"})
        still_there = client.get("/sparql", params={"query": f"ASK {{ <{AFIL}> ?p ?o }}"})
    assert update.status_code == 404
    assert put.status_code == 405
    assert still_there.json()["boolean"] is True


def test_graph_store_reads(live_server) -> None:
    with live_server.client() as client:
        graph = client.get("/store", params={"graph": GRAPH + "afil-profile-2024"}, headers={"Accept": "text/turtle"})
        missing = client.get("/store", params={"graph": "urn:no-such-graph"})
        dataset = client.get("/store", headers={"Accept": "application/n-quads"})
        head = client.head("/store", params={"graph": GRAPH + "afil-profile-2024"})
    assert graph.status_code == 200 and len(list(ox.parse(graph.content, format=ox.RdfFormat.TURTLE))) > 100
    assert missing.status_code == 404
    graphs = {q.graph_name for q in ox.parse(dataset.content, format=ox.RdfFormat.N_QUADS)}
    assert len(graphs) == 10
    assert head.status_code == 200 and head.content == b""




class _listener:
    """A TCP listener on 127.0.0.1 that records any connection made to it."""

    def __enter__(self) -> tuple[int, list]:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.1)
        self.connections: list = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()
        return self.sock.getsockname()[1], self.connections

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, address = self.sock.accept()
            except OSError:
                continue
            self.connections.append(address)
            conn.close()

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join()
        self.sock.close()


