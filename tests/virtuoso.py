"""A throw-away Virtuoso (Debian's ``virtuoso-opensource``) on 127.0.0.1 for the remote backend's tests.

:func:`start_virtuoso` writes a minimal ``virtuoso.ini`` into a fresh directory (database, log and transaction
files all there; SQL and HTTP ports free ones bound to 127.0.0.1), runs ``virtuoso-t +foreground``, waits until
``/sparql`` answers, grants SPARQL Update to the anonymous ``SPARQL`` user (acceptable for a database that
lives as long as the test session, and what lets ``/sparql`` and ``/sparql-graph-crud`` take writes without
digest authentication), and stops the server at the end.

Skips when ``virtuoso-t`` is missing, unless ``CLUSTERGRAPH_REQUIRE_VIRTUOSO=1`` (CI), which fails.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from live import free_port, stop, wait_until_up

REQUIRED = os.environ.get("CLUSTERGRAPH_REQUIRE_VIRTUOSO") == "1"
STARTUP_TIMEOUT = 120.0

INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
ThreadsPerQuery = 2
CheckpointInterval = 0
DirsAllowed = {dir}

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerThreads = 10
MaxClientConnections = 10

[SPARQL]
ResultSetMaxRows = 10000000
MaxQueryExecutionTime = {timeout_s}
MaxQueryCostEstimationTime = 0
"""


@dataclass(frozen=True)
class Virtuoso:
    """The endpoints of one running Virtuoso, and how long it took to answer after starting."""

    base: str
    startup_seconds: float

    @property
    def query_url(self) -> str:
        return self.base + "/sparql"

    @property
    def graph_store_url(self) -> str:
        return self.base + "/sparql-graph-crud"

    @property
    def update_url(self) -> str:
        return self.base + "/sparql"  # Virtuoso takes updates on its query endpoint


def binary() -> str | None:
    return shutil.which("virtuoso-t")


def isql_binary() -> str | None:
    return shutil.which("isql-vt") or shutil.which("isql")


def require_virtuoso() -> None:
    """Skip (or fail, under ``CLUSTERGRAPH_REQUIRE_VIRTUOSO=1``) when Virtuoso is not installed."""
    if binary() and isql_binary():
        return
    reason = "virtuoso-t or isql-vt is not on PATH (apt-get install virtuoso-opensource)"
    if REQUIRED:
        pytest.fail(f"CLUSTERGRAPH_REQUIRE_VIRTUOSO=1 but {reason}")
    pytest.skip(f"Virtuoso tests need Virtuoso: {reason}")


@contextlib.contextmanager
def start_virtuoso(directory: Path, *, timeout_s: int = 30) -> Iterator[Virtuoso]:
    """A fresh Virtuoso over an empty database in ``directory``; yields its endpoints.

    ``timeout_s`` is ``MaxQueryExecutionTime``: the server's own limit on a query (the app's time limit only
    ends the app's wait).
    """
    exe, isql = binary(), isql_binary()
    if not exe or not isql:
        raise RuntimeError("virtuoso-t / isql-vt not found (apt-get install virtuoso-opensource)")
    directory.mkdir(parents=True, exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    ini = directory / "virtuoso.ini"
    ini.write_text(INI.format(dir=directory, sql_port=sql_port, http_port=http_port, timeout_s=timeout_s))
    log = open(directory / "stdout.log", "wb")  # noqa: SIM115 - held for the server's lifetime, closed below
    started = time.monotonic()
    process = subprocess.Popen([exe, "+foreground", "+configfile", str(ini)], cwd=directory,
                               stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{http_port}"
    try:
        _wait_for_sparql(base, process, directory)
        startup = time.monotonic() - started
        subprocess.run([isql, f"127.0.0.1:{sql_port}", "dba", "dba", 'exec=GRANT SPARQL_UPDATE TO "SPARQL";'],
                       check=True, capture_output=True, timeout=30)
        yield Virtuoso(base, startup)
    finally:
        stop(process)
        log.close()


def _wait_for_sparql(base: str, process: subprocess.Popen, directory: Path) -> None:
    wait_until_up(base + "/sparql?query=ASK%7B%7D", process, STARTUP_TIMEOUT, log=directory / "virtuoso.log")


def system_triples(live_server) -> tuple[int, int]:
    """(distinct triples, quads) of the graphs outside the project on the server behind ``live_server``: Virtuoso's
    own (virtrdf#, ldp#, its /sparql service description), which its union default graph and ``GRAPH ?g`` see
    too; (0, 0) on the other backends."""
    if live_server.backend != "virtuoso":
        return 0, 0
    from clustergraph.iris import GRAPH

    outside = f'GRAPH ?g {{ ?s ?p ?o }} FILTER (!STRSTARTS(STR(?g), "{GRAPH}"))'
    counts = []
    for query in (f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?p ?o WHERE {{ {outside} }} }}",
                  f"SELECT (COUNT(*) AS ?n) WHERE {{ {outside} }}"):
        with live_server.client() as client:
            answer = client.get("/sparql", params={"query": query}).json()
        counts.append(int(answer["results"]["bindings"][0]["n"]["value"]))
    return counts[0], counts[1]
