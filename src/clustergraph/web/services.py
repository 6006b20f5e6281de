"""What the HTTP handlers share: settings, the store, the query pool, named queries and templates.

One :class:`Services` lives on ``app.state.services``; handlers reach it through :func:`services`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from clustergraph import __version__
from clustergraph.iris import PREFIXES
from clustergraph.layout import Layout
from clustergraph.query_pool import QueryPool
from clustergraph.queries import NamedQuery
from clustergraph.settings import Settings
from clustergraph.store import EmbeddedStore, LiveStore, StoreRoot

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"


@dataclass
class Services:
    """Everything one app instance serves from."""

    settings: Settings
    store_root: StoreRoot
    layout: Layout
    live: LiveStore
    pool: QueryPool
    named_queries: dict[str, NamedQuery]
    templates: Jinja2Templates
    per_build: dict[tuple[str, str], Any] = field(default_factory=dict)

    def memo(self, name: str, compute: Any) -> Any:
        """``compute()`` once per published build (a new build or write gets a fresh value)."""
        key = (str(self.store().location), name)
        if key not in self.per_build:
            if len(self.per_build) > 64:
                self.per_build.clear()
            self.per_build[key] = compute()
        return self.per_build[key]

    def store(self) -> EmbeddedStore:
        """The current build, opened read-only in this process (for small, bounded page queries).

        :raises StoreError: before the first build.
        """
        return self.live.get()

    def select(self, sparql: str) -> list[dict[str, Any]]:
        """Rows of a small SELECT on the current build as {variable: term or None}."""
        solutions = self.store().query(sparql)
        names = [v.value for v in solutions.variables]
        return [{n: s[n] for n in names} for s in solutions]

    def local_path(self, iri: str) -> str | None:
        """The path on this server where ``iri`` dereferences, or None when it is not under the base IRI."""
        base = self.settings.base_iri
        return "/" + iri[len(base) :] if iri.startswith(base) else None

    def iri_for_path(self, path: str) -> str:
        """The persistent IRI a local path stands for."""
        return self.settings.base_iri + path.lstrip("/")

    def render(self, request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> Response:
        """An HTML page from ``template`` with the shared context (version, settings, prefixes)."""
        shared = {"version": __version__, "settings": self.settings, "prefixes": PREFIXES, "link": self.link}
        return self.templates.TemplateResponse(request, template, {**shared, **context}, status_code=status_code)

    def link(self, term: object) -> str:
        """The href for an RDF term: a local path for IRIs under the base, the IRI itself for http(s) IRIs
        elsewhere, and '' for anything that must never become a link (``javascript:`` and the like)."""
        value = term.value if isinstance(term, ox.NamedNode) else str(term)
        local = self.local_path(value)
        if local is not None:
            return local
        return value if value.startswith(("http://", "https://")) else ""


def services(request: Request) -> Services:
    """FastAPI dependency: the app's shared services."""
    return request.app.state.services


def make_templates() -> Jinja2Templates:
    """Jinja templates with autoescaping on (every value from the data is escaped)."""
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.autoescape = True
    return templates
