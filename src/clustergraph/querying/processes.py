"""Query worker processes: starting one at a CPU priority with one or more seats (threads, each with its own
socket), each seat's CPU time, killing the process, and the lease a query holds on a seat."""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

READY_WAIT = 60.0  # seconds a new worker may take to open the store


class SeatLost(Exception):
    """The pool killed a seat's process on purpose (for a query on another of its seats) while this seat's
    query ran: it did nothing wrong and may run again."""


def cpu_seconds(pid: int, stat_fd: int | None = None) -> float | None:
    """CPU seconds (user + system) process ``pid`` has used, from ``/proc``; None where that is not readable.
    ``stat_fd``, a descriptor open on its ``/proc/<pid>/stat``, is read again from the start (no open and
    close per reading: this is asked twice per query).

    A query is *long* by the CPU it takes, not by the wall time it waits for a core on a busy machine.
    """
    fields = _stat_fields(pid, stat_fd)
    return None if fields is None else (int(fields[11]) + int(fields[12])) / _TICKS


def resident_mb(pid: int, stat_fd: int | None = None) -> float | None:
    """Resident memory of process ``pid`` in MB (``rss`` in ``/proc/<pid>/stat``); None where not readable."""
    fields = _stat_fields(pid, stat_fd)
    return None if fields is None else int(fields[21]) * _PAGE / 2**20


def _stat_fields(pid: int, stat_fd: int | None) -> list[bytes] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (``state`` first), or None."""
    try:
        raw = os.pread(stat_fd, 1024, 0) if stat_fd is not None else Path(f"/proc/{pid}/stat").read_bytes()
        fields = raw.rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields if len(fields) > 21 and all(fields[i].isdigit() for i in (11, 12, 21)) else None


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class Seat:
    """One thread of a worker process and the parent's end of its socket: it runs one query at a time."""

    def __init__(self, worker: Worker, conn: Connection) -> None:
        self.worker = worker
        self.conn = conn
        # asked before every read of an answer: one poll(2) on a registered descriptor, where Connection.poll
        # builds and tears down a selector each time
        self._poller = select.poll()
        self._poller.register(conn.fileno(), select.POLLIN)
        self.stat_fd: int | None = None
        self.woken: asyncio.Future[bool] | None = None  # set while the pool waits for this seat's next message

    def started(self, tid: int | None) -> None:
        """Open the seat's thread's ``/proc`` stat file (the process's for a one-seat worker, whose thread is
        the process's main thread, so that its CPU counts whichever thread of the process spends it)."""
        path = f"/proc/{self.worker.pid}/stat" if self.worker.size == 1 or tid is None else \
            f"/proc/{self.worker.pid}/task/{tid}/stat"
        try:
            self.stat_fd = os.open(path, os.O_RDONLY)
        except OSError:
            self.stat_fd = None

    def readable(self) -> bool:
        """Whether a message (or the end of the connection) is waiting to be read, without waiting."""
        return bool(self._poller.poll(0))

    def cpu_seconds(self) -> float | None:
        """CPU seconds the seat's thread has used (None where ``/proc`` is not readable)."""
        return cpu_seconds(self.worker.pid, self.stat_fd)

    def close(self) -> None:
        """Close the seat's socket and wake whoever waits on it (who then finds it closed)."""
        if self.woken is not None and not self.woken.done():
            self.woken.set_result(True)
        if not self.conn.closed:
            with contextlib.suppress(RuntimeError):  # not in the event loop: nothing is watching the socket
                asyncio.get_running_loop().remove_reader(self.conn.fileno())
        with contextlib.suppress(OSError):
            self.conn.close()
        if self.stat_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.stat_fd)
            self.stat_fd = None


class Worker:
    """One child process (``python -m clustergraph.querying.worker``) with ``seats`` threads over one store
    handle, and the parent's end of each seat's socket.

    ``leased`` counts its seats in use; ``draining`` marks a worker that takes no more queries and is killed
    once its last seat comes back; ``killed_on_purpose`` a worker the pool killed (a time limit, an overrun), so
    that the queries of its other seats, which did nothing wrong, run again elsewhere.
    """

    def __init__(self, store_root: Path, *, nice: int = 0, memory_mb: int = 0, seats: int = 1) -> None:
        self.nice = nice
        self.size = max(1, seats)
        pairs = [socket.socketpair() for _ in range(self.size)]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "clustergraph.querying.worker", ",".join(str(c.fileno()) for _, c in pairs),
             str(store_root), str(nice), str(memory_mb)],
            pass_fds=[child.fileno() for _, child in pairs],
            stdin=subprocess.DEVNULL,
        )
        for _, child in pairs:
            child.close()
        self.seats = [Seat(self, Connection(parent.detach())) for parent, _ in pairs]
        self.leased = 0
        self.draining = False
        self.killed_on_purpose = False
        try:
            self.stat_fd: int | None = os.open(f"/proc/{self.process.pid}/stat", os.O_RDONLY)
        except OSError:
            self.stat_fd = None
        # each seat says ready once the store is open (a dead or silent one is found by its first job)
        deadline = time.monotonic() + READY_WAIT
        for seat in self.seats:
            tid = None
            if seat.conn.poll(max(deadline - time.monotonic(), 0)):
                with contextlib.suppress(EOFError, OSError):
                    tid = seat.conn.recv()[1]
            seat.started(tid)

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def resident_mb(self) -> float | None:
        """The process's resident memory now, in MB."""
        return resident_mb(self.pid, self.stat_fd)

    def kill(self) -> None:
        """Stop the process at once, wherever it is, and reap it; a process still alive here is killed on
        purpose (its seats' queries did nothing wrong unless the pool says so)."""
        if self.alive():
            self.killed_on_purpose = True
        for seat in self.seats:
            seat.close()
        if self.stat_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.stat_fd)
            self.stat_fd = None
        if self.alive():
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)


@dataclass
class Lease:
    """A seat held by one query: the kind of slot it holds, and since when."""

    seat: Seat
    key: bytes
    slot: str
    shape: bytes | None = None  # the key of the query's shape, when it has one
    started: float = field(default_factory=time.monotonic)
    cpu_started: float | None = None

    def __post_init__(self) -> None:
        self.cpu_started = self.seat.cpu_seconds()

    @property
    def worker(self) -> Worker:
        return self.seat.worker

    def cost(self) -> float:
        """Seconds the query has taken so far: its seat's CPU time, or wall time where that is unknown."""
        now = self.seat.cpu_seconds()
        if now is None or self.cpu_started is None:
            return time.monotonic() - self.started
        return now - self.cpu_started
