"""A pool of killable query worker processes, each holding the store open read-only.

pyoxigraph cannot cancel a running query, and a blocking operator (GROUP BY, ORDER BY) holds the CPU inside
one native call. So each query runs in a child process; when its time limit passes the parent kills the
process (SIGKILL frees the CPU at once), answers with :class:`QueryTimeout`, and starts a replacement.

Short queries first (:mod:`clustergraph.querying.lanes`): the workers behind the short slots run at normal CPU
priority, those behind the long slots at :data:`LONG_NICE`, so a long query on a busy machine yields the CPU
to short ones. A query not known to be long that is still running on a short worker after ``long_after``
seconds is stopped there (the worker is killed and replaced) and queued again for a long worker, with the
time it has left; its text is remembered as long. Once the answer has started, sending it may take up to
another time limit; that holds while a slow client reads too: the worker is killed at that deadline whether
or not the next chunk has been asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import subprocess
import time
from pathlib import Path

from clustergraph import errors
from clustergraph.limits import ran_out_of_memory
from clustergraph.querying.answer import Answer, WholeAnswer, error_from
from clustergraph.querying.lanes import LONG, SHORT, Lanes, query_key
from clustergraph.querying.processes import Lease, Worker
from clustergraph.querying.worker import QueryJob

LONG_NICE = 5  # CPU priority of the long workers (0 is normal; higher yields more)
# A worker that holds more than this after a query is replaced (in the background) rather than kept: what a big
# join or sort allocated stays with the process (glibc keeps it), about 220 MB per worker at ECCP scale after the
# analytical queries, against 55 MB for a fresh one; four such workers put the server over 1 GB.
RECYCLE_MB = 160


def _settle(future: asyncio.Future[bool], value: bool) -> None:
    if not future.done():
        future.set_result(value)


class QueryPool:
    """Worker processes over ``store_root``, ``reserved`` of them for short queries only (see the module
    docstring); :meth:`start` must run inside the serving event loop."""

    def __init__(self, store_root: Path, *, size: int, reserved: int = 2, long_after: float = 0.25,
                 memory_mb: int = 0) -> None:
        self.store_root = store_root
        self.memory_mb = memory_mb  # each worker's cap (clustergraph.limits); 0: none
        self.size = size
        self.lanes = Lanes(size, reserved=reserved, long_after=long_after)
        self.restarted = 0
        self.recycled = 0  # workers replaced because they held more than RECYCLE_MB after a query
        self._idle: dict[str, asyncio.Queue[Worker]] = {}
        self._all: set[Worker] = set()
        self._replacing: set[asyncio.Task[None]] = set()
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None

    def _nice(self, slot: str) -> int:
        return LONG_NICE if slot == LONG and self.lanes.reserved else 0  # one worker: nothing to yield to

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._idle = {SHORT: asyncio.Queue(), LONG: asyncio.Queue()}
        plan = [SHORT] * self.lanes.reserved + [LONG] * self.lanes.long_share
        workers = await asyncio.gather(*(asyncio.to_thread(Worker, self.store_root, nice=self._nice(slot),
                                                           memory_mb=self.memory_mb)
                                         for slot in plan))
        for slot, worker in zip(plan, workers):
            self._all.add(worker)
            self._idle[slot].put_nowait(worker)

    async def close(self) -> None:
        self._closed = True
        for worker in list(self._all):
            worker.kill()
        self._all.clear()

    def worker_pids(self) -> list[int]:
        """Process ids of the live workers (for tests)."""
        return sorted(w.pid for w in self._all if w.alive())

    def status(self) -> dict[str, int | float]:
        """Slot counts, live workers and how many overrunning short queries were restarted as long."""
        return {**self.lanes.snapshot(), "live_workers": len(self.worker_pids()),
                "restarted_as_long": self.restarted, "recycled_for_memory": self.recycled}

    async def run(self, job: QueryJob, *, time_limit: float) -> Answer | WholeAnswer:
        """Send ``job`` to a worker of its lane and wait for the head of its answer.

        :raises ServerBusy: when no worker it may use frees up within the time limit.
        :raises QueryTimeout: when the query runs past ``time_limit`` seconds.
        :raises WorkerLost: when its worker process dies.
        :raises QueryError: for syntax and evaluation errors.
        """
        deadline = time.monotonic() + time_limit
        key = query_key(job.sparql, job.default_graph, job.named_graphs, job.union_default_graph)
        long = self.lanes.is_long(key)
        while True:
            lease = await self._lease(key, long=long, deadline=deadline)
            try:
                lease.worker.conn.send(job)
                message = None
                if lease.slot == SHORT:
                    message, overran = await self._watch_short(lease, deadline)
                    if overran:  # it has used more than long_after of CPU: not a short query after all
                        self.lanes.remember(key, lease.cost())
                        self.release(lease, healthy=False)  # the worker is killed: its query stops
                        self.restarted += 1
                        long = True
                        continue
                if message is None:
                    message = await self.receive(lease.worker, deadline, time_limit)
            except BaseException:
                self.release(lease, healthy=False)
                raise
            if message[0] != "meta":
                self.lanes.remember(key, lease.cost())
                self.release(lease, healthy=True)
                if message[0] == "whole":
                    return WholeAnswer.from_message(message)
                raise error_from(message)
            return Answer(self, lease, deadline, time_limit, kind=message[1], truncated=message[2])

    async def _watch_short(self, lease: Lease, deadline: float) -> tuple[tuple | None, bool]:
        """(the first message of a query on a short worker, False), or (None, True) once it has used
        ``long_after`` seconds of CPU (checked every ``long_after`` seconds of wall time, so a query merely
        waiting for a core on a busy machine is not mistaken for a long one), or (None, False) at the
        deadline."""
        step = self.lanes.long_after
        while True:
            message = await self._next(lease.worker, min(deadline, time.monotonic() + step))
            if message is not None or time.monotonic() >= deadline:
                return message, False
            if lease.cost() >= step:
                return None, True

    async def _lease(self, key: bytes, *, long: bool, deadline: float) -> Lease:
        """A slot this query may use and an idle worker behind it. A query that became known as long while it
        waited (another run of the same text overran) swaps a short slot for a long one.

        :raises ServerBusy: when either does not come before ``deadline``.
        """
        assert self._idle, "QueryPool.start() was not awaited"
        slot = await self.lanes.acquire(long=long, deadline=deadline, prefer_long=not self.lanes.is_known(key))
        if slot == SHORT and self.lanes.is_long(key):
            self.lanes.release(slot)
            slot = await self.lanes.acquire(long=True, deadline=deadline)
        idle = self._idle[slot]
        try:
            worker = idle.get_nowait() if not idle.empty() else \
                await asyncio.wait_for(idle.get(), timeout=max(deadline - time.monotonic(), 0))
        except BaseException as exc:
            self.lanes.release(slot)
            if isinstance(exc, TimeoutError):
                raise errors.ServerBusy(f"all {self.size} query workers stayed busy") from exc
            raise
        return Lease(worker, key, slot)

    async def _next(self, worker: Worker, until: float) -> tuple | None:
        """The worker's next message, or None when ``until`` (``time.monotonic()``) passes first.

        The event loop watches the worker's socket itself (no thread per wait), so a message is picked up as
        soon as it arrives however many queries are in flight.

        :raises WorkerLost: when the worker process died.
        """
        try:
            if not worker.readable():
                loop = asyncio.get_running_loop()
                woken: asyncio.Future[bool] = loop.create_future()  # True: readable; False: the timer rang
                fd = worker.conn.fileno()
                loop.add_reader(fd, _settle, woken, True)
                timer = loop.call_at(loop.time() + max(until - time.monotonic(), 0), _settle, woken, False)
                try:
                    readable = await woken
                finally:
                    timer.cancel()
                    if not worker.conn.closed:  # a closed socket's number may already belong to another worker
                        loop.remove_reader(fd)
                        os.set_blocking(fd, True)  # uvloop makes a watched socket non-blocking; recv() reads on
                if not readable:
                    return None
            return worker.conn.recv()
        except (EOFError, OSError) as exc:
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.process.wait(timeout=1)
            if ran_out_of_memory(worker.process.returncode):
                raise errors.WorkerLost(f"the query needed more than the {self.memory_mb:,} MB of memory a query "
                                        "worker may use (worker_memory_mb); it was stopped and the worker is being "
                                        "replaced") from exc
            raise errors.WorkerLost("the query worker stopped unexpectedly (crashed, ran out of memory or was "
                                    "killed); it is being replaced, try again") from exc

    async def receive(self, worker: Worker, deadline: float, time_limit: float) -> tuple:
        """The worker's next message; kills it and raises QueryTimeout when the deadline passes."""
        message = await self._next(worker, deadline)
        if message is None:
            worker.kill()
            raise errors.QueryTimeout(f"the query was stopped after the time limit of {time_limit:g} s")
        return message

    def release(self, lease: Lease, *, healthy: bool) -> None:
        """Free the lease's slot and return its worker to the pool, or kill the worker and start a replacement
        in the background."""
        self.lanes.release(lease.slot)
        worker = lease.worker
        if healthy and worker.alive() and not self._closed and (worker.resident_mb() or 0) <= RECYCLE_MB:
            self._idle[lease.slot].put_nowait(worker)
            return
        if healthy and worker.alive():
            self.recycled += 1
        worker.kill()
        self._all.discard(worker)
        if not self._closed:
            task = asyncio.get_running_loop().create_task(self._replace(lease.slot))
            self._replacing.add(task)  # keep a reference until it is done (the loop holds only weak ones)
            task.add_done_callback(self._replacing.discard)

    def release_soon(self, lease: Lease) -> None:
        """Kill and replace the lease's worker from any thread (used when an answer is dropped unread)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(functools.partial(self.release, lease, healthy=False))

    async def _replace(self, slot: str) -> None:
        worker = await asyncio.to_thread(Worker, self.store_root, nice=self._nice(slot), memory_mb=self.memory_mb)
        if self._closed:
            worker.kill()
            return
        self._all.add(worker)
        self._idle[slot].put_nowait(worker)
