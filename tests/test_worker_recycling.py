"""A query worker that holds more memory than ``RECYCLE_MB`` after a query is replaced, one under it is kept."""

from __future__ import annotations

import asyncio

import pytest

from clustergraph.querying import pool as pool_module
from clustergraph.querying.pool import QueryPool
from clustergraph.querying.worker import QueryJob


async def _pids_around_a_query(store_root, recycle_mb: float) -> tuple[list[int], list[int], dict]:
    pool = QueryPool(store_root.path, size=1, reserved=0)
    await pool.start()
    try:
        before = pool.worker_pids()
        answer = await pool.run(QueryJob(sparql="SELECT ?s WHERE { ?s ?p ?o } LIMIT 3", row_cap=10), time_limit=30)
        assert b'"bindings"' in await answer.read_all()
        for _ in range(200):  # a replacement starts in the background
            if pool.worker_pids() and pool.worker_pids() != before or recycle_mb > 1:
                break
            await asyncio.sleep(0.05)
        return before, pool.worker_pids(), pool.status()
    finally:
        await pool.close()


@pytest.mark.parametrize("recycle_mb", [0, 100_000])
def test_a_worker_over_the_memory_line_is_replaced_after_its_query(project_store_root, monkeypatch,
                                                                    recycle_mb: float) -> None:
    monkeypatch.setattr(pool_module, "RECYCLE_MB", recycle_mb)
    before, after, status = asyncio.run(_pids_around_a_query(project_store_root, recycle_mb))
    if recycle_mb == 0:  # every worker holds more than 0 MB: replaced, and counted
        assert after and after != before
        assert status["recycled_for_memory"] == 1
    else:
        assert after == before
        assert status["recycled_for_memory"] == 0
