"""Issue 16: writes to the embedded store run in a killable worker process under the time limit. Hostile or slow
updates and Graph Store bodies are refused (400) or stopped (503 with Retry-After), nothing half-written is ever
published, and the server process itself survives every one of them (same pid, /sparql still answers)."""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from live import WRITE_TOKEN, LiveServer, start_server

from clustergraph.kg.store import BUILDS, StoreRoot

TIME_LIMIT = 2
GOOD = {"Authorization": f"Bearer {WRITE_TOKEN}"}
UPDATE = {**GOOD, "Content-Type": "application/sparql-update"}
NQUADS = {"Accept": "application/n-quads"}
# a cross product of three VALUES blocks: 8 million rows to insert, far past the time limit
SLOW_UPDATE = ("INSERT { GRAPH <urn:test:slow> { ?a <urn:test:p> ?c } } WHERE { VALUES ?a { "
               + " ".join(str(i) for i in range(200)) + " } VALUES ?b { " + " ".join(str(i) for i in range(200))
               + " } VALUES ?c { " + " ".join(str(i) for i in range(200)) + " } }")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, project_store_root: StoreRoot) -> Iterator[LiveServer]:
    """A writable server with a short time limit, over its own copy of the built store."""
    copy = tmp_path_factory.mktemp("write-worker") / "store"
    shutil.copytree(project_store_root.path, copy, symlinks=True)
    with start_server(copy, write_token=WRITE_TOKEN, time_limit=str(TIME_LIMIT)) as live:
        yield live


def snapshot(server: LiveServer, client: httpx.Client) -> tuple[list[bytes], Path | None, list[str]]:
    """What a write could change: every quad (sorted), the published build, and the build folders."""
    quads = client.get("/store", headers=NQUADS)
    assert quads.status_code == 200
    root = StoreRoot(server.store)
    return sorted(quads.content.splitlines()), root.current(), sorted(p.name for p in (server.store / BUILDS).iterdir())


def assert_alive(server: LiveServer, client: httpx.Client) -> None:
    """The very server process started for the module still runs and answers a query."""
    assert server.process.poll() is None, "the server process died"
    response = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
    assert response.status_code == 200 and response.json()["boolean"] is True


def write_workers(server_pid: int) -> list[int]:
    """Process ids of the server's children running ``clustergraph.kg.write_worker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == server_pid and b"clustergraph.kg.write_worker" in cmdline:
            found.append(int(entry.name))
    return found


def insert_marker(client: httpx.Client, value: str) -> None:
    """A small write that must succeed, and be visible at once."""
    response = client.post("/update", headers=UPDATE,
                           content=f'INSERT DATA {{ GRAPH <urn:test:after> {{ <urn:test:s> <urn:test:p> "{value}" }} }}')
    assert response.status_code == 204, response.text
    ask = client.get("/sparql", params={"query": f'ASK {{ <urn:test:s> <urn:test:p> "{value}" }}'})
    assert ask.json()["boolean"] is True


def test_the_4985_item_collection_is_refused_and_the_server_lives(server: LiveServer) -> None:
    items = " ".join(f"<urn:test:i{i}>" for i in range(4985))
    in_template = f"INSERT {{ <urn:test:s> <urn:test:p> ( {items} ) }} WHERE {{ ?s ?p ?o }}"
    in_pattern = f"INSERT {{ <urn:test:s> <urn:test:p> 1 }}\nWHERE {{ ?s ?p ( {items} ) }}"
    with server.client() as client:
        before = snapshot(server, client)
        template = client.post("/update", content=in_template, headers=UPDATE)
        pattern = client.post("/update", content=in_pattern, headers=UPDATE)
        query = client.post("/sparql", data={"query": f"SELECT * WHERE {{ ?s ?p ( {items} ) }}"})
        assert_alive(server, client)
        assert snapshot(server, client) == before
    for response, line, what in ((template, 1, "update"), (pattern, 2, "update"), (query, 1, "query")):
        assert response.status_code == 400, response.text
        assert f"the collection ( … ) at line {line} of the {what} has 4985 items; at most 1000 are accepted" \
            in response.text


def test_an_update_past_the_time_limit_is_stopped_and_changes_nothing(server: LiveServer) -> None:
    with server.client() as client:
        before = snapshot(server, client)
        started = time.monotonic()
        response = client.post("/update", content=SLOW_UPDATE, headers=UPDATE)
        took = time.monotonic() - started
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"].isdigit()
        assert f"stopped at the time limit of {TIME_LIMIT} s; nothing was changed" in response.text
        assert took < TIME_LIMIT + 2
        assert not write_workers(server.process.pid)  # killed and reaped
        assert snapshot(server, client) == before  # same quads, same build, no half-written folder left
        assert_alive(server, client)
        insert_marker(client, "after-timeout")


def test_a_write_worker_killed_from_outside_is_a_503_and_publishes_nothing(server: LiveServer) -> None:
    with server.client() as client, httpx.Client(base_url=server.url, timeout=30) as other:
        before = snapshot(server, client)
        request = other.build_request("POST", "/update", content=SLOW_UPDATE, headers=UPDATE)
        answer: list[httpx.Response] = []
        thread = threading.Thread(target=lambda: answer.append(other.send(request)))
        thread.start()
        deadline = time.monotonic() + TIME_LIMIT
        pids: list[int] = []
        while not pids and time.monotonic() < deadline:
            pids = write_workers(server.process.pid)
            time.sleep(0.02)
        assert len(pids) == 1, "no write worker seen"
        time.sleep(0.2)  # mid-write: the snapshot is being written
        os.kill(pids[0], signal.SIGKILL)
        thread.join(timeout=TIME_LIMIT + 5)
        response = answer[0]
        assert response.status_code == 503, response.text
        assert "the write worker stopped unexpectedly" in response.text and "nothing was changed" in response.text
        assert response.headers["retry-after"].isdigit()
        assert snapshot(server, client) == before
        assert_alive(server, client)
        insert_marker(client, "after-kill")  # the store's lock went with the killed worker


def _billion_laughs() -> str:
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    return (f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [{entities}]>\n'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="urn:ex:">'
            '<rdf:Description rdf:about="urn:test:s"><ex:p>&lol9;</ex:p></rdf:Description></rdf:RDF>')


_ITEMS = " ".join(f"<urn:test:i{i}>" for i in range(4985))
_OBJECTS = ", ".join(f"<urn:test:o{i}>" for i in range(250))
# (name, method, path, request keyword arguments, expected status, needle in the answer)
HOSTILE = [
    ("deep query", "POST", "/sparql", {"data": {"query": "SELECT * WHERE " + "{" * 3000 + "}" * 3000}},
     400, "levels deep"),
    ("deep update", "POST", "/update", {"content": "INSERT DATA { <urn:s> <urn:p> " + "(" * 3000 + ")" * 3000 + " }",
                                        "headers": UPDATE}, 400, "levels deep"),
    ("collection query", "POST", "/sparql", {"data": {"query": f"SELECT * WHERE {{ ?s ?p ( {_ITEMS} ) }}"}},
     400, "has 4985 items"),
    ("collection update", "POST", "/update",
     {"content": f"INSERT DATA {{ <urn:s> <urn:p> ( {_ITEMS} ) }}", "headers": UPDATE}, 400, "has 4985 items"),
    ("250 objects query", "POST", "/sparql", {"data": {"query": f"SELECT * WHERE {{ ?s ?p {_OBJECTS} }}"}},
     503, "time limit"),
    ("250 objects update", "POST", "/update",
     {"content": f"INSERT {{ <urn:s> <urn:p> 1 }} WHERE {{ ?s ?p {_OBJECTS} }}", "headers": UPDATE},
     503, "time limit"),
    ("1 MB query", "POST", "/sparql",
     {"data": {"query": "ASK { ?s ?p ?o } #" + "x" * 1_000_000}}, 413, ""),
    ("0.9 MB query", "POST", "/sparql",
     {"content": "ASK { ?s ?p ?o } #" + "x" * 900_000, "headers": {"Content-Type": "application/sparql-query"}},
     200, "true"),
    ("billion laughs", "PUT", "/store", {"params": {"graph": "urn:test:laughs"}, "content": _billion_laughs(),
                                         "headers": {**GOOD, "Content-Type": "application/rdf+xml"}},
     400, "declares an entity"),
    ("malformed turtle", "PUT", "/store", {"params": {"graph": "urn:test:bad"}, "content": "<urn:s> <urn:p> .\n",
                                           "headers": {**GOOD, "Content-Type": "text/turtle"}}, 400, "line 1"),
    ("load", "POST", "/update", {"content": "LOAD <http://127.0.0.1:9/x.ttl>", "headers": UPDATE}, 400, "LOAD"),
    ("service", "POST", "/update", {"content": "INSERT { ?s ?p ?o } WHERE { SERVICE <http://127.0.0.1:9/> "
                                               "{ ?s ?p ?o } }", "headers": UPDATE}, 400, "SERVICE"),
]


def test_the_server_survives_every_hostile_request(server: LiveServer) -> None:
    """The supervisor check: each request alone, then the same server process must answer /sparql."""
    pid = server.process.pid
    with server.client() as client:
        before = snapshot(server, client)
        for name, method, path, kwargs, status, needle in HOSTILE:
            response = client.request(method, path, **kwargs)
            assert (response.status_code, needle in response.text) == (status, True), (name, response.text[:300])
            if status == 503:
                assert response.headers["retry-after"].isdigit(), name
            assert server.process.pid == pid and server.process.poll() is None, name
            assert_alive(server, client)
        assert snapshot(server, client) == before, "a refused or stopped write changed the store"
        insert_marker(client, "after-hostile")
