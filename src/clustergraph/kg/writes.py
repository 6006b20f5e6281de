"""Writes to a served store, as copy-on-write snapshots: each write copies the current build (an Oxigraph
checkpoint: hard links, cheap), applies the change to the copy, and publishes it with the same atomic swap
as a build. Readers never see a half-applied write, and a failed write leaves the last good store serving.

Writes last until the next ``clustergraph build``, which rebuilds from ``data/`` (the curated source of truth).

The server runs each write in a child process (:mod:`clustergraph.kg.write_worker`, started by
:mod:`clustergraph.kg.write_runner`) through :func:`run_job`, so a write past the time limit can be killed and
one that crashes Oxigraph (a stack overflow in its parser) takes only that child down. A killed write leaves an
unfinished snapshot, never published (no ``.complete``, and ``current`` still names the last good build);
:func:`remove_unfinished` deletes it.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from clustergraph.errors import BadRequest, QueryError, QuerySyntaxError, StoreError
from clustergraph.kg.store import BUILDS, StoreRoot

UPDATE, PUT, POST, DELETE = "update", "put", "post", "delete"


@dataclass(frozen=True)
class WriteJob:
    """One write, as sent to a write worker: its kind (UPDATE, PUT, POST or DELETE), the target graph (None: the
    default graph), and the update text with its base IRI, or the request body with its RDF media type."""

    kind: str
    graph: str | None = None
    sparql: str = ""
    base_iri: str | None = None
    body: bytes = b""
    media_type: str = ""


def run_job(root: StoreRoot, job: WriteJob) -> None:
    """Apply ``job`` to a new snapshot of ``root`` (parsing its body here, in the worker). The update guard has
    already run in the web process.

    :raises QuerySyntaxError, BadRequest, QueryError, StoreError: as :func:`run_update`, :func:`parse_body`
        and :func:`write_snapshot`.
    """
    if job.kind == UPDATE:
        run_update(root, job.sparql, base_iri=job.base_iri)
    elif job.kind in (PUT, POST):
        triples = parse_body(job.body, job.media_type)
        (put_graph if job.kind == PUT else post_graph)(root, job.graph, triples)
    elif job.kind == DELETE:
        delete_graph(root, job.graph)
    else:
        raise ValueError(f"unknown write {job.kind!r}")


def parse_body(body: bytes, media_type: str) -> list[ox.Triple]:
    """The triples of a Graph Store request body in the RDF format of ``media_type``.

    :raises BadRequest: for a body that does not parse (the message names the place).
    """
    try:
        return [quad.triple for quad in ox.parse(body, format=ox.RdfFormat.from_media_type(media_type))]
    except SyntaxError as exc:
        raise BadRequest(f"request body ({media_type}): {exc.msg}") from exc


def remove_unfinished(root: StoreRoot, pid: int, *, since: str) -> list[Path]:
    """Delete what a write worker of process id ``pid``, started at ``since`` (``%Y%m%dT%H%M%S``, as build
    names begin), left behind when it was killed or crashed: its snapshot (a build directory named for that
    process and not older than ``since``, unless it is ``current``) and its swap link. Returns what was
    removed. Call it only once the process is gone."""
    builds = root.path / BUILDS
    current = root.current()
    found = [p for p in builds.glob(f"*-{pid}-*") if p != current and p.name >= since] if builds.is_dir() else []
    for path in found:
        shutil.rmtree(path, ignore_errors=True)
    with contextlib.suppress(FileNotFoundError):
        (root.path / f".current.{pid}").unlink()
    return found


def published_by(root: StoreRoot, pid: int, before: Path | None) -> bool:
    """Whether ``current`` has moved away from ``before`` to a build the process ``pid`` wrote: a worker
    killed right after its atomic swap has published its write."""
    current = root.current()
    return current is not None and current != before and f"-{pid}-" in current.name


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
    from clustergraph.sparql.guard import (
        inspect_update,  # here: a write worker never loads rdflib (0.2 s)
    )

    inspect_update(sparql)
    run_update(root, sparql, base_iri=base_iri)


def run_update(root: StoreRoot, sparql: str, *, base_iri: str | None = None) -> None:
    """:func:`apply_update` without the guard (which the web process has run before handing the update to a
    write worker).

    :raises QuerySyntaxError, BadRequest, QueryError: as :func:`apply_update`.
    """

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
