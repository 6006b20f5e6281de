"""Builds publish atomically: a failed, refused or killed build leaves the previous store serving."""

from __future__ import annotations

import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from conftest import FIXTURES, ROOT, make_project, run_cli
from live import start_server

from clustergraph.errors import DataSyntaxError, ValidationFailed
from clustergraph.kg.build import build
from clustergraph.kg.layout import Layout
from clustergraph.kg.store import StoreRoot

ASK_AFIL_143 = """ASK { ?o <https://w3id.org/clustergraph/ontology#organisation> <https://w3id.org/clustergraph/id/afil> ;
                        <https://w3id.org/clustergraph/ontology#memberCount> ?n FILTER (?n = 143) }"""


def _answers(root: StoreRoot) -> bool:
    return bool(root.open_current().query(ASK_AFIL_143))


def test_build_loads_every_graph(tmp_path):
    root = StoreRoot(tmp_path / "store")
    report = build(Layout(make_project(tmp_path)), root)
    store = root.open_current()
    assert report.quads == store.quad_count() > 1000
    assert "https://w3id.org/clustergraph/graph/fixture" in store.named_graphs()
    assert "https://w3id.org/clustergraph/graph/ontology" in store.named_graphs()
    assert _answers(root)


@pytest.mark.parametrize("defect", ["broken-syntax.ttl", "missing-role.ttl"])
def test_refused_build_keeps_previous_store(tmp_path, defect):
    root = StoreRoot(tmp_path / "store")
    build(Layout(make_project(tmp_path / "good")), root)
    before = root.current()
    with pytest.raises((DataSyntaxError, ValidationFailed)):
        build(Layout(make_project(tmp_path / "bad", FIXTURES / "invalid" / defect)), root)
    assert root.current() == before
    assert _answers(root)
    assert sorted(p.name for p in (root.path / "builds").iterdir()) == [before.name]


def test_refused_build_from_cli_exits_1_and_keeps_store(tmp_path):
    store = tmp_path / "store"
    assert run_cli("build", "--root", str(make_project(tmp_path / "good")), "--store", str(store)).returncode == 0
    before = StoreRoot(store).current()
    bad = make_project(tmp_path / "bad", FIXTURES / "invalid" / "dangling-iri.ttl")
    result = run_cli("build", "--root", str(bad), "--store", str(store))
    assert result.returncode == 1
    assert "nothing was loaded" in result.stderr
    assert StoreRoot(store).current() == before


def _served(client: httpx.Client) -> tuple[int, bool]:
    """What the live server answers now: its quad count and the answer to :data:`ASK_AFIL_143`."""
    accept = {"Accept": "application/sparql-results+json"}
    count = client.get("/sparql", headers=accept,
                       params={"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"})
    ask = client.get("/sparql", headers=accept, params={"query": ASK_AFIL_143})
    assert count.status_code == ask.status_code == 200, (count.text, ask.text)
    return int(count.json()["results"]["bindings"][0]["n"]["value"]), ask.json()["boolean"]


@pytest.mark.parametrize("defect, where", [
    ("conflicting-duplicate.ttl", r"data/fixture/conflicting-duplicate\.ttl:{line}\b"),
    ("broken-syntax.ttl", r"data/fixture/broken-syntax\.ttl:{line}:\d+: syntax error"),
])
def test_refused_build_leaves_a_running_server_answering_the_same_data(tmp_path, defect, where):
    fixture = FIXTURES / "invalid" / defect
    line = re.search(r"^# expect-(?:syntax-)?line: (\d+)$", fixture.read_text(), re.MULTILINE)[1]
    store = tmp_path / "store"
    assert run_cli("build", "--root", str(make_project(tmp_path / "good")), "--store", str(store)).returncode == 0
    with start_server(store, workers="1") as server, server.client() as client:
        before = _served(client)
        assert before[0] > 1000 and before[1] is True
        result = run_cli("build", "--root", str(make_project(tmp_path / "bad", fixture)), "--store", str(store))
        assert result.returncode == 1, result.stdout + result.stderr
        assert re.search(where.format(line=line), result.stderr), result.stderr
        assert _served(client) == before, "a refused build must not change what the server answers"

        more = tmp_path / "more.ttl"  # the server does follow a published build: the check above can fail
        more.write_text("<https://w3id.org/clustergraph/id/afil> "
                        "<http://www.w3.org/2004/02/skos/core#altLabel> \"AFIL, again\" .\n")
        grown = make_project(tmp_path / "grown", more)
        assert run_cli("build", "--root", str(grown), "--store", str(store)).returncode == 0
        assert _served(client) == (before[0] + 2, True)  # the new name and its search key


def test_crash_while_loading_removes_the_half_written_build(tmp_path, monkeypatch):
    root = StoreRoot(tmp_path / "store")
    build(Layout(make_project(tmp_path / "good")), root)
    before = root.current()

    def explode(store, sources) -> None:
        store.bulk_load(path=str(sources[0].path), format=sources[0].format)  # half the files are in
        raise OSError("disk full")

    monkeypatch.setattr("clustergraph.kg.build.load_sources", explode)
    with pytest.raises(OSError):
        build(Layout(make_project(tmp_path / "again")), root)
    assert root.current() == before
    assert [p.name for p in (root.path / "builds").iterdir()] == [before.name]
    assert _answers(root)


def test_sigkill_during_builds_never_breaks_the_served_store(tmp_path):
    store = tmp_path / "store"
    root = StoreRoot(store)
    build(Layout(ROOT), root)
    rng = random.Random(7)
    exe = str(Path(sys.executable).with_name("clustergraph"))
    for _ in range(6):
        proc = subprocess.Popen([exe, "build", "--store", str(store)], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.5, 4.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        current = root.current()
        assert current is not None and (current / ".complete").exists()
        assert _answers(root), "the served store must stay the previous good one"
    assert run_cli("build", "--store", str(store)).returncode == 0
    assert _answers(root)
    leftovers = [p for p in (store / "builds").iterdir() if not (p / ".complete").exists()]
    assert leftovers == [], "the next successful build removes half-written builds"


def test_store_is_opened_read_only(tmp_path):
    root = StoreRoot(tmp_path / "store")
    build(Layout(make_project(tmp_path)), root)
    with pytest.raises((OSError, RuntimeError), match="read-write|read only|read-only"):
        root.open_current()._store.update("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    assert isinstance(root.open_current().query("SELECT * WHERE { ?s ?p ?o } LIMIT 1"), ox.QuerySolutions)


def test_the_published_store_is_compacted_and_a_check_is_not(tmp_path):
    """Each bulk load leaves tables of its own that every read of the read-only served store must merge: the
    build compacts the store before publishing it (fewer tables, same quads); ``check`` throws its store away and
    does not spend the time."""
    from clustergraph.kg.build import _stage

    project = Layout(make_project(tmp_path / "project"))
    seconds: dict[str, float] = {}
    _, loose, _ = _stage(project, tmp_path / "loose", "sparql", lambda _: None, seconds, compact=False)
    loose_count = len(loose)
    del loose
    assert "compact" not in seconds
    root = StoreRoot(tmp_path / "store")
    report = build(project, root)
    assert report.seconds["compact"] > 0 and "compact_wait" in report.seconds
    tables = lambda directory: len(list(directory.glob("*.sst")))
    assert tables(root.current()) < tables(tmp_path / "loose")
    assert report.quads == loose_count
    assert _answers(root)


def test_a_failed_compaction_refuses_the_build_and_keeps_the_previous_store(tmp_path, monkeypatch):
    from clustergraph.errors import StoreError
    from clustergraph.kg.build import Compaction

    root = StoreRoot(tmp_path / "store")
    build(Layout(make_project(tmp_path / "good")), root)
    before = root.current()

    def fail(self) -> None:
        self._error = OSError("No space left on device")

    monkeypatch.setattr(Compaction, "_run", fail)
    with pytest.raises(StoreError, match="cannot compact the new store.*No space left"):
        build(Layout(make_project(tmp_path / "again")), root)
    assert root.current() == before
    assert [p.name for p in (root.path / "builds").iterdir()] == [before.name]
    assert _answers(root)


def test_a_refused_build_reports_its_violations_even_when_the_compaction_fails_too(tmp_path, monkeypatch):
    from clustergraph.kg.build import Compaction

    def fail(self) -> None:
        self._error = OSError("No space left on device")

    monkeypatch.setattr(Compaction, "_run", fail)
    root = StoreRoot(tmp_path / "store")
    with pytest.raises(ValidationFailed):
        build(Layout(make_project(tmp_path / "bad", FIXTURES / "invalid" / "missing-role.ttl")), root)
    assert root.current() is None
    assert not (root.path / "builds").exists() or list((root.path / "builds").iterdir()) == []
