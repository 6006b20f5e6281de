"""Query worker processes: starting one at a CPU priority, its CPU time, killing it, and the lease a query
holds on it."""

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


class Worker:
    """One child process (``python -m clustergraph.querying.worker``) and the parent's end of its socket."""

    def __init__(self, store_root: Path, *, nice: int = 0, memory_mb: int = 0) -> None:
        parent, child = socket.socketpair()
        self.nice = nice
        self.process = subprocess.Popen(
            [sys.executable, "-m", "clustergraph.querying.worker", str(child.fileno()), str(store_root), str(nice),
             str(memory_mb)],
            pass_fds=[child.fileno()],
            stdin=subprocess.DEVNULL,
        )
        child.close()
        self.conn = Connection(parent.detach())
        # asked before every read of an answer: one poll(2) on a registered descriptor, where Connection.poll
        # builds and tears down a selector each time
        self._poller = select.poll()
        self._poller.register(self.conn.fileno(), select.POLLIN)
        try:
            self.stat_fd: int | None = os.open(f"/proc/{self.process.pid}/stat", os.O_RDONLY)
        except OSError:
            self.stat_fd = None
        # the worker opens the store before it says it is ready (a dead or silent one is found by its first job)
        if self.conn.poll(READY_WAIT):
            with contextlib.suppress(EOFError, OSError):
                self.conn.recv()

    @property
    def pid(self) -> int:
        return self.process.pid

    def readable(self) -> bool:
        """Whether a message (or the end of the connection) is waiting to be read, without waiting."""
        return bool(self._poller.poll(0))

    def alive(self) -> bool:
        return self.process.poll() is None

    def resident_mb(self) -> float | None:
        """The process's resident memory now, in MB."""
        return resident_mb(self.pid, self.stat_fd)

    def kill(self) -> None:
        """Stop the process at once, wherever it is, and reap it."""
        if not self.conn.closed:
            with contextlib.suppress(RuntimeError):  # not in the event loop: nothing is watching the socket
                asyncio.get_running_loop().remove_reader(self.conn.fileno())
        with contextlib.suppress(OSError):
            self.conn.close()
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
    """A worker held by one query: the kind of slot (and worker) it holds, and since when."""

    worker: Worker
    key: bytes
    slot: str
    started: float = field(default_factory=time.monotonic)
    cpu_started: float | None = None

    def __post_init__(self) -> None:
        self.cpu_started = cpu_seconds(self.worker.pid, self.worker.stat_fd)

    def cost(self) -> float:
        """Seconds the query has taken so far: the worker's CPU time, or wall time where that is unknown."""
        now = cpu_seconds(self.worker.pid, self.worker.stat_fd)
        if now is None or self.cpu_started is None:
            return time.monotonic() - self.started
        return now - self.cpu_started
