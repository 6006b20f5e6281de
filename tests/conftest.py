"""Shared fixtures: the real project built once per session, and small fixture projects."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from clustergraph.build import build
from clustergraph.layout import Layout
from clustergraph.queries import load_named_queries
from clustergraph.store import EmbeddedStore, StoreRoot

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def project_store(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    """The real ontology and curated data, built into a private store."""
    root = StoreRoot(tmp_path_factory.mktemp("store"))
    build(Layout(ROOT), root)
    return root.open_current()


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
