"""Dereferenceable IRIs, the ontology page, VoID and dumps, against a real server over the real data."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pyoxigraph as ox
import pytest
from bs4 import BeautifulSoup
from formats import RDF_FORMATS
from live import LiveServer, start_server
from virtuoso import system_triples

from clustergraph.iris import DATA, GRAPH, ONTOLOGY, PREFIXES
from clustergraph.kg.store import EmbeddedStore, StoreRoot, write_store

AFIL = ox.NamedNode(DATA + "afil")
AFIL_LABEL = ox.Literal("Lombardy Intelligent Factory Association", language="en")
PREF_LABEL = ox.NamedNode(PREFIXES["skos"] + "prefLabel")
SUFFIXES = {"ttl": "text/turtle", "nt": "application/n-triples", "jsonld": "application/ld+json",
            "rdf": "application/rdf+xml", "trig": "application/trig", "nq": "application/n-quads"}


@pytest.fixture(scope="module")
def client(live_server: LiveServer) -> Iterator[httpx.Client]:
    with live_server.client() as c:
        yield c


@pytest.fixture(scope="module")
def afil_page(client: httpx.Client) -> BeautifulSoup:
    response = client.get("/id/afil", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    return BeautifulSoup(response.text, "html.parser")


def parse(response: httpx.Response, media_type: str) -> list:
    """Triples or quads of an RDF body."""
    return list(ox.parse(response.content, RDF_FORMATS[media_type]))


def triples_of(items: list) -> set[ox.Triple]:
    return {item.triple if isinstance(item, ox.Quad) else item for item in items}


@pytest.mark.parametrize("media_type", list(RDF_FORMATS))
def test_conneg_serves_each_rdf_format(client: httpx.Client, media_type: str) -> None:
    response = client.get("/id/afil", headers={"Accept": media_type})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert "Accept" in response.headers["vary"]
    assert 'rel="alternate"' in response.headers["link"]
    assert ox.Triple(AFIL, PREF_LABEL, AFIL_LABEL) in triples_of(parse(response, media_type))


def test_quad_formats_keep_the_source_graph(client: httpx.Client) -> None:
    quads = parse(client.get("/id/afil", headers={"Accept": "application/n-quads"}), "application/n-quads")
    graphs = {q.graph_name.value for q in quads if q.triple == ox.Triple(AFIL, PREF_LABEL, AFIL_LABEL)}
    assert GRAPH + "ltc-report-2024" in graphs and len(graphs) >= 2


def test_rdf_holds_incoming_triples_once(client: httpx.Client) -> None:
    triples = parse(client.get("/id/afil", headers={"Accept": "application/n-triples"}), "application/n-triples")
    assert len(triples) == len(set(triples))
    assert any(t.object == AFIL and t.predicate.value == ONTOLOGY + "participant" for t in triples)


@pytest.mark.parametrize("suffix", list(SUFFIXES))
def test_suffix_and_format_parameter(client: httpx.Client, suffix: str) -> None:
    for response in (client.get(f"/id/afil.{suffix}", headers={"Accept": "text/html"}),
                     client.get("/id/afil", params={"format": suffix}, headers={"Accept": "text/html"})):
        assert response.status_code == 200
        assert response.headers["content-type"].split(";")[0] == SUFFIXES[suffix]
        assert "Accept" in response.headers["vary"]
        assert ox.Triple(AFIL, PREF_LABEL, AFIL_LABEL) in triples_of(parse(response, SUFFIXES[suffix]))


def test_default_is_turtle_and_browsers_get_html(client: httpx.Client) -> None:
    for accept in (None, "*/*"):
        response = client.get("/id/afil", headers={"Accept": accept} if accept else {})
        assert response.headers["content-type"].startswith("text/turtle")
    assert client.get("/id/afil.html").headers["content-type"].startswith("text/html")
    ranked = client.get("/id/afil", headers={"Accept": "text/html;q=0.5, text/turtle"})
    assert ranked.headers["content-type"].startswith("text/turtle")


@pytest.mark.parametrize(("path", "request_kwargs"), [
    ("/id/afil", {"headers": {"Accept": "application/json"}}),
    ("/id/afil", {"headers": {"Accept": "application/json, */*;q=0.1"}}),
    ("/id/afil", {"params": {"format": "json"}}),
    ("/ontology", {"headers": {"Accept": "application/json"}}),
])
def test_plain_json_is_json_ld(client: httpx.Client, path: str, request_kwargs: dict) -> None:
    response = client.get(path, **request_kwargs)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == "application/ld+json"
    assert parse(response, "application/ld+json")


def test_head_and_errors(client: httpx.Client) -> None:
    head = client.head("/id/afil", headers={"Accept": "text/turtle"})
    assert head.status_code == 200 and head.content == b""
    assert client.get("/id/no-such-thing").status_code == 404
    assert client.get("/id/no-such-thing.ttl").status_code == 404
    assert client.get("/id/afil", headers={"Accept": "image/png"}).status_code == 406
    assert client.get("/id/afil", params={"format": "csv"}).status_code == 400
    assert client.get("/graph/ltc-report-2024", headers={"Accept": "text/html"}).status_code == 200


def member_counts(page: BeautifulSoup) -> dict[tuple[str, str], str]:
    """(year, category) → cell text of the member-count table."""
    table = next(t for t in page.select("table.obs") if "Member counts" in t.find_previous("h2").get_text())
    columns = [th.get_text(" ", strip=True) for th in table.select("thead th")]
    cells = {}
    for row in table.select("tbody tr"):
        year = row.find("th").get_text(strip=True)
        for column, cell in zip(columns[1:], row.find_all("td"), strict=True):
            cells[(year, column)] = cell.get_text(" ", strip=True)
    return cells


def test_html_page_shows_label_counts_sources_and_links(afil_page: BeautifulSoup) -> None:
    assert afil_page.find("h1").get_text(strip=True) == "Lombardy Intelligent Factory Association"
    assert DATA + "afil" in afil_page.get_text()
    cells = member_counts(afil_page)
    total_2024 = next(text for (year, column), text in cells.items() if year == "2024" and "all" in column)
    assert "143" in total_2024 and "Lombardy Technology Clusters (2024 report)" in total_2024
    assert "144" in next(text for (year, column), text in cells.items() if year == "2022" and "all" in column)
    incoming = afil_page.find(id="incoming").find_next("table").get_text(" ")
    assert "participant" in incoming
    properties = afil_page.find(id="outgoing").find_next("table").get_text(" ")
    assert "Lombardy Technology Clusters (2024 report)" in properties
    initiatives = " ".join(t.get_text(" ") for t in afil_page.select("table.initiatives"))
    assert "2024 report" in initiatives and "2022 report" in initiatives  # short source names in the card
    hrefs = {a["href"] for a in afil_page.find_all("a", href=True)}
    assert "/id/doc-ltc-report-2024" in hrefs and "/id/afil.ttl" in hrefs


def test_every_link_is_local_or_an_iri_of_the_data(afil_page: BeautifulSoup, project_store: EmbeddedStore) -> None:
    iris = {term.value for row in project_store.query("SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }")
            for term in row if isinstance(term, ox.NamedNode)}
    links = [el.get(attr) for attr in ("href", "src") for el in afil_page.find_all(attrs={attr: True})]
    assert links
    for link in links:
        assert not link.strip().lower().startswith(("javascript:", "data:", "vbscript:"))
        assert link.startswith(("/", "#")) or link in iris, link


def test_ontology_page_documents_terms(client: httpx.Client) -> None:
    response = client.get("/ontology", headers={"Accept": "text/html"})
    assert response.status_code == 200 and "Accept" in response.headers["vary"]
    page = BeautifulSoup(response.text, "html.parser")
    participation = page.find(id="Participation")
    assert participation is not None
    text = participation.get_text(" ")
    assert "Sub-class of" in text and "org:Membership" in text
    assert page.find(id="family-escp") is not None and page.find(id="participant") is not None
    ids = [el["id"] for el in page.find_all(id=True)]
    assert len(ids) == len(set(ids))
    turtle = client.get("/ontology.ttl")
    cls = ox.Triple(ox.NamedNode(ONTOLOGY + "Participation"), ox.NamedNode(PREFIXES["rdf"] + "type"),
                    ox.NamedNode(PREFIXES["owl"] + "Class"))
    assert cls in triples_of(parse(turtle, "text/turtle"))
    assert client.get("/ontology", headers={"Accept": "text/turtle"}).headers["content-type"].startswith("text/turtle")


def distinct_triples(store: EmbeddedStore) -> int:
    rows = store.query("SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }")
    return int(next(iter(rows))["n"].value)


def test_void_describes_the_dataset(client: httpx.Client, project_store: EmbeddedStore, live_server) -> None:
    response = client.get("/.well-known/void")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/turtle")
    store = ox.Store()
    store.extend(ox.parse(response.content, ox.RdfFormat.TURTLE))
    void = PREFIXES["void"]
    dataset = ox.NamedNode(DATA + "dataset")

    def objects(predicate: str) -> list:
        return [q.object for q in store.quads_for_pattern(dataset, ox.NamedNode(predicate), None)]

    system, _ = system_triples(live_server)  # Virtuoso's own graphs count too (README)
    assert [int(o.value) for o in objects(void + "triples")] == [distinct_triples(project_store) + system]
    assert objects(void + "sparqlEndpoint") == [ox.NamedNode(live_server.url + "/sparql")]
    assert ox.NamedNode("https://creativecommons.org/licenses/by/4.0/") in objects(PREFIXES["dct"] + "license")
    assert len(objects(void + "subset")) >= 7 and len(objects(void + "dataDump")) == 3
    assert objects(void + "classPartition") and objects(void + "propertyPartition")
    ask = (f"ASK {{ <{GRAPH}ltc-report-2024> <{PREFIXES['dct']}source> <{DATA}doc-ltc-report-2024> ; "
           f"<{void}triples> ?n }}")
    assert store.query(ask)
    jsonld = client.get("/.well-known/void", headers={"Accept": "application/ld+json"})
    assert jsonld.headers["content-type"].startswith("application/ld+json")


def test_dumps_download_and_parse(client: httpx.Client, project_store: EmbeddedStore, live_server) -> None:
    system, system_quads = system_triples(live_server)  # Virtuoso's own graphs are dumped too (README)
    turtle = client.get("/dumps/clustergraph.ttl")
    assert turtle.status_code == 200 and "attachment" in turtle.headers["content-disposition"]
    assert len(set(ox.parse(turtle.content, ox.RdfFormat.TURTLE))) == distinct_triples(project_store) + system
    for name, fmt in (("clustergraph.nq", ox.RdfFormat.N_QUADS), ("clustergraph.trig", ox.RdfFormat.TRIG)):
        response = client.get(f"/dumps/{name}")
        assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
        quads = list(ox.parse(response.content, fmt))
        assert len({q.graph_name for q in quads}) >= 7
        assert len(quads) == project_store.quad_count() + system_quads
    assert client.get("/dumps/clustergraph.ttl").content == turtle.content
    assert client.get("/dumps/secrets.txt").status_code == 404


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server over a tiny store whose literals and IRIs try to inject markup and scripts."""
    root = StoreRoot(tmp_path_factory.mktemp("hostile") / "store")
    graph, evil = ox.NamedNode(GRAPH + "fixture"), ox.NamedNode(DATA + "evil")
    facts = [
        (PREF_LABEL, ox.Literal("<script>alert(1)</script>", language="en")),
        (ox.NamedNode(PREFIXES["rdfs"] + "comment"), ox.Literal('"><img src=x onerror=alert(2)>')),
        (ox.NamedNode(PREFIXES["foaf"] + "homepage"), ox.NamedNode("javascript:alert(3)")),
        (ox.NamedNode(PREFIXES["rdfs"] + "seeAlso"), ox.NamedNode("data:text/html,%3Cb%3Ex")),
    ]
    quads = [ox.Quad(evil, p, o, graph) for p, o in facts]
    with root.lock():
        build_dir = root.new_build_dir()
        write_store(build_dir, quads)
        root.publish(build_dir)
    with start_server(root.path) as server:
        yield server


def test_hostile_literals_are_escaped_and_never_linked(hostile_server: LiveServer) -> None:
    with hostile_server.client() as c:
        response = c.get("/id/evil", headers={"Accept": "text/html"})
    assert response.status_code == 200
    page = BeautifulSoup(response.text, "html.parser")
    assert page.find("script") is None and page.find("img") is None
    assert "<script>alert(1)</script>" in page.find("h1").get_text()
    for el in page.find_all(attrs={"href": True}):
        assert el["href"].startswith(("/", "#", "https://", "http://")), el["href"]
    assert "javascript:alert(3)" in page.get_text()
