"""``clustergraph build --store-url URL``: build the project locally, then publish it to a SPARQL 1.1 server.

The build runs exactly as a local one (:func:`clustergraph.kg.build.build`: parse, validate, load) into a private
staging store, so nothing is sent when a file does not parse or the data violates a shape. Then every named
graph of the staged store replaces the server's graph of the same name through the Graph Store Protocol
(``PUT ?graph=IRI``, N-Triples streamed in batches), and the server's project graphs (under
:data:`PROJECT_GRAPHS`) that the build no longer has are deleted. Graphs outside the project are left alone.

**Not atomic across graphs.** Each ``PUT`` replaces one graph; a reader querying the server during the push
may see some graphs new and others old, and a push that fails halfway leaves the server mixed (run the build
again to finish it). The embedded store's build, by contrast, swaps the whole store at once.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from clustergraph.errors import StoreError
from clustergraph.iris import GRAPH
from clustergraph.kg.build import BuildReport, Progress, build
from clustergraph.kg.layout import Layout
from clustergraph.kg.store import StoreRoot
from clustergraph.remote.store import ReadStore, RemoteStore

PROJECT_GRAPHS = GRAPH


@dataclass
class PushReport:
    """What a push sent to the server."""

    replaced: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    triples: int = 0
    seconds: float = 0.0


@dataclass
class RemoteBuildReport:
    """The local build's report and what was pushed."""

    build: BuildReport
    push: PushReport


def build_remote(layout: Layout, remote: RemoteStore, *, progress: Progress = lambda _: None) -> RemoteBuildReport:
    """Build ``layout`` into a staging store, then replace the server's project graphs with its graphs.

    :raises DataSyntaxError: for a file that does not parse (nothing is sent).
    :raises ValidationFailed: when the data violates a shape (nothing is sent).
    :raises StoreError: when the server cannot be reached (checked before building) or refuses a graph.
    """
    if not remote.store_url:
        raise StoreError(f"{remote.query_url}: loading needs the server's Graph Store Protocol URL "
                         "(--graph-store-url); only an Oxigraph-style URL gives it by convention")
    remote.ping()
    with tempfile.TemporaryDirectory(prefix="clustergraph-staging-") as tmp:
        root = StoreRoot(Path(tmp))
        report = build(layout, root, progress=progress)
        staged = root.open_current()
        pushed = push_store(staged, remote, progress=progress)
        del staged
    return RemoteBuildReport(report, pushed)


def push_store(staged: ReadStore, remote: RemoteStore, *, progress: Progress = lambda _: None) -> PushReport:
    """Replace each named graph of ``remote`` that ``staged`` has, then delete the server's other project
    graphs (under :data:`PROJECT_GRAPHS`).

    :raises StoreError: when the server refuses a graph, or ``staged`` has default-graph triples (the
        project keeps every triple in a named graph, its source document's).
    """
    start = time.perf_counter()
    graphs = staged.named_graphs()
    if staged.quad_count() != sum(_count(staged, g) for g in graphs):
        raise StoreError("the staged store has triples in its default graph; the project keeps every triple in "
                         "a named graph, so nothing was sent")
    existing = remote.named_graphs()
    report = PushReport()
    for index, graph in enumerate(graphs, 1):
        progress(f"replacing graph {index}/{len(graphs)} on {remote.store_url}: {graph}")
        counter = _Counter(staged.graph_triples(graph))
        remote.put_graph(graph, counter)
        report.replaced.append(graph)
        report.triples += counter.n
    for graph in sorted(set(existing) - set(graphs)):
        if graph.startswith(PROJECT_GRAPHS):
            progress(f"deleting graph the build no longer has: {graph}")
            remote.delete_graph(graph)
            report.deleted.append(graph)
    report.seconds = time.perf_counter() - start
    return report


def _count(store: ReadStore, graph: str) -> int:
    rows = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {ox.NamedNode(graph)} {{ ?s ?p ?o }} }}",
                       union=False)
    return int(next(iter(rows))["n"].value)


class _Counter:
    """Pass triples through, counting them."""

    def __init__(self, triples) -> None:
        self.triples = iter(triples)
        self.n = 0

    def __iter__(self):
        return self

    def __next__(self) -> ox.Triple:
        triple = next(self.triples)
        self.n += 1
        return triple
