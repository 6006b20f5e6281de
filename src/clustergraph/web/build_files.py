"""Values and files computed once per published build, by a killable child process, and kept beside the build.

At ECCP scale some of what pages show takes seconds to compute (every resource's label, the organisations'
browse index, the VoID statistics) and the dumps take longer. Computed in the web process, they held page
threads and the CPU while anonymous requests asked for them again and again. So each *product* below is
computed at most once per build, in a child process (``python -m clustergraph.web.build_files``) at a low CPU
priority (:data:`NICE`) under its own time limit, one product at a time, and written atomically into
``<store root>/build-files/<build>/``. The web process reads the file (and keeps values in memory for the
build). At start the server computes them all in one child, cheapest first; a request for one that is not
ready yet starts a child of its own for it, waits up to :data:`LONGEST_WAIT` seconds (or the query time
limit, when longer), then gets 503 with Retry-After while the computation goes on; a failed or stopped
computation is tried again by the next request.

On a remote SPARQL server (``store_url``) there is no build to key on: values are computed in the web process
for :data:`~clustergraph.web.services.REMOTE_CACHE_SECONDS` at a time (the server does the work), and dumps are
written into the app's scratch folder the same way.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import gc
import json
import logging
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from clustergraph import errors
from clustergraph.iris import PREFIXES
from clustergraph.limits import child_memory_mb, limit_memory

if TYPE_CHECKING:
    from clustergraph.web.services import Services

log = logging.getLogger(__name__)
NICE = 10  # the child's CPU priority: queries (0, and 5 for long ones) come first
FOLDER = "build-files"
# The products' file format: raise it when a product's pickled form changes (a class gains slots, a field
# changes type), so that a server of the new code never reads files an older one wrote for the same build.
FORMAT = 2
LONGEST_WAIT = 30.0  # seconds a request may wait for a product being computed (at least the time limit)


@dataclass(frozen=True)
class Product:
    """One thing computed per build: a Python value (pickled) or a file served as it is (``value`` None)."""

    name: str  # also the file's name
    title: str  # for messages: "the browse index of organisations"
    value: Callable[[Services], Any] | None = None
    write: Callable[[Services, Path], None] | None = None

    def make(self, svc: Services, target: Path) -> None:
        """Compute the product over ``svc``'s store and write it to ``target``."""
        if self.write is not None:
            self.write(svc, target)
            return
        assert self.value is not None
        with target.open("wb") as out:
            pickle.dump(self.value(svc), out, protocol=pickle.HIGHEST_PROTOCOL)


def _labels(svc: Services) -> Any:
    from clustergraph.web import catalogue

    return catalogue.load_labels(svc.select)


def _home(svc: Services) -> Any:
    from clustergraph.web import pages

    return pages.home_facts(svc)


def _kind_counts(svc: Services) -> Any:
    from clustergraph.web import catalogue

    return catalogue.kind_counts(svc.select)


def _search_index(svc: Services) -> Any:
    from clustergraph.web import catalogue

    return catalogue.search_index(svc.build_files.value("labels"), catalogue.statement_nodes(svc.select))


def _browse_index(slug: str) -> Callable[[Services], Any]:
    def make(svc: Services) -> Any:
        from clustergraph.web import browse_lists, catalogue

        return browse_lists.build_index(svc.select, svc.named_queries, catalogue.KINDS_BY_SLUG[slug],
                                        svc.build_files.value("labels"))

    return make


def _site_map(svc: Services) -> Any:
    from clustergraph.web import site_map

    return site_map.build_site_map(svc)


def _void(svc: Services) -> Any:
    from clustergraph.web import void

    return void.build_triples(svc.store(), None if svc.remote is not None else svc.build_dir())


def _graph_sizes(svc: Services) -> Any:
    from clustergraph.web import service_description

    return service_description.graph_sizes(svc.store())


def _dump(fmt: ox.RdfFormat) -> Callable[[Services, Path], None]:
    def write(svc: Services, target: Path) -> None:
        from clustergraph.web.void import DISTINCT_TRIPLES

        with target.open("wb") as out:
            store = svc.store()
            if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
                ox.serialize(store.quads(), out, fmt, prefixes=PREFIXES)
                return
            rows = store.query(DISTINCT_TRIPLES)  # the union's distinct triples, as /store?default reads it
            ox.serialize((ox.Triple(r["s"], r["p"], r["o"]) for r in rows), out, fmt, prefixes=PREFIXES)

    return write


def _products() -> dict[str, Product]:
    from clustergraph.web import catalogue

    kinds = sorted(catalogue.KINDS, key=lambda kind: kind.slug == "organisations")  # the largest last
    listed = [  # cheapest first: the start-up batch computes them in this order
        Product("graph-sizes", "the sizes of the named graphs", _graph_sizes),
        Product("kind-counts", "the counts of the browse lists", _kind_counts),
        Product("labels", "the labels of every resource", _labels),
        Product("home", "the home page's facts", _home),
        Product("site-map", "the map of the clusters' sites", _site_map),
        Product("void", "the VoID statistics", _void),
        Product("search-index", "the search index", _search_index),
        *(Product(f"browse-index-{kind.slug}", f"the browse list of {kind.title.lower()}", _browse_index(kind.slug))
          for kind in kinds),
        Product("clustergraph.ttl", "the Turtle dump", write=_dump(ox.RdfFormat.TURTLE)),
        Product("clustergraph.nq", "the N-Quads dump", write=_dump(ox.RdfFormat.N_QUADS)),
        Product("clustergraph.trig", "the TriG dump", write=_dump(ox.RdfFormat.TRIG)),
    ]
    return {p.name: p for p in listed}


class BuildFiles:
    """The products of the build being served: read from their files, computed by a child process when
    missing (see the module docstring). Thread-safe; :meth:`value` and :meth:`path` block, so call them from
    page threads, or :meth:`path_async` from the event loop."""

    def __init__(self, svc: Services, *, time_limit: float, in_child: bool = False) -> None:
        self.svc = svc
        self.time_limit = time_limit  # of one computation
        self.in_child = in_child  # inside the child: compute missing products in this process
        self.products = _products()
        self._jobs: dict[tuple[str, str], concurrent.futures.Future[Path]] = {}
        self._guard = threading.Lock()
        self._loading: dict[tuple[str, str], threading.Lock] = {}
        # one child for the start-up batch, one for what a request is waiting for (so no request waits behind
        # the whole batch)
        self._runner = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="build-files")
        self._on_demand = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="build-files-demand")
        self._demanded: set[tuple[str, str]] = set()
        self._started: set[tuple[str, str]] = set()  # a child has begun computing these
        self.computed = 0  # computations finished (for the status page and tests)
        # how long a request waits for a product being computed before its 503
        self.wait = max(svc.settings.time_limit, LONGEST_WAIT)

    def close(self) -> None:
        self._runner.shutdown(wait=False, cancel_futures=True)
        self._on_demand.shutdown(wait=False, cancel_futures=True)

    def status(self) -> dict[str, int]:
        """Computations finished since the start, and those queued or running (for ``/api/status``)."""
        with self._guard:
            pending = sum(1 for job in self._jobs.values() if not job.done())
        return {"build_files_computed": self.computed, "build_files_pending": pending}

    def folder(self) -> Path:
        """Where the products of the data being served are kept (one subfolder per build)."""
        return self.svc.build_files_root() / self.svc.build_key()

    def value(self, name: str, *, wait: float | None = None) -> Any:
        """The product ``name`` of the current build, loaded once per build.

        :raises ServerBusy: when it is still being computed after ``wait`` seconds (the time limit by default).
        :raises QueryTimeout: when its computation ran past its own time limit.
        :raises StoreError: when its computation failed otherwise.
        """
        if self.svc.remote is not None:
            product = self.products[name]
            assert product.value is not None
            return self.svc.memo(name, lambda: product.value(self.svc))
        key = (self.svc.build_key(), name)
        if key in self.svc.per_build:
            return self.svc.per_build[key]
        path = self.path(name, wait=wait)
        with self._guard:
            loading = self._loading.setdefault(key, threading.Lock())
        with loading:
            if key not in self.svc.per_build:
                self.svc.remember(key, load(path))
        return self.svc.per_build[key]

    def path(self, name: str, *, wait: float | None = None) -> Path:
        """The file of product ``name`` for the current build, computed first when missing.

        :raises ServerBusy, QueryTimeout, StoreError: as :meth:`value`.
        """
        build = self.svc.build_key()
        target = self.svc.build_files_root() / build / name
        if target.is_file():
            return target
        if self.in_child or self.svc.remote is not None:
            self._make_here(name, target)
            return target
        job = self._job(build, name)
        try:
            return job.result(timeout=self.wait if wait is None else wait)
        except concurrent.futures.TimeoutError as exc:
            raise self._busy(name) from exc

    async def value_async(self, name: str) -> Any:
        """:meth:`value` for the event loop."""
        if self.svc.remote is None:
            known = self.svc.per_build.get((self.svc.build_key(), name))
            if known is not None:
                return known
            await self.path_async(name)
        return await asyncio.to_thread(self.value, name)

    async def path_async(self, name: str) -> Path:
        """:meth:`path` for the event loop: waits without holding a thread."""
        build = self.svc.build_key()
        target = self.svc.build_files_root() / build / name
        if target.is_file():
            return target
        if self.svc.remote is not None:
            return await asyncio.to_thread(self.path, name)
        job = self._job(build, name)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(job), timeout=self.wait)
        except TimeoutError as exc:
            raise self._busy(name) from exc

    def _busy(self, name: str) -> errors.ServerBusy:
        return errors.ServerBusy(f"{self.products[name].title} of this build is being computed; try again in a "
                                 "few seconds")

    def warm(self, names: Iterable[str]) -> None:
        """Start computing ``names`` for the current build (in one child, in that order), without waiting."""
        if self.svc.remote is not None:
            return
        self._submit(self.svc.build_key(), list(names))

    def _job(self, build: str, name: str) -> concurrent.futures.Future[Path]:
        """The computation a request for ``name`` waits for: when it is only queued in the start-up batch, a
        child of its own computes it now (whichever child finishes first settles it)."""
        job = self._submit(build, [name], self._on_demand)[name]
        with self._guard:
            if not job.done() and (build, name) not in self._demanded | self._started:
                self._demanded.add((build, name))
                self._on_demand.submit(self._compute, build, [name])
        return job

    def _submit(self, build: str, names: list[str], runner: concurrent.futures.ThreadPoolExecutor | None = None,
                ) -> dict[str, concurrent.futures.Future[Path]]:
        """The computations of ``names`` for ``build``: those already queued or running, and one new child for
        the others (a failed computation is tried again)."""
        unknown = [name for name in names if name not in self.products]
        if unknown:
            raise KeyError(unknown[0])
        with self._guard:
            for old in [k for k in self._jobs if k[0] != build]:
                del self._jobs[old]
            for old in [k for k in self._loading if k[0] != build]:
                del self._loading[old]
            self._demanded = {k for k in self._demanded if k[0] == build}
            self._started = {k for k in self._started if k[0] == build}
            fresh = []
            for name in names:
                job = self._jobs.get((build, name))
                if job is None or (job.done() and job.exception() is not None):
                    self._jobs[(build, name)] = concurrent.futures.Future()
                    self._demanded.discard((build, name))
                    fresh.append(name)
            if fresh:
                if runner is self._on_demand:
                    self._demanded.update((build, name) for name in fresh)
                (runner or self._runner).submit(self._compute, build, fresh)
            return {name: self._jobs[(build, name)] for name in names}

    def _compute(self, build: str, names: list[str]) -> None:
        """:meth:`_compute_now`, with any unexpected failure logged and given to the requests waiting."""
        try:
            self._compute_now(build, names)
        except Exception as exc:  # noqa: BLE001 - a runner thread must settle every future it took
            log.exception("computing %s for build %s failed", ", ".join(names), build)
            for name in names:
                if (job := self._jobs.get((build, name))) is not None:
                    _settle(job, errors.StoreError(f"{self.products[name].title} could not be computed: "
                                                   f"{type(exc).__name__}"))

    def _compute_now(self, build: str, names: list[str]) -> None:
        """Run one child for those of ``names`` not settled yet (in a runner's thread); each name's future is
        settled as soon as the child reports its file, so the first product does not wait for the last."""
        jobs = {name: job for name in names if (job := self._jobs.get((build, name))) is not None and not job.done()}
        names = list(jobs)
        folder = self.svc.build_files_root() / build
        folder.mkdir(parents=True, exist_ok=True)
        prune(folder.parent, keep=build)
        missing = []
        for name, job in jobs.items():
            if (folder / name).is_file():
                _settle(job, folder / name)
            else:
                missing.append(name)
        if not missing:
            return
        failures = self._run_child(build, missing, folder)
        for name in missing:
            job = jobs[name]
            if job.done():
                continue
            if (folder / name).is_file() and name not in failures:
                _settle(job, folder / name)
            else:
                _settle(job, failures.get(name) or errors.StoreError(
                    f"{self.products[name].title} could not be computed (the child process stopped; see the "
                    "server log)"))

    def _run_child(self, build: str, names: list[str], folder: Path) -> dict[str, errors.ClusterGraphError]:
        """Run the child over ``names``, settling each future as its line arrives; the failures by name.
        Each product has :attr:`time_limit` seconds from the previous one's end; past it the child is killed."""
        order = json.dumps({"settings": dataclasses.asdict(self.svc.settings), "store": str(self.svc.store_root.path),
                            "project": str(self.svc.layout.root), "build": build, "names": names, "nice": NICE,
                            "memory_mb": child_memory_mb(self.svc.settings.worker_memory_mb,
                                                         self.svc.settings.workers)})
        # its stderr is the server's: a crash's traceback lands in the server log
        child = subprocess.Popen([sys.executable, "-m", "clustergraph.web.build_files"], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE)
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write(order.encode())
        child.stdin.close()
        failures: dict[str, errors.ClusterGraphError] = {}
        stopped = threading.Event()

        def stop_when_late() -> None:
            while not stopped.wait(self.time_limit):
                if not progressed.is_set():
                    child.kill()
                    return
                progressed.clear()

        progressed = threading.Event()
        threading.Thread(target=stop_when_late, name="build-files-limit", daemon=True).start()
        try:
            for line in child.stdout:
                progressed.set()
                status, _, rest = line.decode("utf-8", "replace").rstrip("\n").partition(" ")
                name, _, message = rest.partition(" ")
                if name not in names:
                    continue
                if status == "start":
                    with self._guard:
                        self._started.add((build, name))
                    continue
                if status == "done":
                    self.computed += 1
                    job = self._jobs.get((build, name))
                    if job is not None:
                        _settle(job, folder / name)
                else:
                    failures[name] = errors.StoreError(f"{self.products[name].title} could not be computed: "
                                                       f"{message[:300]}")
            child.wait()
        finally:
            stopped.set()
            child.kill()
            child.wait()
            child.stdout.close()
        if child.returncode:  # a killed child's unfinished files
            for name in names:
                for leftover in folder.glob(f".{name}.*"):
                    leftover.unlink(missing_ok=True)
        if child.returncode and child.returncode < 0:  # killed: the first product without a line was too slow
            late = next((n for n in names if n not in failures and not (folder / n).is_file()), None)
            if late is not None:
                failures[late] = errors.QueryTimeout(f"{self.products[late].title} could not be computed within "
                                                     f"{self.time_limit:g} s (build_file_time_limit)")
        return failures

    def _make_here(self, name: str, target: Path) -> None:
        """Compute ``name`` in this process (in the child, or for a remote server) and write it atomically, unless
        another child wrote it meanwhile: the first file stays (the start-up batch and a request's own child may
        compute the same product at once; replacing it changed a file already served, and its validators)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=target.parent)
        os.close(handle)
        try:
            self.products[name].make(self.svc, Path(tmp))
            os.chmod(tmp, 0o644)
            with contextlib.suppress(FileExistsError):
                os.link(tmp, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


def _settle(job: concurrent.futures.Future[Path], outcome: Path | Exception) -> None:
    """Give ``job`` its file or error, unless another child settled it first."""
    with contextlib.suppress(concurrent.futures.InvalidStateError):
        if isinstance(outcome, Exception):
            job.set_exception(outcome)
        else:
            job.set_result(outcome)


def load(path: Path) -> Any:
    """The value pickled in ``path``, loaded with the cyclic garbage collector paused: its passes over the
    hundreds of thousands of new objects of a browse index made loading it seven times slower."""
    paused = gc.isenabled()
    gc.disable()
    try:
        with path.open("rb") as data:
            return pickle.load(data)  # noqa: S301 - written by our own child process
    finally:
        if paused:
            gc.enable()


def prune(root: Path, keep: str) -> None:
    """Drop the products of builds that are no longer served, and those of other file formats."""
    for folder in root.iterdir():
        if folder.is_dir() and folder.name != keep:
            shutil.rmtree(folder, ignore_errors=True)
    for other in root.parent.iterdir():
        if other.is_dir() and other != root:
            shutil.rmtree(other, ignore_errors=True)


def child_main() -> int:
    """The child: read the order (JSON on stdin), compute one product of one build, write its file."""
    from clustergraph.kg.layout import Layout
    from clustergraph.kg.store import BUILDS, EmbeddedStore, StoreRoot
    from clustergraph.querying.named import load_named_queries
    from clustergraph.settings import Settings
    from clustergraph.web.services import Services, make_templates

    order = json.loads(sys.stdin.read())
    os.nice(order["nice"])
    limit_memory(order["memory_mb"])
    root = StoreRoot(Path(order["store"]))
    build_dir = root.path / BUILDS / order["build"]
    if not (build_dir / ".complete").exists() and not build_dir.is_dir():
        raise errors.StoreError(f"build {order['build']} is no longer kept")
    store = EmbeddedStore.open_read_only(build_dir)
    layout = Layout(Path(order["project"]))
    named = load_named_queries(layout.queries_dir) if layout.queries_dir.is_dir() else {}

    class _Pinned:  # the build named in the order, whatever is published meanwhile
        def get(self) -> EmbeddedStore:
            return store

    svc = Services(Settings(**order["settings"]), root, layout, _Pinned(), None, named,  # type: ignore[arg-type]
                   make_templates(), pinned_build=order["build"], pinned_dir=build_dir)
    for name in order["names"]:
        print(f"start {name}", flush=True)
        try:
            svc.build_files.path(name)
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which answers the requests
            print(f"failed {name} {type(exc).__name__}: {exc}".replace("\n", " "), flush=True)
        else:
            print(f"done {name}", flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(child_main())
    except errors.ClusterGraphError as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
