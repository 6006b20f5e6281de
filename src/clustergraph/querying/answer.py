"""An answer as it streams from a worker, with the watchdog that ends it at the time limit, and the errors a
worker reports."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from clustergraph import errors
from clustergraph.querying.processes import Lease, SeatLost

if TYPE_CHECKING:
    from clustergraph.querying.pool import QueryPool

_ERROR_TYPES: dict[str, type[errors.ClusterGraphError]] = {
    "QuerySyntaxError": errors.QuerySyntaxError,
    "QueryRefused": errors.QueryRefused,
    "QueryTimeout": errors.QueryTimeout,
    "StoreError": errors.StoreError,
    "NotAcceptable": errors.NotAcceptable,
}


@dataclass
class Answer:
    """A query's answer as it streams from a worker: its kind, truncation flag and chunks."""

    pool: QueryPool
    lease: Lease
    deadline: float
    time_limit: float
    kind: str
    truncated: bool
    done: bool = field(default=False)
    released: bool = field(default=False)
    expired: bool = field(default=False)
    watchdog: asyncio.TimerHandle | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        # Sending the answer may take up to another time limit (a slow client, a worker short of CPU); a slow
        # client stops us asking for chunks, so that deadline must not wait for the next one.
        self.deadline += self.time_limit
        self.watchdog = asyncio.get_running_loop().call_later(max(self.deadline - time.monotonic(), 0),
                                                             self._expire)

    def _expire(self) -> None:
        """The time limit passed while the answer was still being sent: kill and replace the worker."""
        if not self.released:
            self.expired = True
            self.close()

    def close(self) -> None:
        """Give the worker back (killing it if the answer was not read to the end)."""
        if self.watchdog is not None:
            self.watchdog.cancel()
        if not self.released:
            self.released = True
            self.pool.release(self.lease, healthy=self.done)

    def __del__(self) -> None:
        # A response that was never sent (the client left first) must not keep its worker forever.
        if not self.released:
            self.released = True
            self.pool.release_soon(self.lease)

    async def chunks(self) -> AsyncIterator[bytes]:
        """The serialised answer; the worker returns to the pool once the last chunk is read.

        :raises QueryTimeout: when the time limit passes mid-stream (the worker is killed).
        """
        try:
            while True:
                if self.expired:
                    raise errors.QueryTimeout(f"the answer was stopped after the time limit of "
                                              f"{self.time_limit:g} s")
                try:
                    message = await self.pool.receive(self.lease.seat, self.deadline, self.time_limit)
                except SeatLost as exc:
                    if self.expired:  # this answer's own worker was stopped at its time limit
                        raise errors.QueryTimeout(f"the answer was stopped after the time limit of "
                                                  f"{self.time_limit:g} s") from exc
                    raise errors.WorkerLost("the query worker was stopped for another query it was running; "
                                            "the answer had started, so it cannot be resumed: try again") from exc
                if message[0] == "chunk":
                    yield message[1]
                elif message[0] == "end":
                    self.done = True
                    self.pool.remember(self.lease)
                    return
                else:
                    self.done = True
                    raise error_from(message)
        finally:
            self.close()

    async def read_all(self) -> bytes:
        return b"".join([chunk async for chunk in self.chunks()])


@dataclass
class WholeAnswer:
    """An answer that came from its worker in one message: the worker is back in the pool already."""

    kind: str
    truncated: bool
    body: bytes

    @classmethod
    def from_message(cls, message: tuple) -> WholeAnswer:
        """The answer of a ``("whole", kind, truncated, bytes)`` message."""
        _, kind, truncated, body = message
        return cls(kind=kind, truncated=truncated, body=body)

    async def chunks(self) -> AsyncIterator[bytes]:
        if self.body:
            yield self.body

    async def read_all(self) -> bytes:
        return self.body

    def close(self) -> None:
        """Nothing to give back."""


def error_from(message: tuple) -> errors.ClusterGraphError:
    """The typed error of an ``("error", kind, text)`` message."""
    _, kind, text = message
    return _ERROR_TYPES.get(kind, errors.QueryError)(text)
