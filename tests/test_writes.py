"""Writes exist only with a write token: SPARQL Update at /update and Graph Store writes at /store. They are
refused without the token, with a wrong one, and from a web page of another origin even with the right one;
the token is compared in constant time; every attempt is logged, without the token."""

from __future__ import annotations

import asyncio
import hmac
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import pytest
from live import ROOT, WRITE_TOKEN, LiveServer

from clustergraph.kg.layout import Layout
from clustergraph.kg.store import StoreRoot
from clustergraph.settings import Settings
from clustergraph.web import write_guard
from clustergraph.web.app import create_app

GOOD = {"Authorization": f"Bearer {WRITE_TOKEN}"}
UPDATE = {"Content-Type": "application/sparql-update"}
TURTLE = {"Content-Type": "text/turtle"}
NEW_GRAPH = "urn:test:graph"
OTHER_ORIGIN = "https://evil.example"
# (method, path) of every write; PUT/POST/DELETE /store name a graph
WRITES = [("POST", "/update"), ("PUT", "/store"), ("POST", "/store"), ("DELETE", "/store")]


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


def send_write(client: httpx.Client, method: str, path: str, graph: str, headers: dict[str, str]) -> httpx.Response:
    """One write of ``method`` to ``path`` that would change ``graph`` (a fresh graph of the test's own)."""
    if path == "/update":
        body = f'INSERT DATA {{ GRAPH <{graph}> {{ <urn:test:s> <urn:test:p> "o" }} }}'
        return client.post(path, content=body, headers={**UPDATE, **headers})
    content = '<urn:test:s> <urn:test:p> "o" .\n' if method != "DELETE" else None
    return client.request(method, path, params={"graph": graph}, content=content, headers={**TURTLE, **headers})


def has_graph(client: httpx.Client, graph: str) -> bool:
    return ask(client, f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize("browser", [{"Origin": OTHER_ORIGIN},
                                     {"Origin": OTHER_ORIGIN, "Sec-Fetch-Site": "cross-site"},
                                     {"Sec-Fetch-Site": "cross-site"},
                                     {"Sec-Fetch-Site": "same-site"},
                                     {"Origin": "null"}],
                         ids=["origin", "origin-and-fetch-site", "cross-site", "same-site", "null-origin"])
def test_a_write_from_another_origin_is_refused_even_with_the_token(writable_server, method: str, path: str,
                                                                    browser: dict[str, str]) -> None:
    graph = f"urn:test:cross-{uuid.uuid4().hex}"
    with writable_server.client() as client:
        if method == "DELETE":  # something to delete first, sent as a tool would send it (no browser headers)
            assert send_write(client, "PUT", "/store", graph, GOOD).status_code == 201
        response = send_write(client, method, path, graph, {**GOOD, **browser})
        present = has_graph(client, graph)
        client.delete("/store", params={"graph": graph}, headers=GOOD)
    assert response.status_code == 403, response.text
    assert "another origin" in response.text
    assert present == (method == "DELETE")  # nothing written, nothing deleted


def test_a_write_from_another_origin_without_the_token_is_refused_as_cross_origin(writable_server) -> None:
    with writable_server.client() as client:
        response = client.post("/update", content="DROP ALL", headers={**UPDATE, "Origin": OTHER_ORIGIN})
    assert response.status_code == 403 and "another origin" in response.text


@pytest.mark.parametrize("same_origin", [True, False], ids=["origin", "fetch-site"])
def test_a_write_from_a_page_of_the_server_itself_is_accepted(writable_server, same_origin: bool) -> None:
    graph = f"urn:test:same-{uuid.uuid4().hex}"
    browser = {"Origin": writable_server.url} if same_origin else {"Sec-Fetch-Site": "same-origin"}
    with writable_server.client() as client:
        written = send_write(client, "POST", "/update", graph, {**GOOD, **browser})
        present = has_graph(client, graph)
        wrong_token = send_write(client, "POST", "/update", graph, {"Authorization": "Bearer wrong", **browser})
        client.delete("/store", params={"graph": graph}, headers=GOOD)
    assert written.status_code == 204 and present
    assert wrong_token.status_code == 403 and "token is wrong" in wrong_token.text


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_the_preflight_of_a_cross_origin_write_grants_nothing(writable_server, method: str, path: str) -> None:
    headers = {"Origin": OTHER_ORIGIN, "Access-Control-Request-Method": method,
               "Access-Control-Request-Headers": "authorization, content-type"}
    with writable_server.client() as client:
        response = client.options(path, headers=headers)
    assert response.status_code == 403
    assert not any(name.startswith("access-control-allow") for name in response.headers)


def test_reads_from_any_origin_stay_open(writable_server) -> None:
    origin = {"Origin": OTHER_ORIGIN}
    with writable_server.client() as client:
        get = client.get("/sparql", params={"query": "ASK {}"}, headers=origin)
        post = client.post("/sparql", data={"query": "ASK {}"}, headers={**origin, "Sec-Fetch-Site": "cross-site"})
        preflight = client.options("/sparql", headers={**origin, "Access-Control-Request-Method": "POST",
                                                       "Access-Control-Request-Headers": "content-type"})
        store = client.get("/store", params={"graph": NEW_GRAPH}, headers=origin)
    assert get.status_code == post.status_code == preflight.status_code == 200
    for response in (get, post, preflight, store):
        assert response.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in response.headers
    assert "PUT" not in preflight.headers["access-control-allow-methods"]
    assert "authorization" not in preflight.headers["access-control-allow-headers"].lower()


def server_log(server: LiveServer) -> Path:
    """The file ``live.start_server`` sends the server's standard output and error to."""
    port = server.url.rsplit(":", 1)[1]
    return Path(tempfile.gettempdir()) / f"clustergraph-server-{port}.log"


def log_line(server: LiveServer, *needles: str, since: int = 0, timeout: float = 10) -> str:
    """The server's one ``clustergraph.writes`` line containing every needle, after byte ``since`` of its log
    (a line is written just after the answer, so it is waited for)."""
    deadline = time.monotonic() + timeout
    while True:
        with server_log(server).open("rb") as log:
            log.seek(since)
            text = log.read().decode(errors="replace")
        lines = [line for line in text.splitlines()
                 if "clustergraph.writes" in line and all(needle in line for needle in needles)]
        if lines or time.monotonic() > deadline:
            assert len(lines) == 1, f"{len(lines)} log lines with {needles!r}"
            return lines[0]
        time.sleep(0.05)


def test_every_write_attempt_is_logged_without_the_token(writable_server) -> None:
    marker = uuid.uuid4().hex
    graphs = {name: f"urn:test:log-{name}-{marker}" for name in ("ok", "none", "wrong", "cross", "preflight")}
    body = '<urn:test:s> <urn:test:p> "logged" .\n'
    start = server_log(writable_server).stat().st_size
    with writable_server.client() as client:
        put = lambda graph, headers: client.put("/store", params={"graph": graph}, content=body,  # noqa: E731
                                                headers={**TURTLE, **headers})
        statuses = [put(graphs["ok"], GOOD).status_code, put(graphs["none"], {}).status_code,
                    put(graphs["wrong"], {"Authorization": f"Bearer {WRITE_TOKEN}x"}).status_code,
                    put(graphs["cross"], {**GOOD, "Origin": OTHER_ORIGIN}).status_code]
        preflight = client.options("/store", params={"graph": graphs["preflight"]},
                                   headers={"Origin": OTHER_ORIGIN, "Access-Control-Request-Method": "PUT"})
        clear = f"CLEAR SILENT GRAPH <{graphs['ok']}> # {marker}"
        update = client.post("/update", content=clear, headers={**UPDATE, **GOOD})
        client.delete("/store", params={"graph": graphs["ok"]}, headers=GOOD)
    assert statuses == [201, 401, 403, 403] and preflight.status_code == 403 and update.status_code == 204
    size = len(body.encode())
    for name, status, outcome in (("ok", 201, "accepted"), ("none", 401, "refused"), ("wrong", 403, "refused"),
                                  ("cross", 403, "refused")):
        line = log_line(writable_server, "PUT /store", graphs[name])
        assert f"write PUT /store graph='<{graphs[name]}>' client=127.0.0.1:" in line
        assert f"status={status} outcome={outcome} bytes={size}" in line
    assert f"origin='{OTHER_ORIGIN}'" in log_line(writable_server, graphs["cross"])
    assert "write PUT /store (CORS preflight)" in log_line(writable_server, graphs["preflight"])
    assert "status=204 outcome=accepted" in log_line(writable_server, "write POST /update graph='-'",
                                                     f"bytes={len(clear.encode())}", since=start)
    assert "status=204 outcome=accepted" in log_line(writable_server, "write DELETE /store", graphs["ok"])
    assert WRITE_TOKEN not in server_log(writable_server).read_text(errors="replace")


def in_process_posts(store_root: StoreRoot, *requests: dict) -> list[httpx.Response]:
    """POST each of ``requests`` (httpx keyword arguments) to a fresh app in this process (no server, no
    lifespan: these requests never reach the store)."""
    app = create_app(Settings(write_token=WRITE_TOKEN), store_root, layout=Layout(ROOT))

    async def send() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
            return [await client.post("/update", **request) for request in requests]

    return asyncio.run(send())


def test_the_token_is_compared_in_constant_time(project_store_root: StoreRoot, monkeypatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(sent: bytes, expected: bytes) -> bool:
        calls.append((sent, expected))
        return real(sent, expected)

    monkeypatch.setattr(write_guard.hmac, "compare_digest", spy)
    wrong, right = in_process_posts(
        project_store_root,
        {"content": "DROP ALL", "headers": {**UPDATE, "Authorization": "Bearer guess-1"}},
        {"content": "DROP ALL", "headers": {**GOOD, "Content-Type": "text/plain"}},  # then a type it refuses
    )
    assert (wrong.status_code, right.status_code) == (403, 415)
    assert calls == [(b"guess-1", WRITE_TOKEN.encode()), (WRITE_TOKEN.encode(), WRITE_TOKEN.encode())]


@pytest.mark.parametrize(("update", "needle"), [("CREATE GRAPH <{graph}>", "already exists"),
                                                 ("DROP GRAPH <{graph}-missing>", "does not exist")],
                         ids=["create-existing", "drop-missing"])
def test_an_update_the_graphs_do_not_allow_is_a_400_and_changes_nothing(writable_server, update: str,
                                                                        needle: str) -> None:
    graph = f"urn:test:exists-{uuid.uuid4().hex}"
    root = StoreRoot(writable_server.store)
    with writable_server.client() as client:
        created = client.post("/update", content=f"CREATE GRAPH <{graph}>", headers={**UPDATE, **GOOD})
        build = root.current()
        response = client.post("/update", content=update.format(graph=graph), headers={**UPDATE, **GOOD})
        after = root.current()
        silent = client.post("/update", content=f"DROP SILENT GRAPH <{graph}-missing>", headers={**UPDATE, **GOOD})
        client.post("/update", content=f"DROP SILENT GRAPH <{graph}>", headers={**UPDATE, **GOOD})
    assert created.status_code == 204, created.text
    assert response.status_code == 400, response.text
    assert "the update cannot be applied" in response.text and needle in response.text
    assert after == build  # the copy was thrown away; the published build did not move
    assert silent.status_code == 204, silent.text


def test_put_of_an_empty_body_creates_an_empty_graph(writable_server) -> None:
    params = {"graph": f"urn:test:empty-{uuid.uuid4().hex}"}
    with writable_server.client() as client:
        created = client.put("/store", params=params, content=b"", headers={**TURTLE, **GOOD})
        read = client.get("/store", params=params, headers={"Accept": "application/n-triples"})
        head = client.head("/store", params=params)
        again = client.put("/store", params=params, content=b"", headers={**TURTLE, **GOOD})
        deleted = client.delete("/store", params=params, headers=GOOD)
        gone = client.get("/store", params=params)
    assert created.status_code == 201, created.text
    assert read.status_code == 200 and read.text.strip() == ""
    assert head.status_code == 200
    assert again.status_code == 204  # the graph exists now: a second PUT replaces it
    assert deleted.status_code == 204 and gone.status_code == 404
