"""A pool of killable query worker processes, each holding the store open read-only.

pyoxigraph cannot cancel a running query, and a blocking operator (GROUP BY, ORDER BY) holds the CPU inside
one native call. So each query runs in a child process; when its time limit passes the parent kills the
process (SIGKILL frees the CPU at once), answers with :class:`QueryTimeout`, and starts a replacement.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Protocol

from clustergraph import errors
from clustergraph.query_worker import QueryJob

_ERROR_TYPES: dict[str, type[errors.ClusterGraphError]] = {
    "QuerySyntaxError": errors.QuerySyntaxError,
    "QueryRefused": errors.QueryRefused,
    "QueryTimeout": errors.QueryTimeout,
    "StoreError": errors.StoreError,
}


class StreamedAnswer(Protocol):
    """What a runner hands back: the answer's kind (boolean, solutions, graph), truncation flag and bytes."""

    kind: str
    truncated: bool

    def chunks(self) -> AsyncIterator[bytes]: ...

    async def read_all(self) -> bytes: ...

    def close(self) -> None: ...


class QueryRunner(Protocol):
    """Runs query jobs under a time limit: :class:`QueryPool` (embedded store) or
    :class:`clustergraph.remote_query.RemoteQueryRunner` (a SPARQL server)."""

    size: int

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def run(self, job: QueryJob, *, time_limit: float) -> StreamedAnswer: ...


class Worker:
    """One child process (``python -m clustergraph.query_worker``) and the parent's end of its socket."""

    def __init__(self, store_root: Path) -> None:
        parent, child = socket.socketpair()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "clustergraph.query_worker", str(child.fileno()), str(store_root)],
            pass_fds=[child.fileno()],
            stdin=subprocess.DEVNULL,
        )
        child.close()
        self.conn = Connection(parent.detach())

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """Stop the process at once, wherever it is, and reap it."""
        with contextlib.suppress(OSError):
            self.conn.close()
        if self.alive():
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)


def _receive(conn: Connection, timeout: float) -> tuple | None:
    """The next message, or None when ``timeout`` passes first (runs in a thread)."""
    if not conn.poll(max(timeout, 0)):
        return None
    return conn.recv()


@dataclass
class Answer:
    """A query's answer as it streams from a worker: its kind, truncation flag and chunks."""

    pool: QueryPool
    worker: Worker
    deadline: float
    time_limit: float
    kind: str
    truncated: bool
    done: bool = field(default=False)
    released: bool = field(default=False)

    def close(self) -> None:
        """Give the worker back (killing it if the answer was not read to the end)."""
        if not self.released:
            self.released = True
            self.pool.release(self.worker, healthy=self.done)

    def __del__(self) -> None:
        # A response that was never sent (the client left first) must not keep its worker forever.
        if not self.released:
            self.released = True
            self.pool.release_soon(self.worker)

    async def chunks(self) -> AsyncIterator[bytes]:
        """The serialised answer; the worker returns to the pool once the last chunk is read.

        :raises QueryTimeout: when the time limit passes mid-stream (the worker is killed).
        """
        try:
            while True:
                message = await self.pool.receive(self.worker, self.deadline, self.time_limit)
                if message[0] == "chunk":
                    yield message[1]
                elif message[0] == "end":
                    self.done = True
                    return
                else:
                    self.done = True
                    raise error_from(message)
        finally:
            self.close()

    async def read_all(self) -> bytes:
        return b"".join([chunk async for chunk in self.chunks()])


class QueryPool:
    """Worker processes over ``store_root``; :meth:`start` must run inside the serving event loop."""

    def __init__(self, store_root: Path, *, size: int) -> None:
        self.store_root = store_root
        self.size = size
        self._idle: asyncio.Queue[Worker] | None = None
        self._all: set[Worker] = set()
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._idle = asyncio.Queue()
        workers = await asyncio.gather(*(asyncio.to_thread(Worker, self.store_root) for _ in range(self.size)))
        for worker in workers:
            self._all.add(worker)
            self._idle.put_nowait(worker)

    async def close(self) -> None:
        self._closed = True
        for worker in list(self._all):
            worker.kill()
        self._all.clear()

    def worker_pids(self) -> list[int]:
        """Process ids of the live workers (for the status page and tests)."""
        return sorted(w.pid for w in self._all if w.alive())

    async def run(self, job: QueryJob, *, time_limit: float) -> Answer:
        """Send ``job`` to an idle worker and wait for the head of its answer.

        :raises ServerBusy: when no worker frees up within the time limit.
        :raises QueryTimeout: when the query runs past ``time_limit`` seconds.
        :raises QueryError: for syntax and evaluation errors.
        """
        assert self._idle is not None, "QueryPool.start() was not awaited"
        deadline = time.monotonic() + time_limit
        try:
            worker = await asyncio.wait_for(self._idle.get(), timeout=time_limit)
        except TimeoutError as exc:
            raise errors.ServerBusy(f"all {self.size} query workers stayed busy for {time_limit:g} s") from exc
        try:
            worker.conn.send(job)
            message = await self.receive(worker, deadline, time_limit)
        except BaseException:
            self.release(worker, healthy=False)
            raise
        if message[0] != "meta":
            self.release(worker, healthy=True)
            raise error_from(message)
        return Answer(self, worker, deadline, time_limit, kind=message[1], truncated=message[2])

    async def receive(self, worker: Worker, deadline: float, time_limit: float) -> tuple:
        """The worker's next message; kills it and raises QueryTimeout when the deadline passes."""
        try:
            message = await asyncio.to_thread(_receive, worker.conn, deadline - time.monotonic())
        except (EOFError, OSError) as exc:
            raise errors.QueryError("the query worker stopped unexpectedly") from exc
        if message is None:
            worker.kill()
            raise errors.QueryTimeout(f"the query was stopped after the time limit of {time_limit:g} s")
        return message

    def release(self, worker: Worker, *, healthy: bool) -> None:
        """Return ``worker`` to the pool, or kill it and start a replacement in the background."""
        if healthy and worker.alive() and not self._closed:
            self._idle.put_nowait(worker)  # type: ignore[union-attr]
            return
        worker.kill()
        self._all.discard(worker)
        if not self._closed:
            asyncio.get_running_loop().create_task(self._replace())

    def release_soon(self, worker: Worker) -> None:
        """Kill and replace ``worker`` from any thread (used when an answer is dropped unread)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(functools.partial(self.release, worker, healthy=False))

    async def _replace(self) -> None:
        worker = await asyncio.to_thread(Worker, self.store_root)
        if self._closed:
            worker.kill()
            return
        self._all.add(worker)
        self._idle.put_nowait(worker)  # type: ignore[union-attr]


def error_from(message: tuple) -> errors.ClusterGraphError:
    """The typed error of an ``("error", kind, text)`` message."""
    _, kind, text = message
    return _ERROR_TYPES.get(kind, errors.QueryError)(text)
