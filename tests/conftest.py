"""Shared fixtures: the real project built once per session, and small fixture projects.

The read-side suites run against both backends: ``live_server`` is parametrized ``embedded`` (the app over
the local store) and ``remote`` (the app with ``--store-url`` over one real ``oxigraph serve`` per session,
loaded with the same build). Tests that are inherently embedded-only are listed in :data:`EMBEDDED_ONLY`
with the reason. The modules of :data:`ON_VIRTUOSO` run a third time, ``virtuoso``: the app over a throw-away
Virtuoso (tests/virtuoso.py) loaded with the same build.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from live import WRITE_TOKEN, LiveServer, start_oxigraph, start_server
from virtuoso import Virtuoso, require_virtuoso, start_virtuoso

from clustergraph.kg.build import build
from clustergraph.kg.layout import Layout
from clustergraph.kg.store import EmbeddedStore, StoreRoot
from clustergraph.querying.named import load_named_queries
from clustergraph.remote.build import push_store
from clustergraph.remote.store import RemoteStore

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def project_store_root(tmp_path_factory: pytest.TempPathFactory) -> StoreRoot:
    """The real ontology and curated data, built once into a private store root."""
    root = StoreRoot(tmp_path_factory.mktemp("store"))
    build(Layout(ROOT), root)
    return root


@pytest.fixture(scope="session")
def project_store(project_store_root: StoreRoot) -> EmbeddedStore:
    """The built store, opened read-only."""
    return project_store_root.open_current()


BACKENDS = ("embedded", "remote")
# module name -> why its tests run on the embedded backend only
EMBEDDED_ONLY = {
    "test_time_limit": "it watches the worker processes' CPU and their SIGKILL; the remote runner has no workers "
                       "(its time limit is tested in test_remote_backend.py)",
    "test_accessibility": "it checks the pages' markup, which does not depend on the store behind them",
}
# modules whose live_server tests also run on Virtuoso: a representative subset (linked-data pages and the
# named-query API over HTTP), as a third run of every read-side suite would add minutes for little more cover.
# Every named query's rows and every network view are compared with the embedded store's in test_virtuoso.py.
ON_VIRTUOSO = ("test_linked_data", "test_named_api", "test_topic_cards")
BROWSER_ONLY_EMBEDDED = ("drives Chromium over pages whose HTML both backends serve alike (checked over HTTP on "
                         "both); one browser run keeps the slowest suite's time")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that uses ``live_server`` once per backend, except the embedded-only ones."""
    if "live_server" not in metafunc.fixturenames:
        return
    module = metafunc.module.__name__.rpartition(".")[2]
    embedded_only = module in EMBEDDED_ONLY or "browser_page" in metafunc.fixturenames
    backends = ("embedded",) if embedded_only else BACKENDS
    if module in ON_VIRTUOSO:
        backends = (*backends, "virtuoso")
    metafunc.parametrize("live_server", backends, indirect=True, scope="session")


@pytest.fixture(scope="session")
def oxigraph_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One real ``oxigraph serve --union-default-graph`` for the session (base URL), empty."""
    with start_oxigraph(tmp_path_factory.mktemp("oxigraph")) as base:
        yield base


@pytest.fixture(scope="session")
def remote_store(oxigraph_url: str, project_store: EmbeddedStore) -> RemoteStore:
    """The session's Oxigraph server holding the built project (pushed graph by graph, as a remote build does)."""
    remote = RemoteStore.from_urls(oxigraph_url)
    push_store(project_store, remote)
    return remote


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    """One throw-away Virtuoso for the session, empty (skips, or fails under CLUSTERGRAPH_REQUIRE_VIRTUOSO=1,
    when Virtuoso is not installed)."""
    require_virtuoso()
    with start_virtuoso(tmp_path_factory.mktemp("virtuoso")) as server:
        yield server


@pytest.fixture(scope="session")
def virtuoso_store(virtuoso: Virtuoso, project_store: EmbeddedStore) -> RemoteStore:
    """The session's Virtuoso holding the built project (pushed graph by graph, as a remote build does)."""
    remote = RemoteStore.from_urls(virtuoso.query_url, graph_store_url=virtuoso.graph_store_url,
                                   update_url=virtuoso.update_url)
    push_store(project_store, remote)
    return remote


@pytest.fixture(scope="session")
def live_server(request: pytest.FixtureRequest, project_store_root: StoreRoot) -> Iterator[LiveServer]:
    """A real ``clustergraph serve`` (uvicorn) on 127.0.0.1 and a free port, over the built store
    (``embedded``), or over the session's Oxigraph server (``remote``) or Virtuoso (``virtuoso``) holding the
    same build."""
    backend = getattr(request, "param", "embedded")
    settings = {"time_limit": "5"}
    if backend == "remote":
        settings["store_url"] = request.getfixturevalue("remote_store").query_url
    elif backend == "virtuoso":
        remote = request.getfixturevalue("virtuoso_store")
        settings.update(store_url=remote.query_url, graph_store_url=remote.store_url or "",
                        update_url=remote.update_url or "")
    with start_server(project_store_root.path, **settings) as server:
        server.backend = backend
        yield server


@pytest.fixture(scope="session")
def writable_server(tmp_path_factory: pytest.TempPathFactory, project_store_root: StoreRoot) -> Iterator[LiveServer]:
    """A server with a write token, over its own copy of the built store (writes never touch the shared one)."""
    copy = tmp_path_factory.mktemp("writable") / "store"
    shutil.copytree(project_store_root.path, copy, symlinks=True)
    with start_server(copy, write_token=WRITE_TOKEN) as server:
        yield server


@pytest.fixture(scope="session")
def named(project_store: EmbeddedStore):
    """Run a named query on the real store; returns a list of {variable: text} rows."""
    queries = load_named_queries(ROOT / "queries")

    def run(name: str, **params: str) -> list[dict[str, str]]:
        solutions = project_store.query(queries[name].bind(params))
        names = [v.value for v in solutions.variables]
        return [{n: (s[n].value if s[n] is not None else "") for n in names} for s in solutions]

    return run


def make_project(base: Path, *extra: Path) -> Path:
    """A project root that reuses the real ontology, shapes, queries and reference data, plus a fixture
    source folder holding the valid minimal file and ``extra`` files."""
    root = base / "project"
    (root / "data" / "fixture").mkdir(parents=True)
    for name in ("ontology", "shapes", "queries"):
        (root / name).symlink_to(ROOT / name)
    for name in ("reference", "authorities"):
        (root / "data" / name).symlink_to(ROOT / "data" / name)
    for path in (FIXTURES / "valid" / "minimal.ttl", *extra):
        (root / "data" / "fixture" / path.name).write_bytes(path.read_bytes())
    return root


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Call the installed console script as a user would."""
    exe = Path(sys.executable).with_name("clustergraph")
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [str(exe), *args], cwd=cwd or ROOT, capture_output=True, text=True, timeout=timeout, env=env
    )
