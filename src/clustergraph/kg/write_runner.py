"""The parent side of writes to the embedded store: each write runs in a fresh child process
(:mod:`clustergraph.kg.write_worker`) that the server kills when the time limit passes.

pyoxigraph cannot cancel an update, and its parser can overflow its stack on hostile input; in the web process
either would stall or kill the server. Here a write past its deadline is killed (SIGKILL), its unfinished
snapshot deleted, and the caller gets :class:`~clustergraph.errors.WriteTimeout`; a worker that dies on its own
(a crash, out of memory, killed from outside) gives :class:`~clustergraph.errors.WorkerLost`. Either way nothing
was published: a snapshot becomes visible only by the atomic swap of ``current``, and the store's file lock
(``flock``) goes with the process. A worker killed just after that swap has published its write, which then
counts as done.

Writes run one at a time, in arrival order. The deadline covers the wait for the previous write too: a write
that cannot start in time gets :class:`~clustergraph.errors.ServerBusy`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import pickle
import sys
import time

from clustergraph import errors
from clustergraph.kg.store import StoreRoot
from clustergraph.kg.writes import WriteJob, published_by, remove_unfinished
from clustergraph.limits import ran_out_of_memory

NOTHING_CHANGED = "nothing was changed"


class WriteRunner:
    """Runs :class:`WriteJob` s over ``root``, one at a time, each in its own killable process."""

    def __init__(self, root: StoreRoot, *, time_limit: float, memory_mb: int = 0) -> None:
        self.memory_mb = memory_mb  # the worker's cap (clustergraph.limits); 0: none
        self.root = root
        self.time_limit = time_limit
        self.running: int | None = None  # process id of the write worker at work (for tests and status)
        self._turn: asyncio.Lock | None = None

    async def run(self, job: WriteJob) -> None:
        """Apply ``job`` in a write worker.

        :raises ServerBusy: when the previous write does not end before this one's deadline.
        :raises WriteTimeout: when the write runs past the time limit (it is killed; nothing changed).
        :raises WorkerLost: when the worker dies on its own (nothing changed).
        :raises ClusterGraphError: the typed error the worker reported (syntax errors, refusals, ...).
        """
        deadline = time.monotonic() + self.time_limit
        if self._turn is None:
            self._turn = asyncio.Lock()
        try:
            await asyncio.wait_for(self._turn.acquire(), timeout=max(deadline - time.monotonic(), 0))
        except TimeoutError as exc:
            raise errors.ServerBusy(f"another write was still running after the time limit of "
                                    f"{self.time_limit:g} s; {NOTHING_CHANGED}, try again") from exc
        try:
            await self._run_child(job, deadline)
        finally:
            self._turn.release()

    async def _run_child(self, job: WriteJob, deadline: float) -> None:
        before = self.root.current()
        since = time.strftime("%Y%m%dT%H%M%S")
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "clustergraph.kg.write_worker", str(self.root.path), str(self.memory_mb),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        self.running = process.pid
        try:
            out, _ = await asyncio.wait_for(process.communicate(pickle.dumps(job)),
                                            timeout=max(deadline - time.monotonic(), 0))
        except BaseException as exc:  # the time limit, or the request cancelled: stop the write
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await asyncio.shield(process.wait())
            if self._settle(process.pid, before, since):
                return
            if isinstance(exc, TimeoutError):
                raise errors.WriteTimeout(f"the write was stopped at the time limit of {self.time_limit:g} s; "
                                          f"{NOTHING_CHANGED}") from exc
            raise
        finally:
            self.running = None
        if process.returncode != 0 or not out.strip():
            if self._settle(process.pid, before, since):
                return
            if ran_out_of_memory(process.returncode):
                raise errors.WorkerLost(f"the write needed more than the {self.memory_mb:,} MB of memory the write "
                                        f"worker may use (worker_memory_mb); {NOTHING_CHANGED}")
            raise errors.WorkerLost(f"the write worker stopped unexpectedly (exit status {process.returncode}: "
                                    f"crashed, ran out of memory or was killed); {NOTHING_CHANGED}")
        answer_from(out)

    def _settle(self, pid: int, before, since: str) -> bool:
        """After a worker ended without answering: whether it had published its write; if not, remove what
        it left unfinished."""
        if published_by(self.root, pid, before):
            return True
        remove_unfinished(self.root, pid, since=since)
        return False


def answer_from(out: bytes) -> None:
    """Raise the typed error a worker's answer line names, or return when it says ok.

    >>> answer_from(b'{"ok": true}')
    >>> answer_from(b'{"ok": false, "error": "QuerySyntaxError", "message": "bad", "line": 2, "column": 3}')
    Traceback (most recent call last):
    clustergraph.errors.QuerySyntaxError: bad
    """
    answer = json.loads(out.decode("utf-8").strip().splitlines()[-1])
    if answer["ok"]:
        return
    kind = getattr(errors, str(answer.get("error")), None)
    if not (isinstance(kind, type) and issubclass(kind, errors.ClusterGraphError)):
        kind = errors.QueryError
    if issubclass(kind, errors.QuerySyntaxError):
        raise kind(answer["message"], line=answer.get("line"), column=answer.get("column"))
    try:
        raise kind(answer["message"])
    except TypeError:  # a dataclass error of the data side: never raised by a write
        raise errors.QueryError(answer["message"]) from None
