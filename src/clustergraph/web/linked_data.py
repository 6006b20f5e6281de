"""(being written)"""

from __future__ import annotations

from fastapi import APIRouter

from clustergraph.web.services import Services


def make_router(services: Services) -> APIRouter:
    return APIRouter()
