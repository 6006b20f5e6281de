"""A pool of killable query worker processes, each holding the store open read-only.

pyoxigraph cannot cancel a running query, and a blocking operator (GROUP BY, ORDER BY) holds the CPU inside
one native call. So each query runs in a child process; when its time limit passes the parent kills the
process (SIGKILL frees the CPU at once), answers with :class:`QueryTimeout`, and starts a replacement.

Short queries first (:mod:`clustergraph.querying.lanes`): the short slots are the seats (threads) of one
process at normal CPU priority, sharing one store handle and its block cache; each long slot is a process of
its own at :data:`LONG_NICE`, so a long query on a busy machine yields the CPU to short ones. A query not known
to be long that is still running on a short seat after ``long_after`` seconds of its thread's CPU is stopped
there (the process is killed and replaced) and queued again for a long worker, with the time it has left; its
text is remembered as long. The queries of the killed process's other seats run again from the start: they
had sent nothing yet (an answer already being sent ends with :class:`WorkerLost`). Once the answer has started,
sending it may take up to another time limit; that holds while a slow client reads too: the worker is killed at
that deadline whether or not the next chunk has been asked for.

Which slot a query never seen before asks for first: a long one, so that a heavy query's first run keeps off
the short seats, unless queries of the same *shape* (:func:`~clustergraph.sparql.guard.query_shape`: the text
with its IRIs left out, e.g. a named query with a different cluster) last ran short.
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
from clustergraph.querying.processes import Lease, Seat, SeatLost, Worker
from clustergraph.querying.worker import QueryJob
from clustergraph.sparql.guard import query_shape

LONG_NICE = 5  # CPU priority of the long workers (0 is normal; higher yields more)
# A worker that holds more than this after a query is replaced (in the background) rather than kept: what a big
# join or sort allocated stays with the process (glibc keeps it), about 220 MB per worker at ECCP scale after the
# analytical queries, against 55 MB for a fresh one; four such workers put the server over 1 GB.
RECYCLE_MB = 160
RECYCLE_SEAT_MB = 32  # more allowed per further seat of the short-query process (each seat's query allocates)
SHAPE_CHARS = 8192  # longer texts get no shape (working it out would hold the event loop): they are never seen


def _settle(future: asyncio.Future[bool], value: bool) -> None:
    if not future.done():
        future.set_result(value)


class QueryPool:
    """Worker processes over ``store_root``: one with ``reserved`` seats for short queries only, and one process
    per long slot (see the module docstring); :meth:`start` must run inside the serving event loop.
    ``memory_mb`` caps each seat's share of memory (a process gets it once per seat)."""

    def __init__(self, store_root: Path, *, size: int, reserved: int = 2, long_after: float = 0.25,
                 memory_mb: int = 0) -> None:
        self.store_root = store_root
        self.memory_mb = memory_mb  # each seat's cap (clustergraph.limits); 0: none
        self.size = size
        self.lanes = Lanes(size, reserved=reserved, long_after=long_after)
        self.restarted = 0
        self.recycled = 0  # workers replaced because they held more than their recycling line after a query
        self.rerun = 0  # queries run again because their process was killed for a query on another seat
        self._idle: dict[str, asyncio.Queue[Seat]] = {}
        self._all: set[Worker] = set()
        self._lane_of: dict[Worker, str] = {}
        self._replacing: set[asyncio.Task[None]] = set()
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None

    def _nice(self, lane: str) -> int:
        return LONG_NICE if lane == LONG and self.lanes.reserved else 0  # one worker: nothing to yield to

    def _plan(self) -> list[str]:
        """The lane of each worker process to keep: one short process (all short seats), one per long slot."""
        return [SHORT] * (self.lanes.reserved > 0) + [LONG] * self.lanes.long_share

    def _new_worker(self, lane: str) -> Worker:
        seats = self.lanes.reserved if lane == SHORT else 1
        return Worker(self.store_root, nice=self._nice(lane), memory_mb=self.memory_mb * seats, seats=seats)

    def _add(self, worker: Worker, lane: str) -> None:
        """Put a new worker in service: its seats become idle in its lane."""
        self._all.add(worker)
        self._lane_of[worker] = lane
        for seat in worker.seats:
            self._idle[lane].put_nowait(seat)

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._idle = {SHORT: asyncio.Queue(), LONG: asyncio.Queue()}
        plan = self._plan()
        workers = await asyncio.gather(*(asyncio.to_thread(self._new_worker, lane) for lane in plan))
        for lane, worker in zip(plan, workers):
            self._add(worker, lane)

    async def close(self) -> None:
        self._closed = True
        for worker in list(self._all):
            worker.kill()
        self._all.clear()

    def worker_pids(self) -> list[int]:
        """Process ids of the live workers (for tests)."""
        return sorted(w.pid for w in self._all if w.alive())

    def status(self) -> dict[str, int | float]:
        """Slot counts, live seats and processes, and how many queries were restarted as long or run again."""
        serving = [w for w in self._lane_of if w.alive() and not w.draining]
        return {**self.lanes.snapshot(), "live_workers": sum(w.size for w in serving),
                "worker_processes": len(self.worker_pids()),
                "restarted_as_long": self.restarted, "recycled_for_memory": self.recycled,
                "rerun_after_a_sibling_was_stopped": self.rerun}

    async def run(self, job: QueryJob, *, time_limit: float) -> Answer | WholeAnswer:
        """Send ``job`` to a seat of its lane and wait for the head of its answer.

        :raises ServerBusy: when no seat it may use frees up within the time limit.
        :raises QueryTimeout: when the query runs past ``time_limit`` seconds.
        :raises WorkerLost: when its worker process dies.
        :raises QueryError: for syntax and evaluation errors.
        """
        deadline = time.monotonic() + time_limit
        dataset = (job.default_graph, job.named_graphs, job.union_default_graph)
        key = query_key(job.sparql, *dataset)
        shape = query_key("shape", query_shape(job.sparql), *dataset) if len(job.sparql) <= SHAPE_CHARS else None
        long = self.lanes.is_long(key)
        while True:
            lease = await self._lease(key, shape, long=long, deadline=deadline)
            try:
                lease.seat.conn.send(job)
                message = None
                if lease.slot == SHORT:
                    message, overran = await self._watch_short(lease, deadline)
                    if overran:  # it has used more than long_after of CPU: not a short query after all
                        self.remember(lease)
                        self.release(lease, healthy=False)  # the process is killed: its query stops
                        self.restarted += 1
                        long = True
                        continue
                if message is None:
                    message = await self.receive(lease.seat, deadline, time_limit)
            except SeatLost as exc:
                self.release(lease, healthy=False)
                if self._closed:  # the server is stopping: nothing to run it again on
                    raise errors.WorkerLost("the server is stopping; try again") from exc
                self.rerun += 1
                continue
            except BaseException:
                self.release(lease, healthy=False)
                raise
            if message[0] != "meta":
                self.remember(lease)
                self.release(lease, healthy=True)
                if message[0] == "whole":
                    return WholeAnswer.from_message(message)
                raise error_from(message)
            return Answer(self, lease, deadline, time_limit, kind=message[1], truncated=message[2])

    def remember(self, lease: Lease) -> None:
        """Record what the lease's query cost, for its text and for its shape."""
        cost = lease.cost()
        self.lanes.remember(lease.key, cost)
        if lease.shape is not None:
            self.lanes.remember(lease.shape, cost)

    async def _watch_short(self, lease: Lease, deadline: float) -> tuple[tuple | None, bool]:
        """(the first message of a query on a short seat, False), or (None, True) once it has used
        ``long_after`` seconds of CPU (checked every ``long_after`` seconds of wall time, so a query merely
        waiting for a core on a busy machine is not mistaken for a long one), or (None, False) at the
        deadline."""
        step = self.lanes.long_after
        while True:
            message = await self._next(lease.seat, min(deadline, time.monotonic() + step))
            if message is not None or time.monotonic() >= deadline:
                return message, False
            if lease.cost() >= step:
                return None, True

    async def _lease(self, key: bytes, shape: bytes | None, *, long: bool, deadline: float) -> Lease:
        """A slot this query may use and an idle seat behind it. A query that became known as long while it
        waited (another run of the same text overran) swaps a short slot for a long one. A query never seen
        asks for a long slot first unless its shape last ran short.

        :raises ServerBusy: when either does not come before ``deadline``.
        """
        assert self._idle, "QueryPool.start() was not awaited"
        seen = self.lanes.is_known(key) or (shape is not None and self.lanes.ran_short(shape))
        slot = await self.lanes.acquire(long=long, deadline=deadline, prefer_long=not seen)
        if slot == SHORT and self.lanes.is_long(key):
            self.lanes.release(slot)
            slot = await self.lanes.acquire(long=True, deadline=deadline)
        idle = self._idle[slot]
        try:
            while True:
                seat = idle.get_nowait() if not idle.empty() else \
                    await asyncio.wait_for(idle.get(), timeout=max(deadline - time.monotonic(), 0))
                if self._usable(seat.worker):
                    break
        except BaseException as exc:
            self.lanes.release(slot)
            if isinstance(exc, TimeoutError):
                raise errors.ServerBusy(f"all {self.size} query workers stayed busy") from exc
            raise
        seat.worker.leased += 1
        return Lease(seat, key, slot, shape=shape)

    def _usable(self, worker: Worker) -> bool:
        """Whether a seat of ``worker`` may take a query: the worker is alive and not being retired (a dead one
        found here, which died idle, is replaced)."""
        if worker.draining or worker not in self._lane_of:
            return False
        if not worker.alive():
            self._kill(worker)
            return False
        return True

    async def _next(self, seat: Seat, until: float) -> tuple | None:
        """The seat's next message, or None when ``until`` (``time.monotonic()``) passes first.

        The event loop watches the seat's socket itself (no thread per wait), so a message is picked up as soon
        as it arrives however many queries are in flight.

        :raises SeatLost: when the pool killed the seat's process for a query on another seat.
        :raises WorkerLost: when the worker process died otherwise.
        """
        worker = seat.worker
        try:
            if not seat.readable():
                loop = asyncio.get_running_loop()
                woken: asyncio.Future[bool] = loop.create_future()  # True: readable; False: the timer rang
                fd = seat.conn.fileno()
                loop.add_reader(fd, _settle, woken, True)
                seat.woken = woken  # settled by the seat's close(), when the pool kills its process
                timer = loop.call_at(loop.time() + max(until - time.monotonic(), 0), _settle, woken, False)
                try:
                    readable = await woken
                finally:
                    timer.cancel()
                    seat.woken = None
                    if not seat.conn.closed:  # a closed socket's number may already belong to another seat
                        loop.remove_reader(fd)
                        os.set_blocking(fd, True)  # uvloop makes a watched socket non-blocking; recv() reads on
                if not readable:
                    return None
            return seat.conn.recv()
        except (EOFError, OSError) as exc:
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.process.wait(timeout=1)
            if worker.killed_on_purpose:
                raise SeatLost from exc
            if ran_out_of_memory(worker.process.returncode):
                raise errors.WorkerLost(f"the query needed more than the {self.memory_mb:,} MB of memory a query "
                                        "worker may use (worker_memory_mb); it was stopped and the worker is being "
                                        "replaced") from exc
            raise errors.WorkerLost("the query worker stopped unexpectedly (crashed, ran out of memory or was "
                                    "killed); it is being replaced, try again") from exc

    async def receive(self, seat: Seat, deadline: float, time_limit: float) -> tuple:
        """The seat's next message; kills its process and raises QueryTimeout when the deadline passes."""
        message = await self._next(seat, deadline)
        if message is None:
            self._kill(seat.worker)
            raise errors.QueryTimeout(f"the query was stopped after the time limit of {time_limit:g} s")
        return message

    def release(self, lease: Lease, *, healthy: bool) -> None:
        """Free the lease's slot and return its seat to the pool; or, when the query did not end well, kill the
        seat's process and start a replacement in the background. A process that holds more memory than its
        recycling line after a query is retired: it takes no more queries, a replacement starts at once, and
        it is killed when its last seat comes back."""
        self.lanes.release(lease.slot)
        worker = lease.worker
        worker.leased -= 1
        if self._closed:
            worker.kill()
            return
        if not healthy or not worker.alive():
            self._kill(worker)
            return
        if not worker.draining and (worker.resident_mb() or 0) > RECYCLE_MB + RECYCLE_SEAT_MB * (worker.size - 1):
            self.recycled += 1
            worker.draining = True
            self._retire(worker)
        if worker.draining:
            if worker.leased <= 0:
                worker.kill()
                self._all.discard(worker)
            return
        self._idle[lease.slot].put_nowait(lease.seat)

    def _kill(self, worker: Worker) -> None:
        """Kill ``worker`` now (its other seats' queries run again) and replace it."""
        worker.kill()
        self._all.discard(worker)
        self._retire(worker)

    def _retire(self, worker: Worker) -> None:
        """Start the replacement of ``worker`` (once) in the background; its seats are no longer handed out."""
        lane = self._lane_of.pop(worker, None)
        if lane is None or self._closed:
            return
        task = asyncio.get_running_loop().create_task(self._replace(lane))
        self._replacing.add(task)  # keep a reference until it is done (the loop holds only weak ones)
        task.add_done_callback(self._replacing.discard)

    def release_soon(self, lease: Lease) -> None:
        """Kill and replace the lease's worker from any thread (used when an answer is dropped unread)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(functools.partial(self.release, lease, healthy=False))

    async def _replace(self, lane: str) -> None:
        worker = await asyncio.to_thread(self._new_worker, lane)
        if self._closed:
            worker.kill()
            return
        self._add(worker, lane)
