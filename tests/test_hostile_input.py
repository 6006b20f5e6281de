"""Hostile input (issue 6, section 3), each case proven harmless on a real server.

- ``tests/hostile/sparql/*.rq``: one hostile query per file, with ``# tries:`` and ``# expect: STATUS needle``
  headers (``{port}`` is a loopback port where a listener fails the test if anything connects); plus generated
  cases too large or too binary for a file (deep nesting, huge VALUES, long chains, 10 MB, bad UTF-8, NUL).
- Named-query parameters of every kind with quotes, braces, ``>``, newlines, escapes and 100k characters.
- HTML pages over a built project whose literals and IRIs carry markup, ``javascript:`` and ``data:`` IRIs.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from bs4 import BeautifulSoup
from conftest import FIXTURES, ROOT, make_project
from live import WRITE_TOKEN, LiveServer, start_server

from clustergraph.errors import NamedQueryError, ValidationFailed
from clustergraph.kg.build import build
from clustergraph.kg.layout import Layout
from clustergraph.kg.store import StoreRoot
from clustergraph.querying.named import Param, load_named_queries
from clustergraph.sparql.lexer import tokens

CORPUS = Path(__file__).resolve().parent / "hostile" / "sparql"
TIME_LIMIT = 3
MARGIN = 5  # a correctness bound on the kill, not a benchmark
HTML_ACCEPT = {"Accept": "text/html"}


@contextlib.contextmanager
def listener() -> Iterator[tuple[int, list]]:
    """A socket on a free loopback port recording every connection made to it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.settimeout(0.2)
    connections: list = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            with contextlib.suppress(OSError):
                conn, peer = sock.accept()
                connections.append(peer)
                conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1], connections
    finally:
        time.sleep(0.3)
        stop.set()
        thread.join()
        sock.close()


@pytest.fixture(scope="module")
def server(project_store_root: StoreRoot) -> Iterator[LiveServer]:
    """A dedicated server with a short time limit, so stopped queries end fast."""
    with start_server(project_store_root.path, time_limit=str(TIME_LIMIT)) as live:
        yield live


@pytest.fixture(scope="module")
def trap() -> Iterator[tuple[int, list]]:
    with listener() as found:
        yield found


def corpus_cases() -> list:
    cases = []
    for path in sorted(CORPUS.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        expect = re.search(r"^# expect: (\d{3}) (.+)$", text, re.M)
        assert expect and re.search(r"^# tries: ", text, re.M), f"{path.name} needs # tries: and # expect: lines"
        cases.append(pytest.param(text, int(expect[1]), expect[2].strip(), id=path.stem))
    return cases


def send(server: LiveServer, body: bytes | str, **headers: str) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    with server.client() as client:
        response = client.post("/sparql", content=body,
                               headers={"Content-Type": "application/sparql-query", **headers})
    return response, time.monotonic() - started


def assert_harmless(response: httpx.Response, seconds: float, status: int, needle: str) -> None:
    assert response.status_code == status, response.text[:300]
    assert seconds < TIME_LIMIT + MARGIN, f"answered after {seconds:.1f} s"
    assert "Traceback" not in response.text and "/work/" not in response.text
    if status == 200:
        assert response.json()["boolean"] is (needle == "true")
    else:
        # "a | b": either (a query may be stopped by its time limit or its worker's memory cap, whichever first)
        assert any(n.strip().lower() in response.text.lower() for n in needle.split(" | ")), response.text[:300]


@pytest.mark.parametrize(("text", "status", "needle"), corpus_cases())
def test_corpus_query_is_refused_or_stopped(server: LiveServer, trap, text: str, status: int, needle: str) -> None:
    port, connections = trap
    response, seconds = send(server, text.replace("{port}", str(port)))
    assert_harmless(response, seconds, status, needle)
    if status == 503:  # stopped by the server's own limits: its time limit, or its workers' memory cap
        assert f"time limit of {TIME_LIMIT} s" in response.text or "MB of memory a query worker" in response.text
    assert connections == []


def _values(n: int) -> str:
    return "SELECT (COUNT(*) AS ?n) WHERE { VALUES ?x { " + " ".join(str(i) for i in range(n)) + " } }"


GENERATED = {
    # name: (body, status, needle)
    "nested-2000-groups": ("SELECT * WHERE " + "{" * 2000 + " ?s ?p ?o " + "}" * 2000, 400, "levels deep"),
    "nested-20000-parens": ("ASK { FILTER(" + "(" * 20000 + "true" + ")" * 20000 + ") }", 400, "levels deep"),
    "chain-of-10000-plus": ("SELECT * WHERE { BIND(" + "+".join(["1"] * 10000) + " AS ?x) }", 400, "tokens"),
    "union-of-7000": ("SELECT * WHERE { " + " UNION ".join(["{ BIND(1 AS ?x) }"] * 7000) + " }", 400, "tokens"),
    "long-or-mentioning-service": ("ASK { FILTER(" + " || ".join(["true"] * 1000) + ") } # service", 400,
                                   "double-check"),
    "name-run-quadratic-lexer": ("ASK { " + "a-" * 200_000 + " }", 400, "tokens"),
    "huge-values-in-body-cap": (_values(150_000), 200, "150000"),
    "nul-bytes": ("ASK { ?s ?p ?o }\x00\x00", 400, "syntax error"),
}


@pytest.mark.parametrize(("name", "spec"), list(GENERATED.items()), ids=list(GENERATED))
def test_generated_hostile_query(server: LiveServer, trap, name: str, spec: tuple) -> None:
    body, status, needle = spec
    response, seconds = send(server, body)
    if status == 200 and response.status_code == 503:  # a slow machine may stop it at the limit instead
        status, needle = 503, f"time limit of {TIME_LIMIT} s"
    assert response.status_code == status, response.text[:300]
    assert seconds < TIME_LIMIT + MARGIN, f"answered after {seconds:.1f} s"
    if status == 200:
        assert response.json()["results"]["bindings"][0]["n"]["value"] == needle
    else:
        assert needle in response.text
    assert trap[1] == []


def test_oversized_and_malformed_bodies(server: LiveServer) -> None:
    too_big, big_seconds = send(server, b"ASK {} #" + b"x" * 10_000_000)
    not_utf8, _ = send(server, b"ASK { ?s ?p \"\xff\xfe\" }")
    assert too_big.status_code == 413 and "cap" in too_big.text and big_seconds < TIME_LIMIT + MARGIN
    assert not_utf8.status_code == 400 and "UTF-8" in not_utf8.text
    with server.client() as client:
        update_param = client.post("/sparql", data={"update": "DROP ALL"})
        by_get = client.get("/sparql", params={"query": "SELECT * WHERE " + "{" * 500 + "}" * 500})
    assert update_param.status_code == 400 and "/update" in update_param.text
    assert by_get.status_code == 400 and "levels deep" in by_get.text


def test_server_recovers_after_the_corpus(server: LiveServer, project_store) -> None:
    """Runs after the corpus (file order): light queries answer correctly, the data is intact."""
    query = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    with server.client() as client:
        answers = [client.get("/sparql", params={"query": query}) for _ in range(3)]
    assert all(r.status_code == 200 for r in answers)
    assert {int(r.json()["results"]["bindings"][0]["n"]["value"]) for r in answers} == {project_store.quad_count()}


# --- hostile updates (they run in the web process itself: a crash there stops the whole server) -------------

DEEP_UPDATES = {
    "nested-5000-groups": "INSERT { <urn:a> <urn:b> <urn:c> } WHERE " + "{ " * 5000 + "}" * 5000,
    "nested-300-triple-terms": "INSERT DATA { <urn:a> <urn:b> " + "<<( <urn:a> <urn:b> " * 300 + "<urn:c>"
                               + " )>>" * 300 + " }",
    "nested-300-reified-triples": "INSERT DATA { " + "<<<urn:a> <urn:b> " * 300 + "<urn:c>" + ">>" * 300
                                  + " <urn:b> <urn:c> }",
}


def post_update(server: LiveServer, text: str) -> httpx.Response:
    with server.client() as client:
        return client.post("/update", content=text, headers={"Content-Type": "application/sparql-update",
                                                             "Authorization": f"Bearer {WRITE_TOKEN}"})


def assert_refused_and_alive(server: LiveServer, update: str, *needles: str) -> None:
    """``update`` gets a 400 whose message holds every needle, the server process lives and nothing is written."""
    try:
        response = post_update(server, update)
    except httpx.TransportError:
        time.sleep(0.5)
        pytest.fail(f"no answer; the server exited with {server.process.poll()}")
    with server.client() as client:
        alive = client.get("/sparql", params={"query": "ASK { <urn:a> <urn:b> ?o }"})
    assert server.process.poll() is None, "the server process died"
    assert response.status_code == 400, response.text[:300]
    assert all(needle in response.text for needle in needles), response.text[:300]
    assert alive.status_code == 200 and alive.json()["boolean"] is False  # and nothing was written


@pytest.mark.parametrize("update", list(DEEP_UPDATES.values()), ids=list(DEEP_UPDATES))
def test_a_deeply_nested_update_is_refused_and_the_server_lives(writable_server: LiveServer, update: str) -> None:
    assert_refused_and_alive(writable_server, update, "levels deep", "at most 128")


def test_a_long_flat_insert_data_is_still_accepted(writable_server: LiveServer) -> None:
    graph = "urn:test:hostile-long-insert"
    triples = " ".join(f'<urn:test:s{i}> <urn:test:p> "value {i}" .' for i in range(3000))
    inserted = post_update(writable_server, f"INSERT DATA {{ GRAPH <{graph}> {{ {triples} }} }}")
    with writable_server.client() as client:
        count = client.get("/sparql", params={"query": f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"})
    dropped = post_update(writable_server, f"DROP SILENT GRAPH <{graph}>")
    assert inserted.status_code == 204, inserted.text[:300]
    assert count.json()["results"]["bindings"][0]["n"]["value"] == "3000"
    assert dropped.status_code == 204


CHAIN = "+".join(["1"] * 10000)  # Oxigraph's update parser overflows its stack on it: the web process exits 139
# name: (update, needle); the WHERE part of an update is counted like a query, however it is disguised
LONG_UPDATES = {
    "bind-chain-of-10000": ("INSERT { <urn:a> <urn:b> ?x } WHERE { BIND(" + CHAIN + " AS ?x) }", "at most 5000"),
    "chain-after-a-language-tag": ('INSERT { <urn:a> <urn:b> ?x } WHERE { ?s ?p "x"@en-insert { BIND(' + CHAIN
                                   + " AS ?x) } }", "at most 5000"),
    "chain-after-an-escaped-quote": (r"INSERT { <urn:a> <urn:b> ?x } WHERE { BIND('\u0027' AS ?y) BIND(" + CHAIN
                                     + " AS ?x) } # '''", "at most 5000"),
    "chain-after-a-comment-ended-by-cr": ("INSERT { <urn:a> <urn:b> ?x } WHERE { # \r BIND(" + CHAIN + " AS ?x) }",
                                          "at most 5000"),
    "nesting-after-an-escaped-quote": (r"INSERT { <urn:a> <urn:b> ?x } WHERE { BIND('\u0027' AS ?x) " + "{" * 3000
                                       + "}" * 3000 + " } # '''", "at most 128"),
}


@pytest.mark.parametrize(("update", "needle"), list(LONG_UPDATES.values()), ids=list(LONG_UPDATES))
def test_a_long_update_is_refused_and_the_server_lives(writable_server: LiveServer, update: str, needle: str) -> None:
    assert_refused_and_alive(writable_server, update, needle)


DISGUISED_LOADS = {
    "after-an-escaped-quote": r"INSERT DATA { <urn:a> <urn:b> '\u0027' } ; LOAD <http://127.0.0.1:{port}/x> # '''",
    "after-a-comment-ended-by-cr": "INSERT DATA { <urn:a> <urn:b> 1 } # \r ; LOAD <http://127.0.0.1:{port}/x>",
}


@pytest.mark.parametrize("update", list(DISGUISED_LOADS.values()), ids=list(DISGUISED_LOADS))
def test_a_disguised_load_is_refused_and_fetches_nothing(writable_server: LiveServer, trap, update: str) -> None:
    port, connections = trap
    response = post_update(writable_server, update.replace("{port}", str(port)))
    assert response.status_code == 400 and "LOAD is not allowed" in response.text, response.text[:300]
    assert connections == []


@pytest.mark.parametrize("query", ['SELECT * WHERE { ?s ?p "x"@values { BIND(' + CHAIN + " AS ?x) } }",
                                   r"SELECT * WHERE { BIND('\u0027' AS ?y) BIND(" + CHAIN + " AS ?x) } # '''",
                                   "SELECT * WHERE { # \r BIND(" + CHAIN + " AS ?x) }"],
                         ids=["after-a-language-tag", "after-an-escaped-quote", "after-a-comment-ended-by-cr"])
def test_a_disguised_long_query_is_refused(server: LiveServer, query: str) -> None:
    response, seconds = send(server, query)
    assert_harmless(response, seconds, 400, "at most 5000")


def test_a_long_insert_and_delete_template_is_still_accepted(writable_server: LiveServer) -> None:
    graph = "urn:test:hostile-long-template"
    template = " ".join(f"<urn:test:t{i}> <urn:test:p> ?o ." for i in range(3000))
    count_query = f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    seeded = post_update(writable_server, f"INSERT DATA {{ GRAPH <{graph}> {{ <urn:test:seed> <urn:test:p> 1 }} }}")
    inserted = post_update(writable_server, f"WITH <{graph}> INSERT {{ {template} }} WHERE {{ ?s ?p ?o }}")
    with writable_server.client() as client:
        after_insert = client.get("/sparql", params={"query": count_query})
    deleted = post_update(writable_server, f"WITH <{graph}> DELETE {{ {template} }} WHERE {{ <urn:test:seed> ?p ?o }}")
    with writable_server.client() as client:
        after_delete = client.get("/sparql", params={"query": count_query})
    dropped = post_update(writable_server, f"DROP SILENT GRAPH <{graph}>")
    assert seeded.status_code == 204 and dropped.status_code == 204
    assert inserted.status_code == 204, inserted.text[:300]
    assert deleted.status_code == 204, deleted.text[:300]
    assert after_insert.json()["results"]["bindings"][0]["n"]["value"] == "3001"
    assert after_delete.json()["results"]["bindings"][0]["n"]["value"] == "1"


# --- named-query parameters ---------------------------------------------------------------------------------

HOSTILE_VALUES = ['"', "'", "}", "{", ">", "<", 'a"b\'c', "x\ny\r\nz", r"\u0022 } ; DROP ALL ; {", "\\",
                  '" } ; DROP ALL ; { "', "} ; DROP ALL ; {", "?s ?p ?o", "#", '"""', "a" * 100_000]
LONG_IN_URL = "a" * 30_000  # httpx refuses URLs past 64 KB; the 100k value is tried in process below
# (query, parameter, a harmless value of the same kind that matches nothing)
PARAMS = [
    ("initiatives-of-cluster", "cluster", "https://w3id.org/clustergraph/id/no-such-cluster"),
    ("search-by-name", "text", "zzz-no-such-name"),
    ("resources-with-label", "label", "zzz-no-such-label@en"),
    ("member-counts-by-category", "year", "1900"),
]


def hostile_for(param: str, raw: str) -> str:
    return raw + "@en" if param == "label" else raw


@pytest.mark.parametrize(("name", "param", "harmless"), PARAMS, ids=[p[1] for p in PARAMS])
def test_named_parameters_are_rejected_or_bound_as_plain_values(server: LiveServer, name: str, param: str,
                                                                harmless: str) -> None:
    with server.client() as client:
        baseline = client.get(f"/api/queries/{name}", params={param: harmless})
        assert baseline.status_code == 200
        for raw in [*HOSTILE_VALUES[:-1], LONG_IN_URL]:
            response = client.get(f"/api/queries/{name}", params={param: hostile_for(param, raw)})
            if response.status_code == 400:
                assert f"parameter {param}" in response.json()["error"], response.text[:200]
            else:
                assert response.status_code == 200, (raw[:40], response.text[:200])
                rows = response.json()["results"]["bindings"]
                if rows and param == "text":  # a substring search: a quote may really occur in a name
                    assert all(any(raw.lower() in cell["value"].lower() for cell in row.values()) for row in rows)
                else:
                    assert response.json()["results"] == baseline.json()["results"], raw[:40]


@pytest.mark.parametrize(("name", "param", "harmless"), PARAMS, ids=[p[1] for p in PARAMS])
def test_bound_sparql_differs_from_a_harmless_binding_by_one_term(name: str, param: str, harmless: str) -> None:
    """The bound text reads as the same tokens as a harmless binding, but for one string or IRI token that
    Oxigraph reads back as exactly the value given."""
    query = load_named_queries(ROOT / "queries")[name]
    spec = next(p for p in query.params if p.name == param)
    reference = [(t.kind, t.text) for t in tokens(query.bind({param: harmless}))]
    for raw in HOSTILE_VALUES:
        value = hostile_for(param, raw)
        try:
            bound = query.bind({param: value})
        except NamedQueryError as exc:
            assert f"parameter {param}" in str(exc)
            continue
        got = [(t.kind, t.text) for t in tokens(bound)]
        differing = [(a, b) for a, b in zip(reference, got) if a != b]
        assert len(got) == len(reference) and len(differing) == 1, raw[:40]
        assert differing[0][1][0] in ("string", "iri")
        term = spec.to_term(value)
        echoed = next(iter(ox.Store().query(f"SELECT ?v WHERE {{ VALUES ?v {{ {term} }} }}")))["v"]
        assert echoed == term


def test_integer_parameter_accepts_digits_only() -> None:
    param = Param("n", "integer", required=True)
    assert param.to_term(" 42 ").value == "42"
    for raw in HOSTILE_VALUES + ["1 }", "1e3", "0x10", "1; DROP ALL"]:
        with pytest.raises(NamedQueryError, match="parameter n"):
            param.to_term(raw)


# --- HTML pages ------------------------------------------------------------------------------------------------

HOSTILE_DATA = FIXTURES / "hostile"


@pytest.fixture(scope="module")
def markup_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server over a project built (SHACL-validated) with tests/data/hostile/markup.ttl."""
    base = tmp_path_factory.mktemp("hostile-html")
    root = StoreRoot(base / "store")
    build(Layout(make_project(base, HOSTILE_DATA / "markup.ttl")), root)
    with start_server(root.path) as live:
        yield live


def test_a_javascript_homepage_is_refused_by_the_build(tmp_path: Path) -> None:
    project = make_project(tmp_path, HOSTILE_DATA / "javascript-homepage.ttl")
    with pytest.raises(ValidationFailed, match="javascript:alert"):
        build(Layout(project), StoreRoot(tmp_path / "store"))


def assert_inert(html: str) -> BeautifulSoup:
    soup = BeautifulSoup(html, "html.parser")
    for script in soup.find_all("script"):
        assert "alert" not in script.get_text(), script
    assert soup.find("img", src="x") is None
    for element in soup.find_all(True):
        for attr, value in element.attrs.items():
            assert not (attr.lower().startswith("on") and "alert" in str(value)), element
            if attr.lower() in ("href", "src", "action", "formaction"):
                assert not str(value).strip().lower().startswith(("javascript:", "data:")), element
    return soup


@pytest.mark.parametrize("path", ["/id/afil", "/", "/browse/clusters", "/browse/organisations?q=afil",
                                  "/browse/organisations?q=%3Cscript%3Ealert(1)%3C/script%3E",
                                  "/network/collaboration", "/queries/sources-of-fact"])
def test_pages_never_carry_live_markup(markup_server: LiveServer, path: str) -> None:
    with markup_server.client() as client:
        response = client.get(path, headers=HTML_ACCEPT)
    assert response.status_code == 200, response.text[:300]
    soup = assert_inert(response.text)
    if path == "/id/afil":
        text = soup.get_text()
        assert "<script>alert(1)</script>" in text and '"><img src=x onerror=alert(1)>' in text
        assert "javascript:alert(1)" in text  # shown as text, never as a link


def test_resource_page_fires_no_dialog_in_chromium(markup_server: LiveServer) -> None:
    from browser import chromium_page, off_host

    dialogs: list[str] = []
    with chromium_page() as page:
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(markup_server.url + "/id/afil")
        page.wait_for_load_state("networkidle")
        requests = list(page.requests)
    assert dialogs == [] and page.errors == []
    assert off_host(requests) == []
