"""The child side of the query pool: a process that runs queries over the store, read-only, on one thread or on
several threads sharing one store handle.

Each thread is a *seat* with a connection of its own to the parent. It first says ``("ready", tid)`` (its native
thread id, so that the parent can read the seat's CPU time), then receives :class:`QueryJob`s and answers each
with one message ``("whole", kind, truncated, bytes)`` when the serialised answer is shorter than CHUNK_BYTES
(most are), else with ``("meta", kind, truncated)``, then ``("chunk", bytes)`` pieces, then ``("end",)``; or with
``("error", kind, message)`` at any point. A seat that the parent does not read from waits (its socket is
full) without holding up the others. The parent kills the process when a time limit passes, which is the only
way to stop a blocking Oxigraph operator (GROUP BY, ORDER BY) and give its CPU back; the other seats of a
killed process lose their queries too, and the parent runs those again.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, BinaryIO

import pyoxigraph as ox

from clustergraph.errors import ClusterGraphError, NotAcceptable
from clustergraph.kg.store import LiveStore, StoreRoot
from clustergraph.limits import limit_memory
from clustergraph.querying.media_types import GRAPHS, RESULTS
from clustergraph.querying.results import RESULT_FORMATS
from clustergraph.querying.writers import write_rows
from clustergraph.sparql.guard import inspect_query

CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class QueryJob:
    """One query to run: its text, dataset, the media types chosen per answer kind, and the row cap."""

    sparql: str
    results_media_type: str = "application/sparql-results+json"
    graph_media_type: str = "text/turtle"
    default_graph: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    union_default_graph: bool = True
    row_cap: int = 0
    byte_cap: int = 0  # most bytes of terms in a capped answer (0: none); rows=all streams are not held
    prefixes: tuple[tuple[str, str], ...] = ()
    base_iri: str | None = None  # what relative IRIs in the query resolve against (the endpoint's URL)


class AnswerSender:
    """The binary file an answer is written to in a worker: it sends a short answer as one ``whole`` message (one
    pickle and one wake-up of the web process instead of three), a longer one as ``meta``, ``chunk`` pieces of
    about CHUNK_BYTES and ``end``, the head going out with the first piece."""

    def __init__(self, send: Callable[[tuple], None]) -> None:
        self.send = send
        self.head: tuple[str, bool] = ("solutions", False)
        self.buffer = bytearray()
        self.streaming = False

    def start(self, kind: str, truncated: bool) -> None:
        self.head = (kind, truncated)

    def write(self, data: bytes) -> int:
        self.buffer += data
        if len(self.buffer) >= CHUNK_BYTES:
            self._send_buffer()
        return len(data)

    def flush(self) -> None:
        """Nothing: a writer's flush must not turn a short answer into a stream."""

    def _send_buffer(self) -> None:
        if not self.streaming:
            self.send(("meta", *self.head))
            self.streaming = True
        if self.buffer:
            self.send(("chunk", bytes(self.buffer)))
            self.buffer.clear()

    def finish(self) -> None:
        if self.streaming:
            self._send_buffer()
            self.send(("end",))
        else:
            self.send(("whole", *self.head, bytes(self.buffer)))


def main(connections: list[Connection], store_root: str) -> None:
    """Open the store, then serve each connection (a seat) until the parent closes it: on this thread when there
    is one seat, else on one thread per seat, all reading one store handle (pyoxigraph releases the GIL while it
    evaluates). The store is opened first so that its cost (CPU the parent would count against the first query,
    which could then pass for a long one) is paid before the worker takes work."""
    live = LiveStore(StoreRoot(Path(store_root)))
    with contextlib.suppress(ClusterGraphError):  # not built yet: each job reports it
        live.get().query("ASK {}")
    if len(connections) == 1:
        _seat(connections[0], live)
        return
    threads = [threading.Thread(target=_seat, args=(conn, live), daemon=True, name=f"seat-{i}")
               for i, conn in enumerate(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _seat(conn: Connection, live: LiveStore) -> None:
    """One seat: say ready, then answer the jobs of ``conn`` until the parent closes it."""
    conn.send(("ready", threading.get_native_id()))
    while True:
        try:
            job: QueryJob = conn.recv()
        except (EOFError, OSError):
            return
        try:
            _answer(conn, live, job)
        except ClusterGraphError as exc:
            conn.send(("error", type(exc).__name__, str(exc)))
        except Exception as exc:  # noqa: BLE001 - a worker must answer every job, whatever went wrong
            conn.send(("error", "QueryError", f"query failed: {type(exc).__name__}: {exc}"))


def _answer(conn: Connection, live: LiveStore, job: QueryJob) -> None:
    inspect_query(job.sparql)  # the whole text is read here, in the killable worker, not in the web process
    sender = AnswerSender(conn.send)
    write_answer(run(live, job), job, sender.start, sender, rerun=lambda: run(live, job))
    sender.finish()


def write_answer(result: ox.QuerySolutions | ox.QueryBoolean | Iterable[ox.Triple], job: QueryJob,
                 start: Callable[[str, bool], None], out: BinaryIO,
                 rerun: Callable[[], ox.QuerySolutions | ox.QueryBoolean | Iterable[ox.Triple]] | None = None,
                 ) -> None:
    """Cap ``result`` at ``job.row_cap``, announce its kind and truncation with ``start(kind, truncated)``
    (kind: boolean, solutions or graph), then write it to ``out`` in the media type ``job`` chose.

    Shared by the worker processes (embedded store) and the remote runner (SPARQL server), so both answer
    with the same caps and flags. Given ``rerun`` (the query again: the embedded store), a SELECT answer in JSON
    is written by Oxigraph's own writer (:func:`_write_json_natively`).
    """
    if isinstance(result, ox.QueryBoolean):
        start("boolean", False)
        out.write(result.serialize(format=RESULT_FORMATS[RESULTS[job.results_media_type]]))
    elif isinstance(result, ox.QuerySolutions) and rerun is not None and RESULTS[job.results_media_type] == "json":
        try:
            _write_json_natively(result, job, start, out)
        except _RetryByRows:
            write_answer(rerun(), job, start, out)  # past the byte cap: capped row by row, as below
    elif isinstance(result, ox.QuerySolutions):
        variables = [v.value for v in result.variables]
        rows, truncated = _capped(([s[i] for i in range(len(variables))] for s in result), job.row_cap,
                                  job.byte_cap, _row_bytes)
        start("solutions", truncated)
        for piece in write_rows(RESULTS[job.results_media_type], variables, rows):
            out.write(piece.encode("utf-8"))
    else:
        triples, truncated = _capped(result, job.row_cap, job.byte_cap, _triple_bytes)
        if GRAPHS[job.graph_media_type] == ox.RdfFormat.JSON_LD:
            triples = _without_triple_terms(triples)  # checked before the answer starts: no cut-off 200
        start("graph", truncated)
        ox.serialize(triples, output=out, format=GRAPHS[job.graph_media_type], prefixes=dict(job.prefixes))


class _Full(Exception):
    """Raised by :class:`_BoundedBuffer` past its limit, to stop Oxigraph's writer."""


class _BoundedBuffer(io.BytesIO):
    """An in-memory file that refuses to grow past ``limit`` bytes (Oxigraph's writer then stops)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if self.limit and self.tell() + len(data) > self.limit:
            raise _Full
        return super().write(data)


def _write_json_natively(result: ox.QuerySolutions, job: QueryJob, start: Callable[[str, bool], None],
                         out: BinaryIO) -> None:
    """A SELECT answer in SPARQL JSON written by Oxigraph's own (Rust) writer: no Python object per row and term,
    which cost a light query more CPU than the query itself.

    Without a row cap it streams to ``out``. With one, the answer is first written to memory (at most
    ``job.byte_cap`` bytes): an answer shorter than 3 bytes per row of the cap (``{}`` and a comma is the
    shortest row) cannot exceed it and goes out as written; a longer one is counted, and cut by re-writing its
    first rows when it has more than the cap. Past ``byte_cap`` the query runs again, capped row by row.
    """
    if job.row_cap <= 0:
        start("solutions", False)
        result.serialize(out, format=ox.QueryResultsFormat.JSON)
        return
    buffer = _BoundedBuffer(job.byte_cap)
    try:
        result.serialize(buffer, format=ox.QueryResultsFormat.JSON)
    except _Full:  # pyoxigraph passes the file's own exception on
        raise _RetryByRows from None
    written = buffer.getvalue()
    if len(written) < 3 * (job.row_cap + 1):
        start("solutions", False)
        out.write(written)
        return
    answer = json.loads(written)
    bindings = answer["results"]["bindings"]
    if len(bindings) <= job.row_cap:
        start("solutions", False)
        out.write(written)
        return
    answer["results"]["bindings"] = bindings[:job.row_cap]
    start("solutions", True)
    out.write(json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


class _RetryByRows(Exception):
    """The native writer's answer passed the byte cap: run the query again and cap it row by row."""


def _without_triple_terms(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    """``triples`` as a list, checked to hold no RDF 1.2 triple term (JSON-LD 1.1 cannot write one).

    :raises NotAcceptable: when a subject or object is a triple term.
    """
    held = list(triples)
    if any(isinstance(t.subject, ox.Triple) or isinstance(t.object, ox.Triple) for t in held):
        raise NotAcceptable("the answer holds RDF 1.2 triple terms, which JSON-LD cannot express; ask for "
                            "Turtle, N-Triples, RDF/XML, TriG or N-Quads instead")
    return held


def run(live: LiveStore, job: QueryJob) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
    """Evaluate ``job`` on the current store.

    :raises QueryError: for syntax and evaluation errors.
    :raises StoreError: before the first build.
    """
    store = live.get()
    return store.query(
        job.sparql,
        default_graph=list(job.default_graph) if job.default_graph is not None else None,
        named_graphs=list(job.named_graphs) if job.named_graphs is not None else None,
        union=job.union_default_graph,
        base_iri=job.base_iri,
    )


def _capped(items: Iterable, cap: int, byte_cap: int = 0, size: Callable[[Any], int] | None = None,
            ) -> tuple[Iterable, bool]:
    """At most ``cap`` items (all, streamed, when ``cap`` is 0), held only while their ``size`` adds up to at
    most ``byte_cap`` (when set), and whether more were left. The head is held in memory before the answer
    starts (its truncation flag is a header), so without the byte cap 10,000 rows of megabyte strings would
    take gigabytes.

    >>> _capped(iter(["ab", "cd", "ef"]), 10, 4, len)
    (['ab', 'cd'], True)
    >>> _capped(iter(["ab", "cd", "ef"]), 2)
    (['ab', 'cd'], True)
    """
    if cap <= 0:
        return items, False
    if byte_cap <= 0 or size is None:
        head = list(itertools.islice(items, cap + 1))
        return head[:cap], len(head) > cap
    kept: list = []
    used = 0
    for item in items:
        used += size(item)
        if len(kept) >= cap or used > byte_cap:
            return kept, True
        kept.append(item)
    return kept, False


def _term_bytes(term: Any) -> int:
    """About how many bytes a term takes in an answer (its text, and room for the markup around it)."""
    if term is None:
        return 0
    if isinstance(term, ox.Triple):
        return _triple_bytes(term)
    return len(term.value) + 32


def _row_bytes(row: list) -> int:
    return sum(_term_bytes(term) for term in row)


def _triple_bytes(triple: ox.Triple) -> int:
    return _term_bytes(triple.subject) + _term_bytes(triple.predicate) + _term_bytes(triple.object)


if __name__ == "__main__":
    import os
    import sys

    # argv: the seats' socket descriptors (comma-separated), store root, CPU priority, memory cap in MB
    if len(sys.argv) > 3 and int(sys.argv[3]):
        os.nice(int(sys.argv[3]))  # a long-query worker yields the CPU to short ones
    if len(sys.argv) > 4:
        limit_memory(int(sys.argv[4]))  # past it, an allocation aborts this worker, not the server
    # glibc's malloc gives each seat's thread an arena of its own: fewer arenas than seats (limit_malloc_arenas)
    # cost 4 seats 10-14% more CPU per query, waiting for each other's allocations
    seat_fds = [int(fd) for fd in sys.argv[1].split(",")]
    main([Connection(fd) for fd in seat_fds], sys.argv[2])
