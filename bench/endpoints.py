"""The servers the endpoint benchmarks compare, and the load generator they drive them with.

* :func:`ours` runs ``clustergraph serve`` (``tests/live.start_server``) on a store root.
* :func:`oxigraph_server` runs the real Oxigraph server (``oxigraph serve --union-default-graph``, the
  ``oxigraph`` PyPI package) on a copy of the same store directory: the same quads, the same engine version.
* :func:`rdflib_server` runs rdflib-endpoint over an N-Quads dump, from a throwaway venv under ``.bench/``
  (it is never a dependency of the project).
* :func:`run_load` keeps ``clients`` keep-alive HTTP/1.1 connections busy for a fixed time with a minimal
  asyncio client (a few microseconds of Python per request, so the client is not what limits the rate).

Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from common import WORK
from live import free_port, start_server, stop, wait_until_up

BIN = Path(sys.executable).parent
RDFLIB_VENV = WORK / "rdflib-venv"
START_UP_TIMEOUT = 900.0  # seconds; the per-build files of the ECCP-scale store take a few minutes
RDFLIB_LAUNCHER = """
import sys, time, uvicorn
from rdflib import Dataset
from rdflib_endpoint import SparqlEndpoint
started = time.perf_counter()
ds = Dataset(default_union=True)
ds.parse(sys.argv[1], format="nquads")
print(f"loaded {len(ds)} triples in {time.perf_counter() - started:.1f} s", flush=True)
uvicorn.run(SparqlEndpoint(graph=ds, path="/sparql"), host="127.0.0.1", port=int(sys.argv[2]),
            log_level="warning", access_log=False)
"""


@dataclass
class Endpoint:
    """A running SPARQL endpoint: where to POST ``application/sparql-query`` and its server process."""

    name: str
    url: str
    query_path: str
    process: subprocess.Popen
    started_in: float = 0.0


@contextlib.contextmanager
def ours(store: Path, **settings: str) -> Iterator[Endpoint]:
    """``clustergraph serve`` on ``store`` (a store root with ``current``)."""
    started = time.perf_counter()
    with start_server(store.resolve(), **settings) as server:
        # The figures are the steady state: wait until the start-up work (the default network view and its
        # metrics, the per-build files such as the VoID statistics) is done, as it is on a server that has run
        # a while; measured while it runs, every benchmark would share the CPU with it.
        wait_for_start_up(server.url, START_UP_TIMEOUT)
        yield Endpoint("clustergraph", server.url, "/sparql", server.process, time.perf_counter() - started)


def wait_for_start_up(url: str, timeout: float) -> None:
    """Until the default view's metrics are computed and no per-build file is pending.

    :raises TimeoutError: when that has not happened within ``timeout`` seconds."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            metrics = httpx.get(url + "/network/collaboration/metrics.json", timeout=timeout).status_code
            pending = httpx.get(url + "/api/status", timeout=timeout).json().get("build_files_pending", 0)
            if metrics == 200 and not pending:
                return
        time.sleep(0.5)
    raise TimeoutError(f"{url} was still doing its start-up work after {timeout:.0f} s")


def current_dir(store: Path) -> Path:
    """The Oxigraph directory the store root's ``current`` link points to."""
    return (store / "current").resolve()


@contextlib.contextmanager
def oxigraph_server(store: Path, *, timeout_s: int | None = None) -> Iterator[Endpoint]:
    """``oxigraph serve --union-default-graph`` on a fresh copy of the store's current build (``--timeout-s``
    when ``timeout_s`` is given)."""
    location = Path(tempfile.mkdtemp(prefix="oxigraph-", dir=WORK))
    shutil.rmtree(location)
    shutil.copytree(current_dir(store), location)
    port = free_port()
    log = open(location.with_suffix(".log"), "wb")
    started = time.perf_counter()
    process = subprocess.Popen([str(BIN / "oxigraph"), "serve", "--location", str(location),
                                "--bind", f"127.0.0.1:{port}", "--union-default-graph",
                                *(["--timeout-s", str(timeout_s)] if timeout_s else [])],
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/query?query=ASK%7B%7D", process)
        yield Endpoint("oxigraph serve", url, "/query", process, time.perf_counter() - started)
    finally:
        stop(process)
        log.close()
        shutil.rmtree(location, ignore_errors=True)
        location.with_suffix(".log").unlink(missing_ok=True)


def ensure_rdflib_venv() -> Path:
    """The python of a venv under ``.bench/`` with rdflib-endpoint installed (created on first use)."""
    python = RDFLIB_VENV / "bin" / "python"
    if not (RDFLIB_VENV / ".installed").exists():
        shutil.rmtree(RDFLIB_VENV, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(RDFLIB_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "rdflib-endpoint", "uvicorn"], check=True)
        (RDFLIB_VENV / ".installed").touch()
    return python


def rdflib_endpoint_version(python: Path) -> str:
    out = subprocess.run([str(python), "-c", "import importlib.metadata as m; "
                          "print(m.version('rdflib-endpoint'), m.version('rdflib'))"],
                         capture_output=True, text=True, check=True).stdout.split()
    return f"rdflib-endpoint {out[0]}, rdflib {out[1]}"


@contextlib.contextmanager
def rdflib_server(nquads: Path, *, timeout: float = 600) -> Iterator[Endpoint]:
    """rdflib-endpoint serving ``nquads`` as a Dataset whose default graph is the union (like ours)."""
    python = ensure_rdflib_venv()
    port = free_port()
    log_path = WORK / f"rdflib-endpoint-{port}.log"
    log = open(log_path, "wb")
    started = time.perf_counter()
    process = subprocess.Popen([str(python), "-c", RDFLIB_LAUNCHER, str(nquads), str(port)],
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/sparql?query=ASK%7B%7D", process, timeout=timeout)
        yield Endpoint("rdflib-endpoint", url, "/sparql", process, time.perf_counter() - started)
    finally:
        stop(process)
        log.close()
        log_path.unlink(missing_ok=True)


def dump_nquads(store: Path, path: Path) -> Path:
    """Write every quad of the store's current build to ``path`` (N-Quads), once."""
    import pyoxigraph as ox

    if not path.exists():
        partial = path.with_suffix(".partial")
        ox.Store.read_only(str(current_dir(store))).dump(str(partial), ox.RdfFormat.N_QUADS)
        partial.rename(path)
    return path


@dataclass(frozen=True)
class Request:
    """One request to send again and again: method, path and body, pre-encoded."""

    method: str
    path: str
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def sparql(cls, endpoint: Endpoint, query: str) -> Request:
        return cls("POST", endpoint.query_path, query.encode(),
                   (("Content-Type", "application/sparql-query"),
                    ("Accept", "application/sparql-results+json")))

    def encode(self, host: str) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}", "Connection: keep-alive"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        if self.method == "POST":
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


@dataclass
class LoadResult:
    """What one fixed-time load run saw: latencies (s) of good answers, errors by kind, the wall time."""

    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0


def run_load(url: str, requests: list[Request], *, clients: int, seconds: float,
             timeout: float = 60.0) -> LoadResult:
    """``clients`` connections each send the ``requests`` in turn (starting at different offsets), a new one
    as soon as the last answer is read, until ``seconds`` pass; requests already sent then finish and count.
    The rate is completed answers over the time until the last one arrived."""
    return asyncio.run(_load(url, requests, clients, seconds, timeout))


async def _load(url: str, requests: list[Request], clients: int, seconds: float, timeout: float) -> LoadResult:
    host_port = url.removeprefix("http://")
    host, port = host_port.split(":")
    payloads = [r.encode(host_port) for r in requests]
    result = LoadResult()
    started = time.perf_counter()
    stop_at = started + seconds
    await asyncio.gather(*(_client(host, int(port), payloads, i, stop_at, timeout, result)
                           for i in range(clients)))
    result.elapsed = time.perf_counter() - started
    return result


async def _client(host: str, port: int, payloads: list[bytes], offset: int, stop_at: float, timeout: float,
                  result: LoadResult) -> None:
    reader = writer = None
    i = offset
    while time.perf_counter() < stop_at:
        payload = payloads[i % len(payloads)]
        i += 1
        sent = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            writer.write(payload)
            status, keep_alive = await asyncio.wait_for(_read_response(reader), timeout)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
            kind = type(exc).__name__
            result.errors[kind] = result.errors.get(kind, 0) + 1
            writer = _close(writer)
            continue
        if status == 200:
            result.latencies.append(time.perf_counter() - sent)
        else:
            result.errors[f"HTTP {status}"] = result.errors.get(f"HTTP {status}", 0) + 1
        if not keep_alive:
            writer = _close(writer)
    _close(writer)


def _close(writer: asyncio.StreamWriter | None) -> None:
    if writer is not None:
        writer.close()
    return None


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one HTTP/1.1 response; its status and keep-alive."""
    status, _, keep_alive = await read_response(reader)
    return status, keep_alive


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bool]:
    """Read one HTTP/1.1 response (Content-Length, chunked or close-delimited): its status, headers (names in
    lower case) and keep-alive."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip().lower()
    keep_alive = headers.get("connection") != "close"
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.read()
        keep_alive = False
    return status, headers, keep_alive
