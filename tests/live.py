"""Start a real ``clustergraph serve`` process (or a real ``oxigraph serve`` SPARQL server) on 127.0.0.1 and a
free port, and stop it afterwards."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
WRITE_TOKEN = "test-token-5f1c"


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen
    store: Path
    backend: str = "embedded"  # or "remote": the app serves from an Oxigraph server (--store-url)

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def start_server(store: Path, *, write_token: str = "", **settings: str) -> Iterator[LiveServer]:
    """Run the console script with ``settings`` as flags (e.g. time_limit="5") and wait until it answers."""
    port = free_port()
    exe = Path(sys.executable).with_name("clustergraph")
    args = [str(exe), "serve", "--root", str(ROOT), "--store", str(store), "--host", "127.0.0.1",
            "--port", str(port)]
    for name, value in settings.items():
        args += [f"--{name.replace('_', '-')}", str(value)]
    env = {**os.environ, "CLUSTERGRAPH_WRITE_TOKEN": write_token}
    log = open(Path(tempfile.gettempdir()) / f"clustergraph-server-{port}.log", "wb")
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/api/version", process)
        yield LiveServer(url, process, store)
    finally:
        stop(process)
        log.close()


def oxigraph_binary() -> str:
    """The ``oxigraph`` console script of the ``oxigraph`` PyPI package (a test extra)."""
    found = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    if not Path(found).exists():
        raise RuntimeError("the oxigraph server is not installed (pip install oxigraph; it is in the test extras)")
    return found


@contextlib.contextmanager
def start_oxigraph(location: Path, *, timeout_s: int = 4) -> Iterator[str]:
    """A real ``oxigraph serve --union-default-graph`` over ``location``; yields its base URL.

    ``--timeout-s`` stops the server's own work on a query the app gave up on (the app's time limit only
    ends the app's wait).
    """
    port = free_port()
    process = subprocess.Popen(
        [oxigraph_binary(), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}",
         "--union-default-graph", "--timeout-s", str(timeout_s)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/query?query=ASK%7B%7D", process, timeout=30)
        yield base
    finally:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    """Terminate ``process``, and kill it if it has not ended after 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 60, log: Path | None = None) -> None:
    """Poll ``url`` until it answers 200, failing early (with the tail of ``log``, if given) if ``process`` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log is not None and log.exists() else ""
            raise RuntimeError(f"server exited with {process.returncode}" + (f":\n{tail}" if tail else ""))
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not answer within {timeout} s")
