"""``/api/status``: what the query workers are doing right now, for operators and load tests.

Counts only (slots, short and long queries running and waiting, restarts, page cache, how late the event
loop runs); no process ids or query texts.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from clustergraph.web.loop_lag import WINDOW_SECONDS
from clustergraph.web.openapi_responses import ErrorForm, declare
from clustergraph.web.services import Services, services


class Status(BaseModel):
    """Query admission counts (see the README's "Short queries first" section), the page cache, and the event
    loop's lag: how much later than asked a 50 ms sleep woke, over the last ``lag_seconds`` (None: no samples)."""

    slots: int
    reserved_for_short: int
    long_share: int
    long_after_seconds: float
    busy_short_slots: int
    busy_long_slots: int
    waiting_short: int
    waiting_long: int
    remembered: int
    remembered_long: int
    live_workers: int | None = None  # query slots with a live worker behind them (a seat: a thread of one)
    worker_processes: int | None = None  # query worker processes (the short slots share one)
    restarted_as_long: int | None = None
    recycled_for_memory: int | None = None
    rerun_after_a_sibling_was_stopped: int | None = None  # queries run again: their process was stopped for another
    page_cache_entries: int
    page_cache_bytes: int
    page_cache_hits: int
    page_cache_misses: int
    answer_cache_entries: int
    answer_cache_bytes: int
    answer_cache_hits: int
    answer_cache_misses: int
    loop_lag_p50_ms: float | None
    loop_lag_p99_ms: float | None
    loop_lag_max_ms: float | None
    loop_lag_samples: int
    loop_lag_window_seconds: float
    build_files_computed: int
    build_files_pending: int


def make_router(svc: Services) -> APIRouter:
    router = APIRouter(tags=["pages"])
    router.add_api_route("/api/status", status, methods=["GET"], response_model=Status,
                         responses=declare({}, [400], ErrorForm.API),
                         summary="Query workers: slots, running and waiting short and long queries; event-loop lag")
    return router


LagSeconds = Query(None, gt=0, le=WINDOW_SECONDS,
                   description=f"The event-loop lag over this many seconds (default and most: {WINDOW_SECONDS:g}).")


async def status(svc: Services = Depends(services), lag_seconds: float | None = LagSeconds) -> Status:
    window = lag_seconds or WINDOW_SECONDS
    return Status(**svc.pool.status(), **svc.page_cache.stats(), **svc.answer_cache.stats(),
                  **svc.loop_lag.summary(window).as_status(),
                  loop_lag_window_seconds=window, **svc.build_files.status())
