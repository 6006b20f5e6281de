"""The embedded Oxigraph store and the folder of builds it is published from.

A store root holds ``builds/<id>/`` (complete Oxigraph directories) and a ``current`` symbolic link to
the one being served. A build writes a fresh directory and only then swaps ``current`` with an atomic
rename, so readers always see either the previous or the new store, never a half-written one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox

from clustergraph.errors import QueryError, QuerySyntaxError, StoreError

_POSITION = re.compile(r"error at (\d+):(\d+):\s*")
CURRENT = "current"
BUILDS = "builds"
KEEP_PREVIOUS = 1


class EmbeddedStore:
    """A read-mostly wrapper around a pyoxigraph Store; the default graph is the union of all graphs."""

    def __init__(self, store: ox.Store, *, location: Path | None = None) -> None:
        self._store = store
        self.location = location

    @classmethod
    def open_read_only(cls, path: Path) -> EmbeddedStore:
        """:raises StoreError: when ``path`` is not an Oxigraph store."""
        try:
            return cls(ox.Store.read_only(str(path)), location=path)
        except OSError as exc:
            raise StoreError(f"{path}: cannot open the store ({exc})") from exc

    def query(
        self,
        sparql: str,
        *,
        default_graph: list[str] | None = None,
        named_graphs: list[str] | None = None,
        union: bool = True,
        base_iri: str | None = None,
    ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        """Run a SPARQL query; the default graph is the union of all graphs unless one is given or
        ``union`` is False (a query with its own FROM clauses must pass False, or Oxigraph ignores them).
        Relative IRIs resolve against ``base_iri`` (a ``BASE`` in the query wins); without one they are an error.

        :raises QueryError: for a syntax error or an evaluation failure.
        """
        kwargs: dict[str, object] = {"use_default_graph_as_union": union and default_graph is None,
                                     "base_iri": base_iri}
        if default_graph is not None:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graph]
        if named_graphs is not None:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        try:
            return self._store.query(sparql, **kwargs)
        except SyntaxError as exc:
            raise syntax_error(exc.msg) from exc
        except (OSError, ValueError, RuntimeError) as exc:
            raise QueryError(f"query failed: {exc}") from exc

    def quads(self) -> Iterator[ox.Quad]:
        """Every quad of the store."""
        return self._store.quads_for_pattern(None, None, None, None)

    def has_graph(self, graph: str) -> bool:
        return self._store.contains_named_graph(ox.NamedNode(graph))

    def graph_triples(self, graph: str | None) -> Iterator[ox.Triple]:
        """The triples of ``graph``; for None, the distinct triples of the union of all graphs."""
        if graph is None:
            return iter(self._store.query("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"))
        return (q.triple for q in self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))

    def quad_count(self) -> int:
        return len(self._store)

    def named_graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def dump(self, path: Path, fmt: ox.RdfFormat) -> None:
        """Write every quad (graph formats: the union of all graphs) to ``path``."""
        if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
            self._store.dump(str(path), fmt)
            return
        triples = self._store.query("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")
        ox.serialize(triples, str(path), fmt)


def syntax_error(message: str) -> QuerySyntaxError:
    """Oxigraph's syntax message with its ``error at L:C`` read out as a line and a column.

    >>> str(syntax_error("error at 2:18: expected one of '}'"))
    "SPARQL syntax error at line 2, column 18: expected one of '}'"
    """
    found = _POSITION.match(message)
    if found is None:
        return QuerySyntaxError(f"SPARQL syntax {message}")
    line, column = int(found[1]), int(found[2])
    return QuerySyntaxError(f"SPARQL syntax error at line {line}, column {column}: {message[found.end():]}",
                            line=line, column=column)


class StoreRoot:
    """The folder of builds plus the ``current`` pointer that readers follow."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def current_link(self) -> Path:
        return self.path / CURRENT

    def current(self) -> Path | None:
        """The published build directory, or None before the first successful build."""
        link = self.current_link
        return link.resolve() if link.is_symlink() and link.resolve().is_dir() else None

    def open_current(self) -> EmbeddedStore:
        """:raises StoreError: when nothing has been built yet."""
        current = self.current()
        if current is None:
            raise StoreError(f"{self.path}: no store has been built yet (run `clustergraph build`)")
        return EmbeddedStore.open_read_only(current)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Serialise builds: one writer at a time per store root."""
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.path / "build.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def new_build_dir(self) -> Path:
        builds = self.path / BUILDS
        builds.mkdir(parents=True, exist_ok=True)
        path = builds / f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6:06d}"
        path.mkdir()
        return path

    def publish(self, build_dir: Path) -> None:
        """Point ``current`` at ``build_dir`` atomically, then drop builds no reader needs."""
        tmp = self.path / f".{CURRENT}.{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        tmp.symlink_to(Path(BUILDS) / build_dir.name)
        os.replace(tmp, self.current_link)
        _fsync_dir(self.path)
        self.prune()

    def prune(self) -> None:
        """Remove abandoned and old builds, keeping the current one and the one before it."""
        builds = self.path / BUILDS
        if not builds.is_dir():
            return
        current = self.current()
        others = sorted((p for p in builds.iterdir() if p != current), key=lambda p: p.name, reverse=True)
        complete = [p for p in others if (p / ".complete").exists()]
        keep = set(complete[:KEEP_PREVIOUS])
        for path in others:
            if path not in keep:
                shutil.rmtree(path, ignore_errors=True)


class LiveStore:
    """A read-only view of a store root's current build that reopens itself after each publish."""

    def __init__(self, root: StoreRoot) -> None:
        self.root = root
        self._path: Path | None = None
        self._target: str | None = None
        self._store: EmbeddedStore | None = None

    def get(self) -> EmbeddedStore:
        """The store ``current`` points at now (one ``readlink`` when it has not moved: pages call this many
        times per request).

        :raises StoreError: before the first successful build.
        """
        try:
            target = os.readlink(self.root.current_link)
        except OSError:
            target = None
        if target is not None and target == self._target and self._store is not None:
            return self._store
        current = self.root.current()
        if current is None:
            raise StoreError("no store has been built yet (run `clustergraph build`)")
        if current != self._path or self._store is None:
            self._store = EmbeddedStore.open_read_only(current)
            self._path = current
        self._target = target
        return self._store


def write_store(build_dir: Path, quads: list[ox.Quad]) -> int:
    """Bulk-load ``quads`` into a new Oxigraph store at ``build_dir``; returns the stored quad count.

    :raises StoreError: when Oxigraph cannot write the directory.
    """
    try:
        store = ox.Store(str(build_dir))
        store.bulk_extend(quads)
        store.flush()
        count = len(store)
        del store
    except OSError as exc:
        raise StoreError(f"{build_dir}: cannot write the store ({exc})") from exc
    (build_dir / ".complete").touch()
    return count


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
