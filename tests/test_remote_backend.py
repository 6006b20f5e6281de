"""The remote backend end to end, on real servers: ``clustergraph build --store-url`` into a fresh
``oxigraph serve``, the remote runner's time limit, forwarded writes, and clear errors for bad URLs.

(The read-side suites run against the remote backend too: see ``live_server`` in conftest.py.)
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from conftest import FIXTURES, make_project, run_cli
from live import WRITE_TOKEN, LiveServer, free_port, start_oxigraph, start_server

from clustergraph.errors import SettingsError
from clustergraph.iris import GRAPH
from clustergraph.remote.store import RemoteStore
from clustergraph.settings import load_settings

OTHER = "urn:x-other:kept"  # not a project graph: a build must leave it alone
STALE = GRAPH + "stale-from-an-earlier-build"
TEST_GRAPH = "urn:x-test:forwarded-writes"
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
TRIPLE = ox.Triple(ox.NamedNode("urn:x-test:s"), ox.NamedNode("urn:x-test:p"), ox.Literal("o"))


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Iterator[RemoteStore]:
    """A second, empty Oxigraph server: builds replace its content, so it is not the session's shared one."""
    with start_oxigraph(tmp_path_factory.mktemp("fresh-oxigraph")) as base:
        yield RemoteStore.from_urls(base)


def snapshot(remote: RemoteStore) -> tuple[int, list[str]]:
    return remote.quad_count(), remote.named_graphs()


def test_failing_build_sends_nothing(fresh: RemoteStore, tmp_path) -> None:
    fresh.put_graph(OTHER, [TRIPLE])
    fresh.put_graph(STALE, [TRIPLE])
    before = snapshot(fresh)
    for defect in ("broken-syntax.ttl", "missing-role.ttl"):
        bad = make_project(tmp_path / defect, FIXTURES / "invalid" / defect)
        result = run_cli("build", "--root", str(bad), "--store-url", fresh.query_url)
        assert result.returncode == 1, result.stderr
        assert snapshot(fresh) == before


def test_build_store_url_replaces_project_graphs_only(fresh: RemoteStore, tmp_path) -> None:
    fresh.put_graph(OTHER, [TRIPLE])
    fresh.put_graph(STALE, [TRIPLE])
    base = fresh.query_url.removesuffix("/query")  # the Oxigraph base URL gives /query and /store too
    result = run_cli("build", "--root", str(make_project(tmp_path)), "--store-url", base)
    assert result.returncode == 0, result.stderr
    built = int(re.search(r"built (\d+) quads", result.stdout).group(1))
    graphs = fresh.named_graphs()
    assert STALE not in graphs and OTHER in graphs
    assert GRAPH + "fixture" in graphs and GRAPH + "ontology" in graphs
    assert fresh.quad_count() == built + 1  # the project, plus the foreign graph's one triple
    assert fresh.query("ASK { <https://w3id.org/clustergraph/id/afil> ?p ?o }")
    again = run_cli("build", "--root", str(make_project(tmp_path / "again")), "--store-url", base)
    assert again.returncode == 0 and fresh.quad_count() == built + 1  # replaced, not added


@pytest.fixture(scope="module")
def remote_app(remote_store: RemoteStore, project_store_root) -> Iterator[LiveServer]:
    """The app over the session's Oxigraph server, with a short time limit and writes on."""
    with start_server(project_store_root.path, write_token=WRITE_TOKEN, time_limit="1",
                      store_url=remote_store.query_url) as server:
        yield server


def test_time_limit_stops_a_heavy_query_with_503_and_light_queries_go_on(remote_app: LiveServer) -> None:
    with remote_app.client() as client:
        start = time.monotonic()
        heavy = client.get("/sparql", params={"query": HEAVY})
        took = time.monotonic() - start
        light = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
        lowered = client.get("/sparql", params={"query": HEAVY, "timeout": "0.3"})
        named = client.get("/api/queries/i3-projects")
    assert heavy.status_code == 503 and "time limit of 1 s" in heavy.text, heavy.text
    assert heavy.headers["retry-after"] == "1"
    assert took < 4
    assert light.status_code == 200 and light.json()["boolean"] is True
    assert lowered.status_code == 503 and "0.3 s" in lowered.text
    assert named.status_code == 200 and named.json()["results"]["bindings"]


def test_writes_are_forwarded_with_the_token_and_the_guard(remote_app: LiveServer,
                                                           remote_store: RemoteStore) -> None:
    nt = {"Content-Type": "application/n-triples"}
    token = {"Authorization": f"Bearer {WRITE_TOKEN}"}
    update = {"Content-Type": "application/sparql-update", **token}
    with remote_app.client() as client:
        anonymous = client.put("/store", params={"graph": TEST_GRAPH}, content=b"<urn:a> <urn:b> <urn:c> .", headers=nt)
        created = client.put("/store", params={"graph": TEST_GRAPH}, content=b"<urn:a> <urn:b> <urn:c> .",
                             headers={**nt, **token})
        inserted = client.post("/update", content=f"INSERT DATA {{ GRAPH <{TEST_GRAPH}> {{ <urn:a> <urn:b> 2 }} }}",
                               headers=update)
        load = client.post("/update", content="LOAD <http://127.0.0.1:9/x>", headers=update)
        read = client.get("/store", params={"graph": TEST_GRAPH}, headers={"Accept": "application/n-triples"})
        dropped = client.delete("/store", params={"graph": TEST_GRAPH}, headers=token)
        gone = client.get("/store", params={"graph": TEST_GRAPH})
    assert anonymous.status_code == 401 and created.status_code == 201
    assert inserted.status_code == 204
    assert load.status_code == 400 and "LOAD" in load.text
    assert len(list(ox.parse(read.content, format=ox.RdfFormat.N_TRIPLES))) == 2
    assert dropped.status_code == 204 and gone.status_code == 404
    assert TEST_GRAPH not in remote_store.named_graphs()


def test_settings_page_names_the_server(remote_app: LiveServer, remote_store: RemoteStore) -> None:
    with remote_app.client() as client:
        page = client.get("/settings", headers={"Accept": "text/html"})
        api = client.get("/api/settings").json()
    assert page.status_code == 200 and remote_store.query_url in page.text
    assert api["store_url"] == remote_store.query_url


def test_bad_urls_are_named_with_exit_2(oxigraph_url: str, tmp_path) -> None:
    nobody = f"http://127.0.0.1:{free_port()}/query"
    served = run_cli("serve", "--store-url", nobody, "--port", str(free_port()), timeout=30)
    assert served.returncode == 2 and nobody in served.stderr and "cannot reach" in served.stderr
    built = run_cli("build", "--root", str(make_project(tmp_path)), "--store-url", nobody, timeout=30)
    assert built.returncode == 2 and nobody in built.stderr
    not_sparql = oxigraph_url + "/no-such-endpoint"
    served = run_cli("serve", "--store-url", not_sparql, "--port", str(free_port()), timeout=30)
    assert served.returncode == 2 and not_sparql in served.stderr
    for url in ("ftp://example.org/sparql", "localhost:7878"):  # the CLI maps SettingsError to exit 2
        with pytest.raises(SettingsError, match="store_url") as caught:
            load_settings({"store_url": url}, environ={})
        assert url in str(caught.value)
    gsp = run_cli("build", "--root", str(make_project(tmp_path / "gsp")), "--store-url", oxigraph_url + "/sparql-x",
                  timeout=30)
    assert gsp.returncode == 2 and "--graph-store-url" in gsp.stderr


def test_unreachable_server_mid_serve_is_a_503_naming_it(tmp_path, project_store_root) -> None:
    with start_oxigraph(tmp_path / "short-lived") as base:
        server_cm = start_server(project_store_root.path, store_url=base)
        server = server_cm.__enter__()
    try:
        with server.client() as client:
            response = client.get("/sparql", params={"query": "ASK {}"})
            page = client.get("/browse")
        assert response.status_code == 503 and "127.0.0.1" in response.text
        assert page.status_code == 503
    finally:
        server_cm.__exit__(None, None, None)


def test_docstring_examples_of_the_remote_modules() -> None:
    import doctest

    import clustergraph.remote.endpoints

    result = doctest.testmod(clustergraph.remote.endpoints)
    assert result.attempted > 0 and result.failed == 0
