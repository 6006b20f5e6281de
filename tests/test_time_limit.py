"""The per-query time limit really stops the work: the worker is killed, its CPU freed, and light queries
keep answering meanwhile."""

from __future__ import annotations

import threading
import time

import psutil

from clustergraph.settings import Settings

HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
MARGIN = 2.5


def workers(server) -> list[psutil.Process]:
    return [p for p in psutil.Process(server.process.pid).children(recursive=True)
            if "clustergraph.querying.worker" in " ".join(p.cmdline())]


def busy_workers(server, seconds: float = 0.5) -> list[int]:
    """Pids of workers that used at least a third of a CPU over ``seconds``."""
    procs = workers(server)
    before = {p.pid: sum(p.cpu_times()[:2]) for p in procs}
    time.sleep(seconds)
    busy = []
    for p in procs:
        try:
            if sum(p.cpu_times()[:2]) - before[p.pid] > seconds / 3:
                busy.append(p.pid)
        except psutil.NoSuchProcess:
            continue
    return busy


def test_heavy_query_is_stopped_with_an_error_and_its_cpu_freed(live_server) -> None:
    outcome: dict = {}

    def heavy() -> None:
        started = time.monotonic()
        with live_server.client() as client:
            outcome["response"] = client.get("/sparql", params={"query": HEAVY, "timeout": "4"})
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=heavy)
    launched = time.monotonic()
    thread.start()
    time.sleep(1.6)  # past the first long_query check (0.5 s of CPU), when a new text moves to a long worker
    spinning = busy_workers(live_server)
    while len(spinning) != 1 and time.monotonic() - launched < 3.2:  # a slow machine: look again, within the limit
        spinning = busy_workers(live_server)
    with live_server.client() as client:  # a light query answers while the heavy one runs
        started = time.monotonic()
        light = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
        light_seconds = time.monotonic() - started
    thread.join(timeout=30)

    assert len(spinning) == 1, "the heavy query should keep exactly one worker busy"
    assert light.status_code == 200 and light.json()["boolean"] is True and light_seconds < 1.5
    response = outcome["response"]
    assert response.status_code == 503
    assert "time limit of 4 s" in response.text
    assert outcome["seconds"] < 4 + MARGIN
    assert not psutil.pid_exists(spinning[0]) or psutil.Process(spinning[0]).status() == psutil.STATUS_ZOMBIE
    # The killed worker's replacement starts meanwhile (imports, opening the store): on a slow machine it may use a
    # third of a core for a moment. The killed query would burn a whole core for minutes: it never settles.
    busy = busy_workers(live_server, 1.0)
    settle_by = time.monotonic() + 5
    while busy and time.monotonic() < settle_by:
        busy = busy_workers(live_server, 1.0)
    assert busy == [], "no worker may keep burning CPU after the time limit"


def test_a_request_cannot_raise_the_limit(live_server) -> None:
    started = time.monotonic()
    with live_server.client() as client:
        response = client.get("/sparql", params={"query": HEAVY, "timeout": "600"})
    assert response.status_code == 503
    assert "time limit of 5 s" in response.text  # the live server runs with --time-limit 5
    assert time.monotonic() - started < 5 + MARGIN


def test_pool_recovers_after_timeouts(live_server) -> None:
    time.sleep(1.5)  # replacements start in the background
    with live_server.client() as client:
        answers = [client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}) for _ in range(4)]
    assert all(r.status_code == 200 for r in answers)
    settings = Settings()  # one process for the short seats, one per long slot
    assert len(workers(live_server)) == 1 + settings.workers - settings.reserved_workers
    with live_server.client() as client:
        assert client.get("/api/status").json()["live_workers"] == settings.workers
