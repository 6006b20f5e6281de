"""Run query jobs on a SPARQL 1.1 server with the query pool's contract: ``await run(job, time_limit=...)``
returns an answer whose chunks stream to the client, capped at the row cap and written by the same code as the
worker processes (:func:`clustergraph.querying.worker.write_answer`), so both backends answer with the same bytes,
truncation flags and errors.

Each job runs in its own thread: it posts the query (with the job's dataset: ``default-graph-uri`` and
``named-graph-uri``; the server's default graph is the union of its graphs), parses the answer while it
arrives, stops reading at the row cap and writes the chosen format into a bounded queue the event loop reads.

- **Time limit.** The HTTP timeout equals the time limit, and the event loop gives up at the deadline with the
  pool's 503 ``QueryTimeout``. A thread never outlives its HTTP read timeout. Whether the *server* stops
  computing is up to the server: set its own timeout (``oxigraph serve --timeout-s``, Fuseki
  ``arq:queryTimeout``, Virtuoso ``MaxQueryExecutionTime``, GraphDB ``graphdb.query.timeout``).
- **Concurrency.** At most ``size`` (the ``workers`` setting) queries are in flight to the server, admitted by
  the pool's :class:`~clustergraph.querying.lanes.Lanes` (long queries never take the short slots); a request that
  finds no free slot within its time limit gets the pool's 503 ``ServerBusy``. A slot frees when its thread
  ends, so a server still busy with a stopped query keeps its slot until the HTTP read gives up. A short query
  that overruns moves to a long slot when one is free and otherwise keeps its slot: the server cannot be told
  to stop it, so it is not restarted as the worker pool does.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
import time
from collections.abc import AsyncIterator

from clustergraph import errors
from clustergraph.querying.answer import WholeAnswer, error_from
from clustergraph.querying.lanes import LONG, SHORT, Lanes, query_key
from clustergraph.querying.worker import AnswerSender, QueryJob, write_answer
from clustergraph.remote.store import RemoteStore
from clustergraph.sparql.lexer import has_relative_iri

QUEUE_CHUNKS = 16


class _Cancelled(Exception):
    """The answer was closed or timed out; the producing thread stops."""


class _Job:
    """One query in flight: the thread producing it and the queue of messages it sends to the event loop.

    Messages are the worker protocol's: ``("whole", kind, truncated, bytes)``, or ``("meta", kind, truncated)``,
    ``("chunk", bytes)`` pieces and ``("end",)``; or ``("error", kind, text)``.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[tuple] = asyncio.Queue(maxsize=QUEUE_CHUNKS)
        self.cancel = threading.Event()

    def send(self, message: tuple) -> None:
        """Put ``message`` on the queue from the producing thread, waiting while it is full."""
        if self.cancel.is_set():
            raise _Cancelled
        future = asyncio.run_coroutine_threadsafe(self.queue.put(message), self.loop)
        while True:
            try:
                future.result(timeout=0.2)
                return
            except concurrent.futures.TimeoutError:
                if self.cancel.is_set() or self.loop.is_closed():
                    future.cancel()
                    raise _Cancelled from None


class RemoteAnswer:
    """A query's answer as it streams from the server (same surface as the pool's ``Answer``)."""

    def __init__(self, job: _Job, deadline: float, time_limit: float, kind: str, truncated: bool) -> None:
        self.job = job
        self.deadline = deadline
        self.time_limit = time_limit
        self.kind = kind
        self.truncated = truncated

    def close(self) -> None:
        """Stop the producing thread if it is still reading."""
        self.job.cancel.set()

    def __del__(self) -> None:
        self.job.cancel.set()

    async def chunks(self) -> AsyncIterator[bytes]:
        """The serialised answer.

        :raises QueryTimeout: when the time limit passes mid-stream.
        """
        try:
            while True:
                message = await _receive(self.job, self.deadline, self.time_limit)
                if message[0] == "chunk":
                    yield message[1]
                elif message[0] == "end":
                    return
                else:
                    raise error_from(message)
        finally:
            self.close()

    async def read_all(self) -> bytes:
        return b"".join([chunk async for chunk in self.chunks()])


class RemoteQueryRunner:
    """Query jobs against ``store``, at most ``size`` at a time; :meth:`start` runs inside the event loop."""

    def __init__(self, store: RemoteStore, *, size: int, reserved: int = 2, long_after: float = 0.25) -> None:
        self.store = store
        self.size = size
        self.lanes = Lanes(size, reserved=reserved, long_after=long_after)
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()

    async def close(self) -> None:
        """Nothing to stop: running threads end at their own HTTP timeout at the latest."""

    def status(self) -> dict[str, int | float]:
        """Lane counts of the queries in flight to the server."""
        return self.lanes.snapshot()

    async def run(self, job: QueryJob, *, time_limit: float) -> RemoteAnswer | WholeAnswer:
        """Send ``job`` to the server and wait for the head of its answer.

        :raises ServerBusy: when no slot frees up within the time limit.
        :raises QueryTimeout: when the query runs past ``time_limit`` seconds.
        :raises QueryError: for syntax and evaluation errors (and QueryRefused for SERVICE/LOAD).
        """
        assert self._loop is not None, "RemoteQueryRunner.start() was not awaited"
        deadline = time.monotonic() + time_limit
        key = query_key(job.sparql, job.default_graph, job.named_graphs, job.union_default_graph)
        kind = await self.lanes.acquire(long=self.lanes.is_long(key), deadline=deadline,
                                        prefer_long=not self.lanes.is_known(key))
        if kind == SHORT and self.lanes.is_long(key):  # another run of the same text overran meanwhile
            self.lanes.release(kind)
            kind = await self.lanes.acquire(long=True, deadline=deadline)
        slot = _Slot(self.lanes, key, kind)
        flight = _Job(self._loop)
        loop = self._loop
        promotion = loop.call_later(self.lanes.long_after, slot.promote)

        def release() -> None:
            with contextlib.suppress(RuntimeError):  # the loop may be closed at shutdown
                loop.call_soon_threadsafe(promotion.cancel)
                loop.call_soon_threadsafe(slot.release)

        thread = threading.Thread(target=self._produce, args=(flight, job, time_limit, release),
                                  name="clustergraph-remote-query", daemon=True)
        try:
            thread.start()
        except BaseException:
            promotion.cancel()
            slot.release()
            raise
        try:
            message = await _receive(flight, deadline, time_limit)
        except BaseException:
            flight.cancel.set()
            raise
        if message[0] == "whole":
            return WholeAnswer.from_message(message)
        if message[0] != "meta":
            flight.cancel.set()
            raise error_from(message)
        return RemoteAnswer(flight, deadline, time_limit, kind=message[1], truncated=message[2])

    def _produce(self, flight: _Job, job: QueryJob, time_limit: float, release) -> None:
        """The thread's work: query, cap, write; every failure becomes an error message."""
        try:
            with self.store.stream_query(
                with_base(job.sparql, job.base_iri),
                default_graph=list(job.default_graph) if job.default_graph is not None else None,
                named_graphs=list(job.named_graphs) if job.named_graphs is not None else None,
                time_limit=time_limit,
            ) as result:
                sender = AnswerSender(flight.send)
                write_answer(result, job, sender.start, sender)
                sender.finish()
        except _Cancelled:
            pass
        except errors.ClusterGraphError as exc:
            _send_error(flight, type(exc).__name__, str(exc))
        except SyntaxError as exc:
            _send_error(flight, "QueryError", f"the SPARQL server's answer broke off: {exc.msg}")
        except Exception as exc:  # noqa: BLE001 - a runner must answer every job, whatever went wrong
            _send_error(flight, "QueryError", f"query failed: {type(exc).__name__}: {exc}")
        finally:
            release()


class _Slot:
    """The lane slot one remote query holds (event-loop side)."""

    def __init__(self, lanes: Lanes, key: bytes, kind: str) -> None:
        self.lanes = lanes
        self.key = key
        self.kind = kind
        self.started = time.monotonic()
        self.released = False

    def promote(self) -> None:
        """Called ``long_after`` seconds in: the query is long; move it to a long slot if one is free."""
        if self.released:
            return
        self.lanes.remember(self.key, time.monotonic() - self.started)
        if self.kind == SHORT and self.lanes.promote():
            self.kind = LONG

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.lanes.remember(self.key, time.monotonic() - self.started)
            self.lanes.release(self.kind)


def _send_error(flight: _Job, kind: str, text: str) -> None:
    with contextlib.suppress(_Cancelled):
        flight.send(("error", kind, text))


async def _receive(flight: _Job, deadline: float, time_limit: float) -> tuple:
    """The next message, or QueryTimeout (stopping the thread) when the deadline passes first."""
    try:
        return await asyncio.wait_for(flight.queue.get(), timeout=max(deadline - time.monotonic(), 0))
    except TimeoutError as exc:
        flight.cancel.set()
        raise errors.QueryTimeout(f"the query was stopped after the time limit of {time_limit:g} s") from exc


def with_base(sparql: str, base_iri: str | None) -> str:
    """The query with ``BASE <base_iri>`` before it when it writes a relative IRI, so that IRI resolves against our
    endpoint's URL as on the embedded store, not against the SPARQL server's (a ``BASE`` of the query's own comes
    later, so it still wins). The base goes on the query's first line: the server's error positions keep their
    line numbers, and only a column on line 1 of such a query moves.

    >>> with_base("CONSTRUCT { <s> <p> 1 } WHERE {}", "http://127.0.0.1:8000/sparql")
    'BASE <http://127.0.0.1:8000/sparql> CONSTRUCT { <s> <p> 1 } WHERE {}'
    >>> with_base("ASK { <urn:x> ?p ?o }", "http://127.0.0.1:8000/sparql")
    'ASK { <urn:x> ?p ?o }'
    """
    return f"BASE <{base_iri}> {sparql}" if base_iri and has_relative_iri(sparql) else sparql
