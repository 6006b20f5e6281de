"""Writes to a served store, as copy-on-write snapshots: each write copies the current build (an Oxigraph
checkpoint: hard links, cheap), applies the change to the copy, and publishes it with the same atomic swap
as a build. Readers never see a half-applied write, and a failed write leaves the last good store serving.

Writes last until the next ``clustergraph build``, which rebuilds from ``data/`` (the curated source of truth).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from clustergraph.errors import BadRequest, QueryError, QuerySyntaxError, StoreError
from clustergraph.kg.store import StoreRoot
from clustergraph.sparql.guard import inspect_update


def write_snapshot(root: StoreRoot, change: Callable[[ox.Store], None]) -> Path:
    """Apply ``change`` to a copy of the current build and publish the copy; returns its directory.

    :raises StoreError: before the first build or when the copy cannot be written.
    """
    with root.lock():
        current = root.current()
        if current is None:
            raise StoreError("no store has been built yet (run `clustergraph build`)")
        target = root.new_build_dir()
        target.rmdir()  # an Oxigraph checkpoint must create its own directory
        try:
            ox.Store.read_only(str(current)).backup(str(target))
            store = ox.Store(str(target))
            change(store)
            store.flush()
            del store
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        (target / ".complete").touch()
        root.publish(target)
        return target


def apply_update(root: StoreRoot, sparql: str, *, base_iri: str | None = None) -> None:
    """Run a SPARQL Update on a new snapshot; relative IRIs resolve against ``base_iri`` (a ``BASE`` in the
    update wins).

    :raises QueryRefused: for LOAD or SERVICE, or an update nested too deep.
    :raises QuerySyntaxError: for a malformed update.
    :raises BadRequest: for an update the store's graphs do not allow (``CREATE GRAPH`` of a graph that exists,
        ``DROP GRAPH`` of one that does not, without ``SILENT``); nothing is changed.
    """
    inspect_update(sparql)

    def change(store: ox.Store) -> None:
        try:
            store.update(sparql, base_iri=base_iri)
        except SyntaxError as exc:
            raise QuerySyntaxError(f"SPARQL Update syntax {exc.msg}") from exc
        except RuntimeError as exc:  # Oxigraph's refusal of the update itself, not a storage failure
            raise BadRequest(f"the update cannot be applied: {exc}") from exc
        except (OSError, ValueError) as exc:
            raise QueryError(f"update failed: {exc}") from exc

    write_snapshot(root, change)


def graph_node(graph: str | None) -> ox.NamedNode | ox.DefaultGraph:
    return ox.DefaultGraph() if graph is None else ox.NamedNode(graph)


def put_graph(root: StoreRoot, graph: str | None, triples: list[ox.Triple]) -> None:
    """Replace the content of ``graph`` (None: the default graph) by ``triples``.

    A named graph exists afterwards even when ``triples`` is empty: the Graph Store Protocol's PUT creates
    the graph it names, and an empty graph is a graph (GET then answers it, empty, rather than 404).
    """
    node = graph_node(graph)

    def change(store: ox.Store) -> None:
        if isinstance(node, ox.DefaultGraph):
            store.clear_graph(node)
        else:
            store.remove_graph(node)
            store.add_graph(node)
        store.extend(ox.Quad(t.subject, t.predicate, t.object, node) for t in triples)

    write_snapshot(root, change)


def post_graph(root: StoreRoot, graph: str | None, triples: list[ox.Triple]) -> None:
    """Add ``triples`` to ``graph`` (None: the default graph)."""
    node = graph_node(graph)
    write_snapshot(root, lambda store: store.extend(ox.Quad(t.subject, t.predicate, t.object, node) for t in triples))


def delete_graph(root: StoreRoot, graph: str | None) -> None:
    """Remove ``graph`` (None: empty the default graph)."""
    node = graph_node(graph)

    def change(store: ox.Store) -> None:
        store.clear_graph(node) if isinstance(node, ox.DefaultGraph) else store.remove_graph(node)

    write_snapshot(root, change)
