"""What the HTTP handlers share: settings, the store, the query runner, named queries and templates.

One :class:`Services` lives on ``app.state.services``; handlers reach it through :func:`services`.

The store is the local store root's current build (embedded), or a SPARQL 1.1 server (``store_url``, a
:class:`RemoteStore`). Handlers read it only through the shared read interface
(:class:`clustergraph.remote.store.ReadStore`). Values computed once per build (:meth:`Services.memo`,
network views, dumps) are kept per published build on the embedded store; a remote server has no build
to key on, so they are kept for :data:`REMOTE_CACHE_SECONDS` and then computed again.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from clustergraph import __version__
from clustergraph.errors import StoreError
from clustergraph.iris import PREFIXES
from clustergraph.kg.layout import Layout
from clustergraph.kg.store import LiveStore, StoreRoot
from clustergraph.kg.write_runner import WriteRunner
from clustergraph.kg.writes import WriteJob
from clustergraph.limits import child_memory_mb
from clustergraph.querying.named import NamedQuery
from clustergraph.querying.runner import QueryRunner
from clustergraph.remote.store import ReadStore, RemoteStore
from clustergraph.settings import Settings
from clustergraph.web.answer_cache import AnswerCache
from clustergraph.web.build_files import FOLDER, FORMAT, BuildFiles
from clustergraph.web.loop_lag import LoopLagMonitor
from clustergraph.web.page_cache import PageCache

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
REMOTE_CACHE_SECONDS = 60


@dataclass
class Services:
    """Everything one app instance serves from."""

    settings: Settings
    store_root: StoreRoot
    layout: Layout
    live: LiveStore
    pool: QueryRunner
    named_queries: dict[str, NamedQuery]
    templates: Jinja2Templates
    per_build: dict[tuple[str, str], Any] = field(default_factory=dict)
    remote: RemoteStore | None = None
    scratch: Path | None = None  # a private folder for remote dumps
    warm_ups: list[Callable[[], None]] = field(default_factory=list)  # run once in the background at start
    page_cache: PageCache = field(default_factory=lambda: PageCache(0))
    answer_cache: AnswerCache = field(default_factory=lambda: AnswerCache(0))
    pinned_build: str | None = None  # in a build-files child: the build it computes for
    pinned_dir: Path | None = None
    build_files: BuildFiles = field(init=False, repr=False)
    loop_lag: LoopLagMonitor = field(default_factory=LoopLagMonitor)  # started by the app's lifespan
    writer: WriteRunner | None = None  # the embedded store's writes, each in a killable worker process
    _memo_guard: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _computing: dict[tuple[str, str], threading.Lock] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.build_files = BuildFiles(self, time_limit=self.settings.build_file_time_limit,
                                      in_child=self.pinned_build is not None)

    def build_key(self) -> str:
        """A name for the data being served: the published build's folder name on the embedded store; on a
        remote server, ``remote-<n>`` for the current :data:`REMOTE_CACHE_SECONDS` window.

        :raises StoreError: before the first build (embedded store).
        """
        if self.pinned_build is not None:
            return self.pinned_build
        if self.remote is not None:
            return f"remote-{int(time.time() // REMOTE_CACHE_SECONDS)}"
        try:
            return Path(os.readlink(self.store_root.current_link)).name  # one system call: asked on every page
        except OSError as exc:
            raise StoreError("no store has been built yet (run `clustergraph build`)") from exc

    def build_files_root(self) -> Path:
        """Where the values and dumps computed per build are kept (one subfolder per :meth:`build_key`)."""
        if self.remote is not None and self.scratch is not None:
            return self.scratch / FOLDER / f"format-{FORMAT}"
        return self.store_root.path / FOLDER / f"format-{FORMAT}"

    def build_dir(self) -> Path | None:
        """The directory of the build being served (None on a remote server)."""
        if self.pinned_dir is not None:
            return self.pinned_dir
        return None if self.remote is not None else self.store_root.current()

    def remember(self, key: tuple[str, str], value: Any) -> None:
        """Keep ``value`` for this build (values of older builds are dropped once there are many)."""
        if len(self.per_build) > 64:
            self.per_build.clear()
        self.per_build[key] = value

    @property
    def can_write(self) -> bool:
        """Whether writes are on: a write token, and on a remote server an Update or Graph Store URL."""
        if not self.settings.writable:
            return False
        return self.remote is None or bool(self.remote.update_url or self.remote.store_url)

    async def write(self, job: WriteJob) -> None:
        """Apply ``job`` to the embedded store in a write worker, under the time limit
        (:class:`~clustergraph.kg.write_runner.WriteRunner`; its errors pass through)."""
        if self.writer is None:
            self.writer = WriteRunner(self.store_root, time_limit=self.settings.time_limit,
                                      memory_mb=child_memory_mb(self.settings.worker_memory_mb,
                                                                self.settings.workers))
        await self.writer.run(job)

    def memo(self, name: str, compute: Any) -> Any:
        """``compute()`` once per published build (a new build or write gets a fresh value); on a remote
        server, once per :data:`REMOTE_CACHE_SECONDS`. Requests that ask while it is being computed wait for
        that computation instead of starting their own (at ECCP scale the home page's counts take seconds)."""
        key = (self.build_key(), name)
        if key in self.per_build:
            return self.per_build[key]
        with self._memo_guard:
            computing = self._computing.setdefault(key, threading.Lock())
        with computing:
            if key not in self.per_build:
                self.remember(key, compute())
            value = self.per_build[key]
        with self._memo_guard:
            self._computing.pop(key, None)
        return value

    def store(self) -> ReadStore:
        """The current build, opened read-only in this process, or the remote server (for small, bounded page
        queries; only the shared read interface).

        :raises StoreError: before the first build.
        """
        if self.remote is not None:
            return self.remote
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


async def services(request: Request) -> Services:
    """FastAPI dependency: the app's shared services. A coroutine, so FastAPI calls it on the event loop: a
    plain function would be run in the thread pool, and every request (``/sparql`` too) would wait for a free
    page thread behind the pages being rendered."""
    return request.app.state.services


def make_templates() -> Jinja2Templates:
    """Jinja templates with autoescaping on (every value from the data is escaped)."""
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.autoescape = True
    return templates
