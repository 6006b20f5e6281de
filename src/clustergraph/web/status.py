"""``/api/status``: what the query workers are doing right now, for operators and load tests.

Counts only (slots, short and long queries running and waiting, restarts, page cache); no process ids or
query texts.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from clustergraph.web.services import Services, services


class Status(BaseModel):
    """Query admission counts (see the README's "Short queries first" section)."""

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
    live_workers: int | None = None
    restarted_as_long: int | None = None
    page_cache_entries: int
    page_cache_bytes: int
    page_cache_hits: int
    page_cache_misses: int


def make_router(svc: Services) -> APIRouter:
    router = APIRouter(tags=["pages"])
    router.add_api_route("/api/status", status, methods=["GET"], response_model=Status,
                         summary="Query workers: slots, running and waiting short and long queries")
    return router


async def status(svc: Services = Depends(services)) -> Status:
    return Status(**svc.pool.status(), **svc.page_cache.stats())
