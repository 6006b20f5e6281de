"""What pages, VoID, the service description and the dumps read is computed once per build by a child process
and kept as files beside the build (clustergraph.web.build_files); a real server on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from live import start_server

from clustergraph.kg.store import StoreRoot
from clustergraph.web.build_files import FORMAT

WRITE_TOKEN = "build-files-token"
VOID_TRIPLES = "http://rdfs.org/ns/void#triples"
DATASET = "https://w3id.org/clustergraph/id/dataset"


@pytest.fixture
def store_copy(tmp_path: Path, project_store_root: StoreRoot) -> Path:
    """A private copy of the built store, without the products other tests' servers computed."""
    copy = tmp_path / "store"
    shutil.copytree(project_store_root.path, copy, symlinks=True, ignore=shutil.ignore_patterns("build-files"))
    return copy


def build_name(store: Path) -> str:
    return Path(os.readlink(store / "current")).name


def void_triples(text: str) -> int:
    graph = ox.parse(text.encode(), format=ox.RdfFormat.TURTLE, base_iri="http://127.0.0.1/")
    return next(int(t.object.value) for t in graph
                if t.subject == ox.NamedNode(DATASET) and t.predicate == ox.NamedNode(VOID_TRIPLES))


def wait_until_computed(client) -> None:
    """Until the start-up batch is done (a request may have started its own child for a product meanwhile)."""
    for _ in range(300):
        if client.get("/api/status").json()["build_files_pending"] == 0:
            return
        time.sleep(0.1)
    raise AssertionError("the per-build files were not computed")


def test_products_are_files_of_the_build_computed_once(store_copy: Path) -> None:
    with start_server(store_copy, time_limit="30") as server, server.client() as client:
        void = client.get("/.well-known/void")
        assert void.status_code == 200, void.text[:300]
        folder = store_copy / "build-files" / f"format-{FORMAT}" / build_name(store_copy)
        wait_until_computed(client)
        written = (folder / "void").stat().st_mtime_ns
        assert client.get("/browse/organisations?q=afil").status_code == 200
        assert (folder / "browse-index-organisations").is_file() and (folder / "labels").is_file()
        again = client.get("/.well-known/void")
        assert again.text == void.text and (folder / "void").stat().st_mtime_ns == written

        quads = client.get("/store", headers={"Accept": "application/n-quads"})
        assert quads.status_code == 200 and quads.headers["content-type"].startswith("application/n-quads")
        assert quads.content == (folder / "clustergraph.nq").read_bytes()
        parsed = list(ox.parse(quads.content, format=ox.RdfFormat.N_QUADS))
        assert len(parsed) == len(ox.Store.read_only(str(store_copy / "current")))
        dump = client.get("/dumps/clustergraph.ttl")
        assert dump.status_code == 200 and dump.content == (folder / "clustergraph.ttl").read_bytes()
        assert void_triples(void.text) == len(set(ox.parse(dump.content, format=ox.RdfFormat.TURTLE)))


def test_a_write_gets_fresh_products_and_the_old_ones_go(store_copy: Path) -> None:
    with start_server(store_copy, write_token=WRITE_TOKEN, time_limit="30") as server, server.client() as client:
        before = void_triples(client.get("/.well-known/void").text)
        assert client.get("/browse/organisations").status_code == 200  # the start-up batch's last product
        old = build_name(store_copy)
        assert (store_copy / "build-files" / f"format-{FORMAT}" / old / "void").is_file()
        update = client.post("/update", content='INSERT DATA { GRAPH <urn:x:g> { <urn:x:s> <urn:x:p> "new" } }',
                             headers={"Content-Type": "application/sparql-update",
                                      "Authorization": f"Bearer {WRITE_TOKEN}"})
        assert update.status_code == 204, update.text
        assert build_name(store_copy) != old
        assert void_triples(client.get("/.well-known/void").text) == before + 1
        assert not (store_copy / "build-files" / f"format-{FORMAT}" / old).exists()
        sizes = client.get("/sparql", headers={"Accept": "application/n-triples"}).text
        assert "<urn:x:g>" in sizes


def test_a_computation_past_its_time_limit_is_stopped(store_copy: Path) -> None:
    """A child that runs past build_file_time_limit is killed: 503 with Retry-After, no file (whole or half) left,
    and the server goes on answering queries."""
    with start_server(store_copy, build_file_time_limit="0.05", time_limit="20") as server, \
            server.client() as client:
        response = client.get("/dumps/clustergraph.nq")
        assert response.status_code == 503 and response.headers.get("retry-after")
        assert "could not be computed within 0.05 s" in response.text
        folder = store_copy / "build-files" / f"format-{FORMAT}" / build_name(store_copy)
        assert not list(folder.glob("clustergraph.nq*")) and not list(folder.glob(".clustergraph.nq*"))
        ask = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"},
                         headers={"Accept": "application/sparql-results+json"})
        assert ask.status_code == 200 and ask.json()["boolean"] is True
        assert server.process.poll() is None


def test_files_of_another_format_are_never_read_and_are_removed(store_copy: Path) -> None:
    """Products written by an older server (the same build, another file format: e.g. before a class gained
    slots) are neither read nor kept: the folder of the current format is used, the others are dropped."""
    stale = store_copy / "build-files" / build_name(store_copy)
    stale.mkdir(parents=True)
    (stale / "labels").write_bytes(b"not a pickle of this format")
    with start_server(store_copy, write_token=WRITE_TOKEN) as server, server.client() as client:
        assert client.get("/").status_code == 200
        assert client.get("/browse/clusters").status_code == 200
        assert (store_copy / "build-files" / f"format-{FORMAT}" / build_name(store_copy) / "labels").is_file()
    assert not stale.exists()
