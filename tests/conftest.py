"""Shared fixtures: the real project built once per session, and small fixture projects."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from clustergraph.build import build
from clustergraph.layout import Layout
from clustergraph.queries import load_named_queries
from clustergraph.store import EmbeddedStore, StoreRoot
from live import WRITE_TOKEN, LiveServer, start_server

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


@pytest.fixture(scope="session")
def live_server(project_store_root: StoreRoot) -> Iterator[LiveServer]:
    """A real ``clustergraph serve`` (uvicorn) on 127.0.0.1 and a free port, over the built store."""
    with start_server(project_store_root.path, time_limit="5") as server:
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
    (root / "data" / "reference").symlink_to(ROOT / "data" / "reference")
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
