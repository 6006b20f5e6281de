"""What any query runner gives the web: the pool of local workers and the remote runner keep one contract."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from clustergraph.querying.worker import QueryJob


class StreamedAnswer(Protocol):
    """What a runner hands back: the answer's kind (boolean, solutions, graph), truncation flag and bytes."""

    kind: str
    truncated: bool

    def chunks(self) -> AsyncIterator[bytes]: ...

    async def read_all(self) -> bytes: ...

    def close(self) -> None: ...


class QueryRunner(Protocol):
    """Runs query jobs under a time limit: :class:`QueryPool` (embedded store) or
    :class:`clustergraph.remote.query.RemoteQueryRunner` (a SPARQL server)."""

    size: int

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def run(self, job: QueryJob, *, time_limit: float) -> StreamedAnswer: ...

    def status(self) -> dict[str, int | float]: ...
