"""Rendered pages are answered from the page cache while the build stays the same, and never after it moves."""

from __future__ import annotations

import shutil

import pytest
from live import WRITE_TOKEN, start_server

AFIL = "https://w3id.org/clustergraph/id/afil"


@pytest.fixture(scope="module")
def server(tmp_path_factory, project_store_root):
    copy = tmp_path_factory.mktemp("page-cache") / "store"
    shutil.copytree(project_store_root.path, copy, symlinks=True)
    with start_server(copy, write_token=WRITE_TOKEN) as live:
        yield live


def cache_counts(client) -> tuple[int, int]:
    status = client.get("/api/status").json()
    return status["page_cache_hits"], status["page_cache_misses"]


def test_a_page_asked_twice_is_rendered_once_and_answered_alike(server) -> None:
    with server.client() as client:
        first = client.get("/id/afil", headers={"Accept": "text/html"})
        hits, misses = cache_counts(client)
        again = client.get("/id/afil", headers={"Accept": "text/html"})
        assert cache_counts(client) == (hits + 1, misses)
        turtle = client.get("/id/afil", headers={"Accept": "text/turtle"})
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and again.headers["content-type"] == first.headers["content-type"]
    assert turtle.headers["content-type"].startswith("text/turtle"), "the Accept header is part of the key"


def test_errors_are_not_cached(server) -> None:
    with server.client() as client:
        client.get("/id/no-such-thing-here")
        hits, _ = cache_counts(client)
        assert client.get("/id/no-such-thing-here").status_code == 404
        assert cache_counts(client)[0] == hits


def test_a_write_moves_the_build_and_the_page_shows_it(server) -> None:
    label = "Cache-busting label"
    with server.client() as client:
        before = client.get("/id/afil", headers={"Accept": "text/html"})
        assert label not in before.text
        update = f'INSERT DATA {{ GRAPH <urn:test:cache> {{ <{AFIL}> <http://www.w3.org/2000/01/rdf-schema#comment> "{label}" }} }}'
        written = client.post("/update", content=update, headers={
            "Content-Type": "application/sparql-update", "Authorization": f"Bearer {WRITE_TOKEN}"})
        assert written.status_code in (200, 204), written.text
        after = client.get("/id/afil", headers={"Accept": "text/html"})
    assert label in after.text


@pytest.mark.parametrize("path", ["/id/afil", "/static/style.css"])
def test_repeated_answers_keep_their_headers(server, path: str) -> None:
    """A cached page is re-sent from a stored response start; the CORS middleware (``Vary: Origin``) and the
    static files' GZip middleware (``Vary: Accept-Encoding``) must not append to the stored headers each time."""
    with server.client() as client:
        answers = [client.get(path, headers={"Accept": "text/html", "Origin": "http://127.0.0.1:9"})
                   for _ in range(100)]
    assert {a.status_code for a in answers} == {200}
    assert {a.headers["vary"] for a in answers} == {answers[0].headers["vary"]}
    assert {len(a.headers.raw) for a in answers} == {len(answers[0].headers.raw)}
    assert answers[0].headers["vary"].count("Origin") == 1
